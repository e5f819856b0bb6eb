// A pool's ledger: what the pool did with each job it was sent, written by the pool
// (one file per pool, CRC-framed lines as the journal's) before it tells the
// coordinator. Until the coordinator has a job's end on its own disk, the pool owns
// it: a coordinator that crashed and restarts reads (or asks the pool for) the traces.
//
// For each job the order is: starting (before anything exists on disk), started (pid
// and directory), then exited; or start-failed. `orphaned` marks the moment the pool
// saw its coordinator go: it starts nothing after it, so a job with no trace in a
// ledger that has the mark (or whose pool is dead) was never started.

import { attempt, Fields } from './fields.js';

export type LedgerRecord =
  | { r: 'pool'; key: string; pid: number; at: number }
  | { r: 'starting'; job: number; at: number }
  | { r: 'started'; job: number; pid: number; dir: string; at: number }
  | { r: 'start-failed'; job: number; reason: string; at: number }
  | { r: 'exited'; job: number; code: number | null; signal: string | null; at: number }
  /** The pool's lease ran out with no coordinator: it killed the job. */
  | { r: 'expired'; job: number; at: number }
  | { r: 'orphaned'; at: number };

export type JobEnd =
  | { kind: 'exited'; code: number | null; signal: string | null; at: number }
  | { kind: 'start-failed'; reason: string; at: number };

/** Everything a pool knows of one job. */
export interface JobTrace {
  jobId: number;
  /** It was about to be started (the directory and process may or may not exist). */
  starting: boolean;
  started: { pid: number; dir: string; at: number } | null;
  end: JobEnd | null;
  /** Killed by the pool when its lease ran out. */
  expiredAt: number | null;
}

export const LEDGER_SUFFIX = '.ledger';
export const SOCKET_SUFFIX = '.sock';
export const POOL_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function parseLedgerRecord(value: unknown): LedgerRecord | { invalid: string } {
  return attempt((): LedgerRecord => {
    const f = new Fields(value, 'a ledger record');
    const r = f.oneOf('r', ['pool', 'starting', 'started', 'start-failed', 'exited', 'expired', 'orphaned'] as const);
    switch (r) {
      case 'pool':
        return { r, key: f.str('key', 64), pid: f.int('pid', 1), at: f.int('at') };
      case 'starting':
      case 'expired':
        return { r, job: f.int('job', 1), at: f.int('at') };
      case 'started':
        return { r, job: f.int('job', 1), pid: f.int('pid', 1), dir: f.str('dir'), at: f.int('at') };
      case 'start-failed':
        return { r, job: f.int('job', 1), reason: f.str('reason'), at: f.int('at') };
      case 'exited':
        return { r, job: f.int('job', 1), code: f.intOrNull('code'), signal: f.strOrNull('signal'), at: f.int('at') };
      case 'orphaned':
        return { r, at: f.int('at') };
    }
  });
}

/** A ledger read back: who wrote it, whether it saw its coordinator go, and each job. */
export interface LedgerView {
  key: string | null;
  pid: number | null;
  orphaned: boolean;
  jobs: Map<number, JobTrace>;
  /** Lines that were damaged or not records. */
  rejected: number;
}

export function emptyTrace(jobId: number): JobTrace {
  return { jobId, starting: false, started: null, end: null, expiredAt: null };
}

/** Folds ledger records, in order, into a view. */
export class LedgerReader {
  readonly view: LedgerView = { key: null, pid: null, orphaned: false, jobs: new Map(), rejected: 0 };

  add(value: unknown): void {
    const rec = parseLedgerRecord(value);
    if ('invalid' in rec) {
      this.view.rejected += 1;
      return;
    }
    if (rec.r === 'pool') {
      this.view.key = rec.key;
      this.view.pid = rec.pid;
      return;
    }
    if (rec.r === 'orphaned') {
      this.view.orphaned = true;
      return;
    }
    const trace = this.view.jobs.get(rec.job) ?? emptyTrace(rec.job);
    this.view.jobs.set(rec.job, trace);
    switch (rec.r) {
      case 'starting':
        trace.starting = true;
        return;
      case 'started':
        trace.started = { pid: rec.pid, dir: rec.dir, at: rec.at };
        return;
      case 'start-failed':
        trace.end = { kind: 'start-failed', reason: rec.reason, at: rec.at };
        return;
      case 'exited':
        trace.end = { kind: 'exited', code: rec.code, signal: rec.signal, at: rec.at };
        return;
      case 'expired':
        trace.expiredAt = rec.at;
        return;
    }
  }
}
