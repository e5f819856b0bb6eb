// The job state machine, pure: a job's state with the data each state carries, and
// `step(state, event)` which returns the next state or an `{ illegal }` value. Time
// comes in with the events, so this is tested without clocks or processes.

import { jobFailed, type JobBrief, type JobResult, type JobStatus, type JobView } from '../protocol/messages.js';

export interface Started {
  poolId: number;
  pid: number;
  dir: string;
  startedAt: number;
}

export type JobState =
  | { tag: 'queued' }
  | { tag: 'starting'; poolId: number }
  | ({ tag: 'running' } & Started)
  | ({ tag: 'suspended'; suspendedAt: number } & Started)
  | { tag: 'finished'; started: Started | null; endedAt: number; result: JobResult };

export interface Job {
  id: number;
  command: string;
  submittedAt: number;
  state: JobState;
}

export type JobEvent =
  | { type: 'dispatched'; poolId: number }
  | { type: 'started'; pid: number; dir: string; at: number }
  | { type: 'start-failed'; reason: string; at: number }
  | { type: 'suspended'; at: number }
  | { type: 'resumed' }
  | { type: 'exited'; code: number | null; signal: string | null; at: number }
  | { type: 'lost'; reason: string; at: number }
  | { type: 'cancelled'; reason: string; at: number };

export type Illegal = { illegal: string };

export function isIllegal(s: JobState | Illegal): s is Illegal {
  return 'illegal' in s;
}

function startedOf(state: JobState): Started | null {
  switch (state.tag) {
    case 'running':
    case 'suspended':
      return { poolId: state.poolId, pid: state.pid, dir: state.dir, startedAt: state.startedAt };
    case 'queued':
    case 'starting':
    case 'finished':
      return null;
  }
}

export function exitResult(code: number | null, signal: string | null): JobResult {
  if (signal !== null) return { kind: 'signalled', signal };
  return { kind: 'exited', code: code ?? 0 };
}

export function step(state: JobState, event: JobEvent): JobState | Illegal {
  const illegal = { illegal: `'${event.type}' cannot happen to a ${state.tag} job` };
  switch (event.type) {
    case 'dispatched':
      return state.tag === 'queued' ? { tag: 'starting', poolId: event.poolId } : illegal;
    case 'started':
      if (state.tag !== 'starting') return illegal;
      return { tag: 'running', poolId: state.poolId, pid: event.pid, dir: event.dir, startedAt: event.at };
    case 'start-failed':
      if (state.tag !== 'starting') return illegal;
      return { tag: 'finished', started: null, endedAt: event.at, result: { kind: 'start-failed', reason: event.reason } };
    case 'suspended':
      return state.tag === 'running' ? { ...state, tag: 'suspended', suspendedAt: event.at } : illegal;
    case 'resumed': {
      if (state.tag !== 'suspended') return illegal;
      const { suspendedAt: _dropped, ...rest } = state;
      return { ...rest, tag: 'running' };
    }
    case 'exited':
      if (state.tag !== 'running' && state.tag !== 'suspended') return illegal;
      return { tag: 'finished', started: startedOf(state), endedAt: event.at, result: exitResult(event.code, event.signal) };
    case 'lost':
      if (state.tag === 'finished' || state.tag === 'queued') return illegal;
      return { tag: 'finished', started: startedOf(state), endedAt: event.at, result: { kind: 'lost', reason: event.reason } };
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

export function toView(job: Job, now: number): JobView {
  const s = job.state;
  const started = s.tag === 'running' || s.tag === 'suspended' ? s : s.tag === 'finished' ? s.started : null;
  return {
    jobId: job.id,
    status: statusOf(s),
    command: job.command,
    pid: started?.pid ?? null,
    runningForSec: runningFor(s, now),
    submittedAt: job.submittedAt,
    result: s.tag === 'finished' ? s.result : null,
  };
}

/** The short form that list answers carry. */
export function toBrief(job: Job, now: number): JobBrief {
  const s = job.state;
  return {
    jobId: job.id,
    status: statusOf(s),
    runningForSec: runningFor(s, now),
    failed: s.tag === 'finished' && jobFailed(s.result),
  };
}
