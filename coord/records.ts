// What the journal holds: the job state machine's own events, so replay is the same
// `step` the live coordinator runs. `new` creates a job; `ev` is one JobEvent for it.
// A compacted journal is the shortest event history that rebuilds each job's state.

import { Fields, attempt } from '../protocol/fields.js';
import type { JobResult } from '../protocol/messages.js';
import type { Job, JobEvent } from './state.js';

export type JournalRecord =
  | { r: 'new'; id: number; cmd: string; at: number }
  | { r: 'ev'; id: number; ev: JobEvent }
  /** A pool process started or ended (history for people; replay needs only job records). */
  | { r: 'pool'; pid: number; state: 'started' | 'ended'; at: number; how?: string };

const EVENT_TYPES = ['dispatched', 'started', 'start-failed', 'suspended', 'resumed', 'exited', 'lost', 'cancelled'] as const;

function readEvent(f: Fields): JobEvent {
  const type = f.oneOf('type', EVENT_TYPES);
  switch (type) {
    case 'dispatched':
      return { type, poolId: f.int('poolId') };
    case 'started':
      return { type, pid: f.int('pid', 1), dir: f.str('dir'), at: f.int('at') };
    case 'start-failed':
    case 'lost':
    case 'cancelled':
      return { type, reason: f.str('reason'), at: f.int('at') };
    case 'suspended':
      return { type, at: f.int('at') };
    case 'resumed':
      return { type };
    case 'exited':
      return { type, code: f.intOrNull('code'), signal: f.strOrNull('signal'), at: f.int('at') };
  }
}

export function parseRecord(value: unknown): JournalRecord | { invalid: string } {
  return attempt((): JournalRecord => {
    const f = new Fields(value, 'a journal record');
    const r = f.oneOf('r', ['new', 'ev', 'pool'] as const);
    if (r === 'new') return { r, id: f.int('id', 1), cmd: f.str('cmd'), at: f.int('at') };
    if (r === 'pool') {
      const rec: JournalRecord = { r, pid: f.int('pid'), state: f.oneOf('state', ['started', 'ended'] as const), at: f.int('at') };
      return f.has('how') ? { ...rec, how: f.str('how') } : rec;
    }
    return { r, id: f.int('id', 1), ev: readEvent(f.obj('ev')) };
  });
}

function endEvent(result: JobResult, at: number): JobEvent {
  switch (result.kind) {
    case 'exited':
      return { type: 'exited', code: result.code, signal: null, at };
    case 'signalled':
      return { type: 'exited', code: null, signal: result.signal, at };
    case 'start-failed':
      return { type: 'start-failed', reason: result.reason, at };
    case 'lost':
      return { type: 'lost', reason: result.reason, at };
    case 'cancelled':
      return { type: 'cancelled', reason: result.reason, at };
  }
}

/** The records that rebuild `job` as it is now (for compaction). */
export function recordsFor(job: Job): JournalRecord[] {
  const out: JournalRecord[] = [{ r: 'new', id: job.id, cmd: job.command, at: job.submittedAt }];
  const ev = (e: JobEvent): void => void out.push({ r: 'ev', id: job.id, ev: e });
  const s = job.state;
  const start = (started: { poolId: number; pid: number; dir: string; startedAt: number }): void => {
    ev({ type: 'dispatched', poolId: started.poolId });
    ev({ type: 'started', pid: started.pid, dir: started.dir, at: started.startedAt });
  };
  switch (s.tag) {
    case 'queued':
      break;
    case 'starting':
      ev({ type: 'dispatched', poolId: s.poolId });
      break;
    case 'running':
      start(s);
      break;
    case 'suspended':
      start(s);
      ev({ type: 'suspended', at: s.suspendedAt });
      break;
    case 'finished':
      if (s.started !== null) start(s.started);
      else if (s.result.kind !== 'cancelled') ev({ type: 'dispatched', poolId: 0 });
      ev(endEvent(s.result, s.endedAt));
      break;
  }
  return out;
}

