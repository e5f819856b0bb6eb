// What the journal holds: the job state machine's own events, so replay is the same
// `step` the live coordinator runs. `new` creates a job; `ev` is one JobEvent for it.
// A compacted journal is the shortest event history that rebuilds each job's state.

import { Fields, attempt } from '../../protocol/fields.js';
import { readEnv } from '../../protocol/parse.js';
import { OUTCOMES, type JobResult } from '../../protocol/messages.js';
import { poolRef, type Finished, type Job, type JobEvent, type JobOptions, type Started } from '../core/state.js';
import { optionsOf, readOptions } from './job-options.js';

export { optionsOf } from './job-options.js';

/** A job as its `new` record (or its entry in a `batch` record) creates it. */
export type NewJob = { id: number; cmd: string; at: number } & JobOptions;

/** What a batch is, besides its jobs (which name it in their `batch` field). */
export interface BatchRecord {
  key: string;
  name: string;
  namespace: string;
  at: number;
  needs: string[];
  notify: string | null;
  build: string | null;
  keep: boolean;
  windows: string | null;
  suspendOutside: boolean;
}

export type JournalRecord =
  | ({ r: 'new' } & NewJob)
  /** A batch, with the jobs it creates (a compacted journal has them as `new` records). */
  | ({ r: 'batch'; jobs?: NewJob[] } & BatchRecord)
  /** An exit hook of a job (`job`) or the notify of a batch (`batch`) started, or ended as `how`. */
  | { r: 'hook'; job?: number; batch?: string; n: number; state: 'started' | 'ended'; ok?: boolean; how?: string; at: number }
  /** An environment jobs refer to by `envId` (written once per journal file). */
  | { r: 'env'; key: string; env: Record<string, string> }
  /** pause-all (on, until a time or null) or its end (off). */
  | { r: 'pause'; on: boolean; until: number | null; at: number; host?: string }
  | { r: 'ev'; id: number; ev: JobEvent }
  /**
   * A pool process started or ended (history for people; replay needs only job records).
   * `slurm`: its Slurm job's id, on a Slurm host (written again once it is known).
   */
  | { r: 'pool'; pid: number; state: 'started' | 'ended'; at: number; how?: string; key?: string; host?: string; slurm?: string }
  /** host-off (off) or host-on of a host of the hosts file. */
  | { r: 'host'; name: string; off: boolean; at: number }
  /** A note in the history (the journal could be written again after a full disk). */
  | { r: 'mark'; at: number; note: string };

const EVENT_TYPES = [
  'dispatched', 'started', 'start-failed', 'suspended', 'resumed', 'timed-out', 'exited', 'lost', 'requeued', 'cancelled',
  'dependency-failed', 'archived', 'archive-failed', 'retry',
] as const;

function readEvent(f: Fields): JobEvent {
  const type = f.oneOf('type', EVENT_TYPES);
  switch (type) {
    case 'dispatched': {
      const ev: JobEvent = { type, poolId: f.int('poolId') };
      if (f.has('poolPid')) ev.poolPid = f.int('poolPid');
      if (f.has('poolKey')) ev.poolKey = f.str('poolKey', 64);
      if (f.has('host')) ev.host = f.str('host', 255);
      return ev;
    }
    case 'started': {
      const ev: JobEvent = { type, pid: f.int('pid', 1), dir: f.str('dir'), at: f.int('at') };
      if (f.has('ranIn')) ev.ranIn = f.str('ranIn');
      if (f.has('poolPid')) ev.poolPid = f.int('poolPid', 1);
      return ev;
    }
    case 'start-failed':
    case 'lost':
    case 'requeued':
    case 'cancelled':
    case 'archive-failed':
      return { type, reason: f.str('reason'), at: f.int('at') };
    case 'dependency-failed':
      return { type, jobId: f.int('jobId', 1), outcome: f.oneOf('outcome', OUTCOMES), at: f.int('at') };
    case 'archived':
    case 'retry':
      return { type, at: f.int('at') };
    case 'suspended':
      return f.has('by') ? { type, at: f.int('at'), by: f.oneOf('by', ['pause', 'window'] as const) } : { type, at: f.int('at') };
    case 'resumed':
      return f.has('at') ? { type, at: f.int('at') } : { type };
    case 'timed-out':
      return { type, at: f.int('at') };
    case 'exited':
      return { type, code: f.intOrNull('code'), signal: f.strOrNull('signal'), at: f.int('at') };
  }
}

export function parseRecord(value: unknown): JournalRecord | { invalid: string } {
  return attempt((): JournalRecord => {
    const f = new Fields(value, 'a journal record');
    const r = f.oneOf('r', ['new', 'ev', 'pool', 'env', 'pause', 'mark', 'host', 'batch', 'hook'] as const);
    if (r === 'host') return { r, name: f.str('name', 255), off: f.oneOf('off', [true, false] as const), at: f.int('at') };
    if (r === 'new') return { r, ...readNew(f) };
    if (r === 'batch') return readBatch(f);
    if (r === 'hook') return readHook(f);
    if (r === 'mark') return { r, at: f.int('at'), note: f.str('note') };
    if (r === 'env') {
      return { r, key: f.str('key'), env: readEnv(f.raw('env')) };
    }
    if (r === 'pause') {
      const rec: JournalRecord & { r: 'pause' } = { r, on: f.oneOf('on', [true, false] as const), until: f.intOrNull('until'), at: f.int('at') };
      if (f.has('host')) rec.host = f.str('host', 255);
      return rec;
    }
    if (r === 'pool') {
      const rec: JournalRecord & { r: 'pool' } = { r, pid: f.int('pid'), state: f.oneOf('state', ['started', 'ended'] as const), at: f.int('at') };
      if (f.has('how')) rec.how = f.str('how');
      if (f.has('key')) rec.key = f.str('key', 64);
      if (f.has('host')) rec.host = f.str('host', 255);
      if (f.has('slurm')) rec.slurm = f.str('slurm', 64);
      return rec;
    }
    return { r, id: f.int('id', 1), ev: readEvent(f.obj('ev')) };
  });
}

function readNew(f: Fields): NewJob {
  return { id: f.int('id', 1), cmd: f.str('cmd'), at: f.int('at'), ...readOptions(f) };
}

function readBatch(f: Fields): JournalRecord {
  const needs = f.raw('needs');
  const rec: JournalRecord & { r: 'batch' } = {
    r: 'batch', key: f.str('key', 511), name: f.str('name', 255), namespace: f.str('namespace', 255), at: f.int('at'),
    needs: Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [],
    notify: f.strOrNull('notify'), build: f.strOrNull('build'), keep: f.oneOf('keep', [true, false] as const),
    windows: f.strOrNull('windows'), suspendOutside: f.oneOf('suspendOutside', [true, false] as const),
  };
  const jobs = f.raw('jobs');
  if (Array.isArray(jobs)) rec.jobs = jobs.map((j: unknown, i: number) => readNew(new Fields(j, `'jobs[${i}]'`)));
  return rec;
}

function readHook(f: Fields): JournalRecord {
  const rec: JournalRecord & { r: 'hook' } = { r: 'hook', n: f.int('n'), state: f.oneOf('state', ['started', 'ended'] as const), at: f.int('at') };
  if (f.has('job')) rec.job = f.int('job', 1);
  if (f.has('batch')) rec.batch = f.str('batch', 511);
  if (f.has('ok')) rec.ok = f.oneOf('ok', [true, false] as const);
  if (f.has('how')) rec.how = f.str('how');
  return rec;
}

function endEvent(result: JobResult, at: number): JobEvent {
  switch (result.kind) {
    case 'exited':
      return { type: 'exited', code: result.code, signal: null, at };
    case 'signalled':
      return { type: 'exited', code: null, signal: result.signal, at };
    case 'timed-out':
      return { type: 'exited', code: result.code, signal: result.signal, at };
    case 'start-failed':
      return { type: 'start-failed', reason: result.reason, at };
    case 'lost':
      return { type: 'lost', reason: result.reason, at };
    case 'cancelled':
      return { type: 'cancelled', reason: result.reason, at };
    case 'dependency-failed':
      return { type: 'dependency-failed', jobId: result.jobId, outcome: result.outcome, at };
    case 'archive-failed':
      return { type: 'archive-failed', reason: result.reason, at };
  }
}

/** The events that rebuild a finished run (the end of an archive-failed one is a success). */
function finishedEvents(s: Finished, start: (started: Started) => void, ev: (e: JobEvent) => void): void {
  if (s.started !== null) start(s.started);
  else if (s.result.kind !== 'cancelled' && s.result.kind !== 'dependency-failed') ev({ type: 'dispatched', poolId: 0 });
  if (s.result.kind === 'archive-failed') {
    ev({ type: 'exited', code: 0, signal: null, at: s.endedAt });
    ev({ type: 'archive-failed', reason: s.result.reason, at: s.endedAt });
    return;
  }
  ev(endEvent(s.result, s.endedAt));
  if (s.archived === true) ev({ type: 'archived', at: s.endedAt });
}

/** The records that rebuild `job` as it is now (for compaction). */
export function recordsFor(job: Job): JournalRecord[] {
  const out: JournalRecord[] = [{ r: 'new', id: job.id, cmd: job.command, at: job.submittedAt, ...optionsOf(job) }];
  const ev = (e: JobEvent): void => void out.push({ r: 'ev', id: job.id, ev: e });
  const start = (started: Started): void => {
    ev({ type: 'dispatched', ...poolRef(started) });
    ev({ type: 'started', pid: started.pid, dir: started.dir, at: started.startedAt, ...(started.ranIn === undefined ? {} : { ranIn: started.ranIn }) });
    // Time held suspended so far, as one suspend/resume pair.
    if ((started.pausedMs ?? 0) > 0) {
      ev({ type: 'suspended', at: started.startedAt });
      ev({ type: 'resumed', at: started.startedAt + (started.pausedMs ?? 0) });
    }
    if (started.timedOutAt !== undefined) ev({ type: 'timed-out', at: started.timedOutAt });
  };
  for (const attempt of job.attempts ?? []) {
    finishedEvents(attempt, start, ev);
    ev({ type: 'retry', at: attempt.endedAt });
  }
  const s = job.state;
  switch (s.tag) {
    case 'queued':
      break;
    case 'starting':
      ev({ type: 'dispatched', ...poolRef(s) });
      break;
    case 'running':
      start(s);
      break;
    case 'suspended':
      start(s);
      ev(s.by === undefined ? { type: 'suspended', at: s.suspendedAt } : { type: 'suspended', at: s.suspendedAt, by: s.by });
      break;
    case 'finished':
      finishedEvents(s, start, ev);
      break;
  }
  return out;
}
