// The job state machine, pure: a job's state with the data each state carries, and
// `step(state, event)` which returns the next state or an `{ illegal }` value. Time
// comes in with the events, so this is tested without clocks or processes.

import {
  outcomeOf, type JobBrief, type JobResult, type JobStatus, type JobView, type Origin,
} from '../../protocol/messages.js';

/** Which pool has (or had) a job: absent fields are from records written before they were kept. */
export interface PoolRef {
  poolId: number;
  poolPid?: number;
  /** Names the pool's ledger and attach socket. */
  poolKey?: string;
  host?: string;
}

export interface Started extends PoolRef {
  /** Where it ran when that was not the directory it was submitted from (its job directory). */
  ranIn?: string;
  pid: number;
  dir: string;
  startedAt: number;
  /** Time spent suspended so far (a timeout counts running time only). */
  pausedMs?: number;
  /** Its --timeout ran out at this time and it was told to end. */
  timedOutAt?: number;
}

export type JobState =
  | { tag: 'queued' }
  | ({ tag: 'starting' } & PoolRef)
  | ({ tag: 'running' } & Started)
  /** `by: 'pause'`: held by pause-all, continued by resume-all. */
  | ({ tag: 'suspended'; suspendedAt: number; by?: 'pause' } & Started)
  | { tag: 'finished'; started: Started | null; endedAt: number; result: JobResult };

/** What a job was submitted with, besides its command. */
export interface JobOptions {
  cwd?: string;
  /** Key of its environment in the coordinator's table of environments. */
  envId?: string;
  timeoutSec?: number;
  origin?: Origin;
  /** Tags a host must have (`!tag`: must not have). */
  needs?: string[];
  /** Variables set for it on any host (--env, --export). */
  setEnv?: Record<string, string>;
}

export interface Job extends JobOptions {
  id: number;
  command: string;
  submittedAt: number;
  state: JobState;
}

export type JobEvent =
  | ({ type: 'dispatched' } & PoolRef)
  | { type: 'started'; pid: number; dir: string; at: number; ranIn?: string; poolPid?: number }
  | { type: 'start-failed'; reason: string; at: number }
  | { type: 'suspended'; at: number; by?: 'pause' }
  | { type: 'resumed'; at?: number }
  | { type: 'timed-out'; at: number }
  | { type: 'exited'; code: number | null; signal: string | null; at: number }
  | { type: 'lost'; reason: string; at: number }
  /** Its pool is gone and never started it: it waits for a pool again. */
  | { type: 'requeued'; reason: string; at: number }
  | { type: 'cancelled'; reason: string; at: number };

export type Illegal = { illegal: string };

export function isIllegal(s: JobState | Illegal): s is Illegal {
  return 'illegal' in s;
}

/** The pool fields of a state or event, copied without undefined members. */
export function poolRef(from: PoolRef): PoolRef {
  const ref: PoolRef = { poolId: from.poolId };
  if (from.poolPid !== undefined) ref.poolPid = from.poolPid;
  if (from.poolKey !== undefined) ref.poolKey = from.poolKey;
  if (from.host !== undefined) ref.host = from.host;
  return ref;
}

function startedOf(state: JobState): Started | null {
  if (state.tag !== 'running' && state.tag !== 'suspended') return null;
  const started: Started = { ...poolRef(state), pid: state.pid, dir: state.dir, startedAt: state.startedAt };
  if (state.ranIn !== undefined) started.ranIn = state.ranIn;
  if (state.pausedMs !== undefined) started.pausedMs = state.pausedMs;
  if (state.timedOutAt !== undefined) started.timedOutAt = state.timedOutAt;
  return started;
}

/** Running time so far, suspended time not counted. */
export function ranMs(state: Started & { suspendedAt?: number }, now: number): number {
  const held = state.suspendedAt === undefined ? 0 : now - state.suspendedAt;
  return Math.max(0, now - state.startedAt - (state.pausedMs ?? 0) - held);
}

/** One shared, frozen result per exit code: 100,000 finished jobs hold a handful of them. */
const EXITED: readonly JobResult[] = Array.from({ length: 256 }, (_, code) => Object.freeze({ kind: 'exited', code }));

export function exitResult(code: number | null, signal: string | null): JobResult {
  if (signal !== null) return { kind: 'signalled', signal };
  const c = code ?? 0;
  return EXITED[c] ?? { kind: 'exited', code: c };
}

export function step(state: JobState, event: JobEvent, job?: JobOptions): JobState | Illegal {
  const illegal = { illegal: `'${event.type}' cannot happen to a ${state.tag} job` };
  switch (event.type) {
    case 'dispatched': {
      if (state.tag !== 'queued') return illegal;
      return { tag: 'starting', ...poolRef(event) };
    }
    case 'started': {
      if (state.tag !== 'starting') return illegal;
      const ref = event.poolPid === undefined ? poolRef(state) : { ...poolRef(state), poolPid: event.poolPid };
      return { tag: 'running', ...ref, pid: event.pid, dir: event.dir, startedAt: event.at, ...(event.ranIn === undefined ? {} : { ranIn: event.ranIn }) };
    }
    case 'start-failed':
      if (state.tag !== 'starting') return illegal;
      return { tag: 'finished', started: null, endedAt: event.at, result: { kind: 'start-failed', reason: event.reason } };
    case 'suspended': {
      if (state.tag !== 'running') return illegal;
      const next: JobState = { ...state, tag: 'suspended', suspendedAt: event.at };
      if (event.by !== undefined) next.by = event.by;
      return next;
    }
    case 'resumed': {
      if (state.tag !== 'suspended') return illegal;
      const { suspendedAt, by: _by, ...rest } = state;
      const held = event.at === undefined ? 0 : Math.max(0, event.at - suspendedAt);
      if (held === 0) return { ...rest, tag: 'running' };
      return { ...rest, tag: 'running', pausedMs: (rest.pausedMs ?? 0) + held };
    }
    case 'timed-out':
      if (state.tag !== 'running' && state.tag !== 'suspended') return illegal;
      return { ...state, timedOutAt: event.at };
    case 'exited': {
      if (state.tag !== 'running' && state.tag !== 'suspended') return illegal;
      let result = exitResult(event.code, event.signal);
      if (state.timedOutAt !== undefined) {
        result = { kind: 'timed-out', signal: event.signal, code: event.code, afterSec: job?.timeoutSec ?? 0 };
      }
      return { tag: 'finished', started: startedOf(state), endedAt: event.at, result };
    }
    case 'lost':
      if (state.tag === 'finished' || state.tag === 'queued') return illegal;
      return { tag: 'finished', started: startedOf(state), endedAt: event.at, result: { kind: 'lost', reason: event.reason } };
    case 'requeued':
      if (state.tag !== 'starting') return illegal;
      return { tag: 'queued' };
    case 'cancelled':
      if (state.tag !== 'queued') return illegal;
      return { tag: 'finished', started: null, endedAt: event.at, result: { kind: 'cancelled', reason: event.reason } };
  }
}

export function statusOf(state: JobState): JobStatus {
  switch (state.tag) {
    case 'queued':
      return 'queued';
    case 'starting':
    case 'running':
      return 'active';
    case 'suspended':
      return 'suspended';
    case 'finished':
      return 'finished';
  }
}

/** Still needs supervision: counted as "in progress" by shutdown. */
export function inProgress(state: JobState): boolean {
  return state.tag !== 'finished';
}

/** Whole seconds since the start for a job under way; 0 while starting; else null. */
function runningFor(s: JobState, now: number): number | null {
  if (s.tag === 'running' || s.tag === 'suspended') return Math.max(0, Math.floor((now - s.startedAt) / 1000));
  return s.tag === 'starting' ? 0 : null;
}

export function toView(job: Job, now: number, cwdDefault: string | null = null): JobView {
  const s = job.state;
  const started = s.tag === 'running' || s.tag === 'suspended' ? s : s.tag === 'finished' ? s.started : null;
  const poolPid = started?.poolPid ?? (s.tag === 'starting' ? s.poolPid : undefined) ?? null;
  return {
    jobId: job.id,
    status: statusOf(s),
    command: job.command,
    pid: started?.pid ?? null,
    poolPid,
    dir: started?.dir ?? null,
    runningForSec: runningFor(s, now),
    submittedAt: job.submittedAt,
    startedAt: started?.startedAt ?? null,
    endedAt: s.tag === 'finished' ? s.endedAt : null,
    result: s.tag === 'finished' ? s.result : null,
    timeoutSec: job.timeoutSec ?? null,
    cwd: started?.ranIn ?? job.cwd ?? cwdDefault,
    origin: job.origin ?? null,
    pause: null,
    host: started?.host ?? (s.tag === 'starting' ? s.host ?? null : null) ?? (started !== null ? 'local' : null),
    needs: job.needs ?? [],
    waiting: null,
  };
}

/** The short form that list answers carry. */
export function toBrief(job: Job, now: number): JobBrief {
  const s = job.state;
  const finished = s.tag === 'finished';
  return {
    jobId: job.id,
    status: statusOf(s),
    runningForSec: runningFor(s, now),
    outcome: finished ? outcomeOf(s.result) : null,
  };
}
