// A pool. Started by a coordinator with frames on stdin/stdout; takes at
// most `capacity` jobs over its life, reports each start and end (ledger first, then
// the coordinator), says `bye` once every job it took has ended, and exits when the
// coordinator, having those ends on its disk, sends `release`.
//
// Coordinator gone (end of input, a broken output, or no ping within the deadline):
// the pool marks its ledger `orphaned`, starts nothing more, lets its jobs run (for
// `leaseMs` if set, then it ends them and records that), and listens on its attach
// socket: a restarted coordinator connects there and gets the pool's `state`, then
// goes on as before. With no job left and no coordinator, it exits; its ledger stays
// for the next coordinator to read.
//
// `terminate` (and SIGTERM): SIGTERM to every job, SIGKILL after the grace, report the
// ends, bye. SIGINT and SIGHUP are ignored: a ^C in the coordinator's terminal reaches
// the pools too, and the coordinator decides what happens then.
//
// Its imports are kept to the protocol and node: built-ins, for a fast start.

import { failpoint } from '../protocol/failpoints.js';
import { DirError, openOwnDir, type OwnDir } from '../protocol/own-dir.js';
import { expandHome } from '../protocol/paths-home.js';
import type { PoolCommand, PoolConfig, PoolEvent } from '../protocol/pool-messages.js';
import { AttachPoint } from './attach.js';
import { reportCpu } from './cpu-report.js';
import { Ledger } from './ledger.js';
import { Link } from './link.js';
import { describe, Runner } from './runner.js';
import { spreadJobDirs } from './spread-dirs.js';
import { say, stdinReader, stdoutWriter } from './stdio.js';
import { cancelOwnJob, CONFIG_WAIT_MS, ownSlurmJob } from './slurm-job.js';

let config: PoolConfig | null = null;
let runner: Runner | null = null;
let ledger: Ledger | null = null;
let attach: AttachPoint | null = null;
/** Why no job can start here (the output directory could not be used). */
let unusable: string | null = null;
/** Job environments by key, as the coordinator sent them (frozen: pool/spawn/types.ts JobSpec.env). */
const envs = new Map<string, Readonly<Record<string, string>>>();
let takesJobs = true;
let byeSent = false;
let lease: NodeJS.Timeout | null = null;
/** Its own Slurm job, when srun started it as one (pool/slurm-job.ts). */
const slurmJob = ownSlurmJob(process.argv.slice(2), process.env);
/** The coordinator is the one that started it (over stdin), not one that re-attached. */
let firstLink = true;

function log(message: string): void {
  say(`pool ${process.pid}: ${message}\n`);
}

failpoint('pool-boot');
let link: Link | null = new Link(stdinReader(), stdoutWriter(), { command: handle, lost, log });

function emit(event: PoolEvent): void {
  link?.send(event);
  settle();
}

/** Once nothing runs and nothing more will: bye to a coordinator, or exit without one. */
function settle(): void {
  if (runner === null || config === null || runner.active > 0) return;
  if (takesJobs && runner.taken < config.capacity) return;
  if (link !== null) {
    if (!byeSent) link.send({ kind: 'bye', served: runner.taken });
    byeSent = true;
    return;
  }
  leave(false);
}

function leave(released: boolean): void {
  if (released) ledger?.remove();
  attach?.close();
  reportCpu(runner?.taken ?? 0, runner?.spawnerKind ?? 'none');
  exitPool(released);
}

/**
 * `released`: a coordinator has every end it had to know. Under srun, the Slurm job is
 * srun's to end only when the coordinator that started it released it (through srun,
 * which is then alive); otherwise the pool cancels it itself (pool/slurm-job.ts).
 */
function exitPool(released: boolean): never {
  link?.flush();
  if (slurmJob !== null && !(released && firstLink)) cancelOwnJob(slurmJob, log);
  process.exit(0);
}

function configure(c: PoolConfig): void {
  config = c;
  let out: OwnDir | null = null;
  try {
    // Another host's directories may start with ~/ (its home) and be missing yet; the
    // coordinator's own directory (with its id) it made and checked itself.
    out = openOwnDir(expandHome(c.outDir), c.outDirId === null ? { create: true } : { expect: c.outDirId });
    spreadJobDirs(out);
    ledger = Ledger.create(expandHome(c.ledgerDir), c.key);
    ledger.write({ r: 'pool', key: c.key, pid: process.pid, at: Date.now() });
  } catch (err) {
    unusable = `the pool cannot use ${out === null ? c.outDir : c.ledgerDir}: ${err instanceof DirError ? err.message : describe(err)}`;
    log(unusable);
  }
  const record = ledger === null ? (): void => undefined : ledger.write.bind(ledger);
  if (out !== null) runner = new Runner({ out, user: c.user, graceMs: c.graceMs, record, emit });
  if (c.heartbeatMs !== null) link?.expectWithin(3 * c.heartbeatMs);
  link?.send({ kind: 'ready', pid: process.pid, key: c.key });
}

function handle(command: PoolCommand): void {
  if (command.kind === 'config') {
    if (config !== null) return log('ignored a second config frame');
    return configure(command);
  }
  if (config === null) return log(`ignored '${command.kind}' before config`);
  switch (command.kind) {
    case 'run': {
      const refused = unusable ?? (!takesJobs || (runner?.taken ?? 0) >= config.capacity ? 'the pool takes no more jobs' : null)
        ?? (command.envKey !== undefined && !envs.has(command.envKey) ? `the pool was never sent its environment '${command.envKey}'` : null);
      if (refused !== null || runner === null) {
        link?.send({ kind: 'start-failed', jobId: command.jobId, reason: refused ?? 'the pool cannot run jobs' });
        return;
      }
      const env = command.envKey === undefined ? undefined : envs.get(command.envKey);
      runner.run({
        jobId: command.jobId, command: command.command, ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
        ...(env === undefined ? {} : { env }), ...(command.setEnv === undefined ? {} : { setEnv: command.setEnv }),
        ...(command.orJobDir === true ? { orJobDir: true } : {}), ...(command.inJobDir === true ? { inJobDir: true } : {}),
        ...(command.stage === undefined ? {} : { stage: command.stage }),
      });
      return;
    }
    case 'env':
      envs.set(command.key, Object.freeze(command.env));
      return;
    case 'signal':
      if (runner === null) link?.send({ kind: 'signalled', jobId: command.jobId, signal: command.signal, error: 'the pool runs no jobs' });
      else runner.signal(command.jobId, command.signal);
      return;
    case 'retire':
      takesJobs = false;
      return settle();
    case 'terminate':
      return terminate();
    case 'release':
      return leave(true);
    case 'ping':
      link?.send({ kind: 'pong', seq: command.seq });
      return;
  }
}

function terminate(): void {
  takesJobs = false;
  runner?.terminateAll();
  settle();
  if (runner === null) leave(false);
}

/** The coordinator is gone: start nothing more, keep the jobs, wait for a new one. */
function lost(why: string): void {
  link = null;
  takesJobs = false;
  if (config === null || runner === null) exitPool(false);
  log(`${why}; ${runner.active} job(s) go on, recorded in the ledger`);
  try {
    ledger?.write({ r: 'orphaned', at: Date.now() });
  } catch (err) {
    log(`cannot mark the ledger orphaned: ${describe(err)}`);
  }
  if (config.leaseMs !== null && runner.active > 0) {
    lease = setTimeout(() => {
      log(`no coordinator for ${config?.leaseMs ?? 0} ms: the lease ran out, ending every job`);
      runner?.expireAll();
    }, config.leaseMs);
  }
  // The attach socket exists from now on: a pool never orphaned never pays for it (a
  // listening socket costs a few ms of every pool's start), and a coordinator that
  // restarts finds the pool alive and tries again until the socket answers.
  if (ledger !== null) {
    try {
      attach ??= new AttachPoint(ledger.dir, config.key, adopt, log);
    } catch (err) {
      log(`cannot open its attach socket: ${describe(err)}`);
    }
  }
  attach?.ready();
  settle();
}

/** A restarted coordinator connected: it gets the pool's state and the link. */
function adopt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, close: () => void): void {
  if (lease !== null) clearTimeout(lease);
  lease = null;
  link = new Link(input, output, { command: handle, lost, log }, close);
  firstLink = false;
  if (config?.heartbeatMs != null) link.expectWithin(3 * config.heartbeatMs);
  byeSent = false;
  link.send({ kind: 'state', key: config?.key ?? '', pid: process.pid, jobs: runner?.allTraces() ?? [] });
  settle();
}

process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', terminate);
if (slurmJob !== null) {
  setTimeout(() => {
    if (config !== null) return;
    log(`no config within ${CONFIG_WAIT_MS} ms: leaving`);
    exitPool(false);
  }, CONFIG_WAIT_MS).unref();
}
