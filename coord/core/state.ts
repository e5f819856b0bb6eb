// The job state machine, pure: a job's state with the data each state carries, and
// `step(state, event)` which returns the next state or an `{ illegal }` value. Time
// comes in with the events, so this is tested without clocks or processes.

import type { OnExit, StagedFile } from '../../protocol/batch.js';
import {
  outcomeOf, type AttemptView, type Outcome, type JobBrief, type JobResult, type JobStatus, type JobView, type Origin,
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
  /** `by`: held by pause-all (continued by resume-all), or outside its run windows (continued when they open). */
  | ({ tag: 'suspended'; suspendedAt: number; by?: SuspendedBy } & Started)
  /** `archived`: what it saved is in the archive (or could not be put there). */
  | Finished;

export type SuspendedBy = 'pause' | 'window';

export interface Finished {
  tag: 'finished';
  started: Started | null;
  endedAt: number;
  result: JobResult;
  archived?: true;
}

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
  /** Of a batch (its key, `namespace/name`), with its name there. */
  batch?: string;
  name?: string;
  /** A batch's build step, run on host `pin` only. */
  kind?: 'build';
  pin?: string;
  /** JobIDs that must succeed before it starts. */
  after?: number[];
  retries?: number;
  priority?: number;
  /** Held until this time. */
  beginAt?: number;
  onExit?: OnExit;
  /** Files copied into its job directory before it starts (it runs there). */
  files?: StagedFile[];
  /** Runs in its job directory (batch jobs), whose `save` folder, stdout and stderr are archived when it ends. */
  save?: string;
}

export interface Job extends JobOptions {
  id: number;
  command: string;
  submittedAt: number;
  state: JobState;
  /** Its earlier runs, when it was run again (retries). */
  attempts?: Finished[];
}

/**
 * A queued job. What a console's submit carries (its directory, environment and origin)
 * goes into the object literal itself, as for Started (see startedOf): a job made from a
 * shorter literal and filled in field by field held those fields in a separate property
 * array, 40 bytes more for each of 100,000 jobs on record. Any other option is added after.
 */
export function newJob(id: number, command: string, submittedAt: number, options: JobOptions): Job {
  const { cwd, envId, origin, ...rest } = options;
  if (cwd !== undefined && envId !== undefined && origin !== undefined) {
    return Object.assign({ id, command, submittedAt, state: { tag: 'queued' }, cwd, envId, origin } satisfies Job, rest);
  }
  const job: Job = { id, command, submittedAt, state: { tag: 'queued' } };
  if (cwd !== undefined) job.cwd = cwd;
  if (envId !== undefined) job.envId = envId;
  if (origin !== undefined) job.origin = origin;
  return Object.assign(job, rest);
}

export type JobEvent =
  | ({ type: 'dispatched' } & PoolRef)
  | { type: 'started'; pid: number; dir: string; at: number; ranIn?: string; poolPid?: number }
  | { type: 'start-failed'; reason: string; at: number }
  | { type: 'suspended'; at: number; by?: SuspendedBy }
  | { type: 'resumed'; at?: number }
  | { type: 'timed-out'; at: number }
  | { type: 'exited'; code: number | null; signal: string | null; at: number }
  | { type: 'lost'; reason: string; at: number }
  /** Its pool is gone and never started it: it waits for a pool again. */
  | { type: 'requeued'; reason: string; at: number }
  | { type: 'cancelled'; reason: string; at: number }
  /** A job it was to run after did not succeed, so it never runs. */
  | { type: 'dependency-failed'; jobId: number; outcome: Outcome; at: number }
  /** What it saved was archived (or `archive-failed`, which makes it a failed job). */
  | { type: 'archived'; at: number }
  | { type: 'archive-failed'; reason: string; at: number }
  /** It failed or was lost and has retries left: it waits to run again (the run so far becomes an attempt). */
  | { type: 'retry'; at: number };

export type Illegal = { illegal: string };

export function isIllegal(s: JobState | Illegal): s is Illegal {
  return 'illegal' in s;
}

/** A run's fields after its pool's, in one literal (see startedOf). */
function runOf(p: PoolRef, pid: number, dir: string, startedAt: number): Started {
  const { poolId, poolPid, poolKey, host } = p;
  if (poolPid === undefined) {
    if (poolKey === undefined) return host === undefined ? { poolId, pid, dir, startedAt } : { poolId, host, pid, dir, startedAt };
    return host === undefined ? { poolId, poolKey, pid, dir, startedAt } : { poolId, poolKey, host, pid, dir, startedAt };
  }
  if (poolKey === undefined) return host === undefined ? { poolId, poolPid, pid, dir, startedAt } : { poolId, poolPid, host, pid, dir, startedAt };
  return host === undefined ? { poolId, poolPid, poolKey, pid, dir, startedAt } : { poolId, poolPid, poolKey, host, pid, dir, startedAt };
}

/** The pool fields of a state or event, copied without undefined members. */
export function poolRef(from: PoolRef): PoolRef {
  const ref: PoolRef = { poolId: from.poolId };
  if (from.poolPid !== undefined) ref.poolPid = from.poolPid;
  if (from.poolKey !== undefined) ref.poolKey = from.poolKey;
  if (from.host !== undefined) ref.host = from.host;
  return ref;
}

/**
 * What a finished job keeps of its run: one object literal per set of pool fields, so that
 * every Started with the same fields shares one hidden class and holds them all inside the
 * object. Measured in a heap snapshot of 100,000 replayed jobs: made as
 * `{ ...poolRef(state), pid, dir, startedAt }`, each object had a hidden class of its own
 * (a map and a descriptor array, about 24 MB in all); filled in field by field after a
 * shorter literal, each had a separate property array (40 bytes more).
 */
function startedOf(state: JobState): Started | null {
  if (state.tag !== 'running' && state.tag !== 'suspended') return null;
  const started = runOf(state, state.pid, state.dir, state.startedAt);
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
    case 'dependency-failed':
      if (state.tag !== 'queued') return illegal;
      return { tag: 'finished', started: null, endedAt: event.at, result: { kind: 'dependency-failed', jobId: event.jobId, outcome: event.outcome } };
    case 'archived':
      if (state.tag !== 'finished' || state.archived === true) return illegal;
      return { ...state, archived: true };
    case 'archive-failed':
      if (state.tag !== 'finished' || state.archived === true) return illegal;
      return { ...state, archived: true, result: { kind: 'archive-failed', reason: event.reason } };
    case 'retry':
      if (state.tag !== 'finished') return illegal;
      return { tag: 'queued' };
  }
}

/**
 * Steps a job by one event, keeping the run a `retry` leaves behind as an attempt: the
 * one transition the live coordinator and the journal's replay both make. Returns why
 * the event cannot happen, or null.
 */
export function advance(job: Job, event: JobEvent): string | null {
  const next = step(job.state, event, job);
  if (isIllegal(next)) return next.illegal;
  if (event.type === 'retry' && job.state.tag === 'finished') (job.attempts ??= []).push(job.state);
  job.state = next;
  return null;
}

/** Outcomes after which a job with retries left is run again. */
const RETRIED: ReadonlySet<Outcome> = new Set<Outcome>(['failed', 'timed-out', 'lost']);

/** It has ended (and been archived, if it saves) and will not run again: its dependents and hooks may go on. */
export function isFinal(job: Job): boolean {
  const s = job.state;
  return s.tag === 'finished' && !awaitsArchive(job) && !retriesLeft(job);
}

/** It ran and saves files, and they have not been archived yet. */
export function awaitsArchive(job: Job): boolean {
  const s = job.state;
  return s.tag === 'finished' && job.save !== undefined && s.started !== null && s.archived !== true;
}

/** It ended as a retry is for and has retries left. */
export function retriesLeft(job: Job): boolean {
  const s = job.state;
  return s.tag === 'finished' && RETRIED.has(outcomeOf(s.result)) && (job.attempts?.length ?? 0) < (job.retries ?? 0);
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
    batch: job.batch ?? null,
    name: job.name ?? null,
    kind: job.kind ?? 'job',
    after: job.after ?? [],
    retries: job.retries ?? 0,
    attempts: (job.attempts ?? []).map(attemptView),
    priority: job.priority ?? 0,
    beginAt: job.beginAt ?? null,
    hooks: [],
    archive: null,
  };
}

function attemptView(a: Finished): AttemptView {
  return {
    host: a.started?.host ?? (a.started !== null ? 'local' : null), dir: a.started?.dir ?? null, startedAt: a.started?.startedAt ?? null,
    endedAt: a.endedAt, result: a.result,
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
