// A pool driven straight from a test, without a coordinator: started through a real
// launcher (LocalLauncher: `node pool/main.js` here; SshLauncher: over ssh on a test
// host), pinged as a coordinator would when the launcher wants heartbeats, its events
// kept in order, frames sent by hand. At teardown it is told to end its jobs, then
// released once it said bye, so it removes its ledger and exits.
//
//   const p = await drivePool(t, launcher);
//   p.send({ kind: 'run', jobId: 1, command: 'echo hi' });
//   const ev = await p.next('exited', 1);

import os from 'node:os';
import type { Test } from 'tap';
import type { Launcher } from '../../coord/pools/launcher.js';
import type { PoolLink } from '../../coord/pools/link.js';
import type { PoolCommand, PoolEvent } from '../../protocol/pool-messages.js';
import { waitFor } from './wait.js';

type Kind = PoolEvent['kind'];
type EventOf<K extends Kind> = Extract<PoolEvent, { kind: K }>;

export interface DrivenPool {
  readonly key: string;
  readonly pid: number;
  /** Every event so far, in order. */
  readonly events: readonly PoolEvent[];
  /** The stderr lines of the pool (or of ssh in front of it). */
  readonly log: readonly string[];
  send(command: PoolCommand): void;
  /** The first event of this kind (for this job, when given), waiting for it up to a deadline. */
  next<K extends Kind>(kind: K, jobId?: number, timeoutMs?: number): Promise<EventOf<K>>;
}

let serial = 0;

function jobOf(e: PoolEvent): number | null {
  return 'jobId' in e ? e.jobId : null;
}

export async function drivePool(t: Test, launcher: Launcher, opts: { capacity?: number } = {}): Promise<DrivenPool> {
  serial += 1;
  const key = `t${process.pid}-${serial}`;
  const events: PoolEvent[] = [];
  const log: string[] = [];
  let closed: string | null = null;
  await launcher.prepare();
  const link: PoolLink = launcher.start(
    {
      capacity: opts.capacity ?? 50, ...launcher.paths, user: os.userInfo().username, graceMs: 1000, key,
      leaseMs: launcher.leaseMs, heartbeatMs: launcher.heartbeatMs,
    },
    { event: (e) => events.push(e), closed: (how) => (closed = how), log: (line) => log.push(line) },
  );
  let seq = 0;
  const beat = launcher.heartbeatMs === null ? null : setInterval(() => link.send({ kind: 'ping', seq: ++seq }), launcher.heartbeatMs);
  const next = <K extends Kind>(kind: K, jobId?: number, timeoutMs = 20_000): Promise<EventOf<K>> =>
    waitFor(`the pool's '${kind}'${jobId === undefined ? '' : ` for job ${jobId}`}`, () => {
      const found = events.find((e): e is EventOf<K> => e.kind === kind && (jobId === undefined || jobOf(e) === jobId));
      if (found === undefined && closed !== null) throw new Error(`the pool's link ${closed} (log: ${log.join(' | ')})`);
      return found;
    }, timeoutMs);
  t.teardown(async () => {
    link.send({ kind: 'terminate' });
    try {
      await next('bye', undefined, 15_000);
      link.send({ kind: 'release' });
      await waitFor('the pool to exit', () => closed !== null, 15_000);
    } catch {
      link.kill();
    } finally {
      if (beat !== null) clearInterval(beat);
    }
  });
  const ready = await next('ready');
  return { key, pid: ready.pid, events, log, send: (c) => link.send(c), next };
}
