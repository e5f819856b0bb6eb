// Looking for a pool whose Slurm job runs: the pool program's `--attach` tool run in a
// step of that job (on the pool's node), relaying frames to the pool's attach socket.
// Its first frame tells: the pool's `state` (re-attached: the link goes on), or `absent`
// (nobody answers there: alive but not ready yet, or gone, with its ledger). A step that
// cannot be started or says nothing in time (its node does not answer) is a pool that
// may live: it is looked for again, until Slurm says how its job ended.

import type { PoolEvent } from '../../protocol/pool-messages.js';
import type { Probe } from './launcher.js';
import type { LinkListener, PoolLink } from './link.js';

/** How long a step may take to say anything. */
const ATTACH_TIMEOUT_MS = 15_000;

export function attachProbe(open: (listener: LinkListener) => PoolLink, listener: LinkListener): Promise<Probe> {
  return new Promise((resolve) => {
    let first = true;
    /** Only a link that attached reports to the pool's listener. */
    let attached = false;
    const timer = setTimeout(() => {
      if (!first) return;
      first = false;
      link.kill();
      resolve({ kind: 'alive' });
    }, ATTACH_TIMEOUT_MS);
    const answer = (probe: Probe): void => {
      first = false;
      clearTimeout(timer);
      resolve(probe);
    };
    const link = open({
      event: (event: PoolEvent) => {
        if (attached) return listener.event(event);
        if (!first) return;
        if (event.kind !== 'absent') {
          attached = true;
          answer({ kind: 'attached', link });
          listener.event(event);
          return;
        }
        const ledger = event.ledger ? { key: event.key, pid: event.pid, orphaned: event.orphaned, jobs: new Map(event.jobs.map((j) => [j.jobId, j])), rejected: 0 } : null;
        answer(event.alive ? { kind: 'alive' } : { kind: 'dead', ledger });
      },
      closed: (how) => {
        if (first) answer({ kind: 'alive' });
        else if (attached) listener.closed(how);
      },
      // srun's own lines (a step it cannot create yet, …) are worth a log line either way.
      log: (line) => listener.log(line),
    });
  });
}
