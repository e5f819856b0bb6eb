// Unit tests for coord/state.ts: the full (state, event) transition table, the usual
// paths through a job's life, and the view the coordinator shows for each state.

import t from 'tap';
import {
  ranMs,
  exitResult,
  inProgress,
  isIllegal,
  statusOf,
  step,
  toBrief,
  toView,
  type Illegal,
  type Job,
  type JobEvent,
  type JobState,
} from '../../coord/core/state.js';

const STARTED = { poolId: 2, pid: 4242, dir: '/tmp/jms/job_1', startedAt: 10_000 };

const STATES: Record<JobState['tag'], JobState> = {
  queued: { tag: 'queued' },
  starting: { tag: 'starting', poolId: 2 },
  running: { tag: 'running', ...STARTED },
  suspended: { tag: 'suspended', suspendedAt: 15_000, ...STARTED },
  finished: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'exited', code: 0 } },
};

const EVENTS: Record<JobEvent['type'], JobEvent> = {
  dispatched: { type: 'dispatched', poolId: 7, poolKey: 'k-7', host: 'local' },
  started: { type: 'started', pid: 999, dir: '/tmp/jms/job_9', at: 11_000 },
  'start-failed': { type: 'start-failed', reason: 'spawn /bin/sh ENOENT', at: 12_000 },
  suspended: { type: 'suspended', at: 13_000 },
  resumed: { type: 'resumed' },
  'timed-out': { type: 'timed-out', at: 13_500 },
  exited: { type: 'exited', code: 3, signal: null, at: 14_000 },
  lost: { type: 'lost', reason: 'its pool died', at: 16_000 },
  requeued: { type: 'requeued', reason: 'its pool never started it', at: 16_500 },
  cancelled: { type: 'cancelled', reason: 'shutdown', at: 17_000 },
  'dependency-failed': { type: 'dependency-failed', jobId: 2, outcome: 'failed', at: 17_500 },
  archived: { type: 'archived', at: 18_000 },
  'archive-failed': { type: 'archive-failed', reason: 'host down', at: 18_500 },
  retry: { type: 'retry', at: 19_000 },
};

type Tag = JobState['tag'];
type EventType = JobEvent['type'];

/** The expected next state for every legal pair; a missing entry means illegal. */
const LEGAL: Partial<Record<Tag, Partial<Record<EventType, JobState>>>> = {
  queued: {
    dispatched: { tag: 'starting', poolId: 7, poolKey: 'k-7', host: 'local' },
    cancelled: { tag: 'finished', started: null, endedAt: 17_000, result: { kind: 'cancelled', reason: 'shutdown' } },
    'dependency-failed': { tag: 'finished', started: null, endedAt: 17_500, result: { kind: 'dependency-failed', jobId: 2, outcome: 'failed' } },
  },
  starting: {
    started: { tag: 'running', poolId: 2, pid: 999, dir: '/tmp/jms/job_9', startedAt: 11_000 },
    'start-failed': {
      tag: 'finished', started: null, endedAt: 12_000, result: { kind: 'start-failed', reason: 'spawn /bin/sh ENOENT' },
    },
    lost: { tag: 'finished', started: null, endedAt: 16_000, result: { kind: 'lost', reason: 'its pool died' } },
    requeued: { tag: 'queued' },
  },
  running: {
    suspended: { tag: 'suspended', ...STARTED, suspendedAt: 13_000 },
    'timed-out': { tag: 'running', ...STARTED, timedOutAt: 13_500 },
    exited: { tag: 'finished', started: STARTED, endedAt: 14_000, result: { kind: 'exited', code: 3 } },
    lost: { tag: 'finished', started: STARTED, endedAt: 16_000, result: { kind: 'lost', reason: 'its pool died' } },
  },
  suspended: {
    resumed: { tag: 'running', ...STARTED },
    'timed-out': { tag: 'suspended', suspendedAt: 15_000, ...STARTED, timedOutAt: 13_500 },
    exited: { tag: 'finished', started: STARTED, endedAt: 14_000, result: { kind: 'exited', code: 3 } },
    lost: { tag: 'finished', started: STARTED, endedAt: 16_000, result: { kind: 'lost', reason: 'its pool died' } },
  },
  finished: {
    archived: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'exited', code: 0 }, archived: true },
    'archive-failed': { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'archive-failed', reason: 'host down' }, archived: true },
    retry: { tag: 'queued' },
  },
};

function must(s: JobState | Illegal): JobState {
  if (isIllegal(s)) throw new Error(`unexpected illegal transition: ${s.illegal}`);
  return s;
}

t.test('the full transition table', async (t) => {
  const tags = Object.keys(STATES) as Tag[];
  const types = Object.keys(EVENTS) as EventType[];
  t.equal(tags.length, 5, 'five states');
  t.equal(types.length, 14, 'fourteen events');
  let legal = 0;
  for (const tag of tags) {
    for (const type of types) {
      const before = structuredClone(STATES[tag]);
      const got = step(STATES[tag], EVENTS[type]);
      const expected = LEGAL[tag]?.[type];
      if (expected !== undefined) {
        legal += 1;
        t.notOk(isIllegal(got), `${tag} + ${type} is legal`);
        t.strictSame(got, expected, `${tag} + ${type} → ${expected.tag}`);
      } else {
        t.ok(isIllegal(got), `${tag} + ${type} is illegal`);
        t.strictSame(Object.keys(got), ['illegal'], `${tag} + ${type}: only 'illegal'`);
        if (isIllegal(got)) {
          t.ok(got.illegal.length > 0, `${tag} + ${type}: has a reason`);
          t.match(got.illegal, new RegExp(`'${type}'.*${tag}`), `${tag} + ${type}: names the event and the state`);
        }
      }
      t.strictSame(STATES[tag], before, `${tag} + ${type}: the input state is not mutated`);
    }
  }
  t.equal(legal, 18, 'eighteen legal transitions');
});

t.test('resuming drops suspendedAt', async (t) => {
  const resumed = must(step(STATES.suspended, { type: 'resumed' }));
  t.equal(resumed.tag, 'running');
  t.notOk('suspendedAt' in resumed, 'no suspendedAt on a running job');
});

t.test('queued → starting → running → suspended → running → finished', async (t) => {
  let s: JobState = { tag: 'queued' };
  s = must(step(s, { type: 'dispatched', poolId: 1 }));
  t.strictSame(s, { tag: 'starting', poolId: 1 });
  s = must(step(s, { type: 'started', pid: 50, dir: '/out/job_1', at: 1_000 }));
  t.strictSame(s, { tag: 'running', poolId: 1, pid: 50, dir: '/out/job_1', startedAt: 1_000 });
  s = must(step(s, { type: 'suspended', at: 2_000 }));
  t.strictSame(s, { tag: 'suspended', poolId: 1, pid: 50, dir: '/out/job_1', startedAt: 1_000, suspendedAt: 2_000 });
  s = must(step(s, { type: 'resumed' }));
  t.strictSame(s, { tag: 'running', poolId: 1, pid: 50, dir: '/out/job_1', startedAt: 1_000 });
  s = must(step(s, { type: 'suspended', at: 3_000 }));
  s = must(step(s, { type: 'resumed' }));
  s = must(step(s, { type: 'exited', code: 0, signal: null, at: 9_000 }));
  t.strictSame(s, {
    tag: 'finished',
    started: { poolId: 1, pid: 50, dir: '/out/job_1', startedAt: 1_000 },
    endedAt: 9_000,
    result: { kind: 'exited', code: 0 },
  });
  t.ok(isIllegal(step(s, { type: 'resumed' })), 'nothing happens to a finished job');
});

t.test('exit results', async (t) => {
  const running = STATES.running;
  const signalled = must(step(running, { type: 'exited', code: null, signal: 'SIGKILL', at: 1 }));
  t.strictSame(signalled.tag === 'finished' ? signalled.result : null, { kind: 'signalled', signal: 'SIGKILL' },
    'exited with a signal → signalled');
  const three = must(step(running, { type: 'exited', code: 3, signal: null, at: 1 }));
  t.strictSame(three.tag === 'finished' ? three.result : null, { kind: 'exited', code: 3 }, 'code 3 → exited code 3');
  const fromSuspended = must(step(STATES.suspended, { type: 'exited', code: null, signal: 'SIGTERM', at: 1 }));
  t.strictSame(fromSuspended.tag === 'finished' ? fromSuspended.result : null, { kind: 'signalled', signal: 'SIGTERM' },
    'a suspended job killed by a signal');

  t.strictSame(exitResult(0, null), { kind: 'exited', code: 0 });
  t.strictSame(exitResult(3, null), { kind: 'exited', code: 3 });
  t.strictSame(exitResult(null, 'SIGTERM'), { kind: 'signalled', signal: 'SIGTERM' });
  t.strictSame(exitResult(1, 'SIGKILL'), { kind: 'signalled', signal: 'SIGKILL' }, 'the signal wins over a code');
});

t.test('start-failed', async (t) => {
  const s = must(step({ tag: 'starting', poolId: 1 }, { type: 'start-failed', reason: 'spawn EACCES', at: 5 }));
  t.strictSame(s, { tag: 'finished', started: null, endedAt: 5, result: { kind: 'start-failed', reason: 'spawn EACCES' } });
  t.ok(isIllegal(step(STATES.running, { type: 'start-failed', reason: 'x', at: 5 })), 'not once running');
  t.ok(isIllegal(step(STATES.queued, { type: 'start-failed', reason: 'x', at: 5 })), 'not before dispatch');
});

t.test('lost from starting, running and suspended', async (t) => {
  for (const tag of ['starting', 'running', 'suspended'] as const) {
    const s = must(step(STATES[tag], { type: 'lost', reason: 'pool 2 exited', at: 30 }));
    t.equal(s.tag, 'finished', `${tag} → finished`);
    if (s.tag === 'finished') {
      t.strictSame(s.result, { kind: 'lost', reason: 'pool 2 exited' }, `${tag}: result lost`);
      t.strictSame(s.started, tag === 'starting' ? null : STARTED, `${tag}: started data kept`);
      t.equal(s.endedAt, 30);
    }
  }
  t.ok(isIllegal(step(STATES.queued, { type: 'lost', reason: 'x', at: 1 })), 'a queued job cannot be lost');
  t.ok(isIllegal(step(STATES.finished, { type: 'lost', reason: 'x', at: 1 })), 'a finished job cannot be lost');
});

t.test('cancelled only from queued', async (t) => {
  const s = must(step(STATES.queued, { type: 'cancelled', reason: 'the coordinator shut down', at: 7 }));
  t.strictSame(s, { tag: 'finished', started: null, endedAt: 7, result: { kind: 'cancelled', reason: 'the coordinator shut down' } });
  for (const tag of ['starting', 'running', 'suspended', 'finished'] as const) {
    t.ok(isIllegal(step(STATES[tag], { type: 'cancelled', reason: 'x', at: 1 })), `not from ${tag}`);
  }
});

t.test('statusOf and inProgress', async (t) => {
  t.equal(statusOf(STATES.queued), 'queued');
  t.equal(statusOf(STATES.starting), 'active');
  t.equal(statusOf(STATES.running), 'active');
  t.equal(statusOf(STATES.suspended), 'suspended');
  t.equal(statusOf(STATES.finished), 'finished');

  t.equal(inProgress(STATES.queued), true);
  t.equal(inProgress(STATES.starting), true);
  t.equal(inProgress(STATES.running), true);
  t.equal(inProgress(STATES.suspended), true);
  t.equal(inProgress(STATES.finished), false);
});

function job(state: JobState): Job {
  return { id: 1, command: 'sleep 100', submittedAt: 9_000, state };
}

t.test('toView', async (t) => {
  const base = {
    jobId: 1, command: 'sleep 100', submittedAt: 9_000, poolPid: null, endedAt: null, timeoutSec: null, cwd: null, origin: null, pause: null, host: null, needs: [], waiting: null,
    batch: null, name: null, kind: 'job', after: [], retries: 0, attempts: [], priority: 0, beginAt: null, hooks: [], archive: null,
  };
  const ran = { dir: STARTED.dir, startedAt: STARTED.startedAt, host: 'local' };
  const never = { dir: null, startedAt: null };
  t.strictSame(toView(job(STATES.queued), 50_000),
    { ...base, ...never, status: 'queued', pid: null, runningForSec: null, result: null }, 'queued');
  t.strictSame(toView(job(STATES.starting), 50_000),
    { ...base, ...never, status: 'active', pid: null, runningForSec: 0, result: null }, 'starting: no pid yet, 0 s');
  t.strictSame(toView(job(STATES.running), 50_000),
    { ...base, ...ran, status: 'active', pid: 4242, runningForSec: 40, result: null }, 'running');
  t.strictSame(toView(job(STATES.suspended), 50_000),
    { ...base, ...ran, status: 'suspended', pid: 4242, runningForSec: 40, result: null }, 'suspended');
  t.strictSame(toView(job(STATES.finished), 50_000),
    { ...base, ...ran, endedAt: 20_000, status: 'finished', pid: 4242, runningForSec: null, result: { kind: 'exited', code: 0 } },
    'finished keeps the pid');
  const failed: JobState = { tag: 'finished', started: null, endedAt: 1, result: { kind: 'start-failed', reason: 'x' } };
  t.strictSame(toView(job(failed), 50_000),
    { ...base, ...never, endedAt: 1, status: 'finished', pid: null, runningForSec: null, result: { kind: 'start-failed', reason: 'x' } },
    'a job that never started has no pid');
  const withOptions = { ...job(STATES.running), cwd: '/w', timeoutSec: 5, origin: { user: 'u', host: 'h', consolePid: 3 } };
  t.match(toView(withOptions, 50_000), { cwd: '/w', timeoutSec: 5, origin: { consolePid: 3 } }, 'submit options are shown');
  t.equal(toView(job(STATES.queued), 1, '/coord').cwd, '/coord', 'no cwd of its own: the default given');
  const retried: Job = {
    ...job(STATES.running), batch: 'alice/b', name: 'solve', kind: 'build', after: [3], retries: 2, priority: 4, beginAt: 7,
    attempts: [{ tag: 'finished', started: { ...STARTED, host: 'h1' }, endedAt: 19_000, result: { kind: 'exited', code: 1 } }],
  };
  t.match(toView(retried, 50_000), {
    batch: 'alice/b', name: 'solve', kind: 'build', after: [3], retries: 2, priority: 4, beginAt: 7,
    attempts: [{ host: 'h1', dir: STARTED.dir, startedAt: STARTED.startedAt, endedAt: 19_000, result: { kind: 'exited', code: 1 } }],
  }, 'batch, dependency, retry and attempt fields are shown');
});

t.test('toView: runningForSec is the floor of whole seconds since start', async (t) => {
  for (const tag of ['running', 'suspended'] as const) {
    const j = job(STATES[tag]);
    t.equal(toView(j, 10_000).runningForSec, 0, `${tag}: 0 at the start`);
    t.equal(toView(j, 10_999).runningForSec, 0, `${tag}: 0 just before a second`);
    t.equal(toView(j, 11_000).runningForSec, 1, `${tag}: 1 at a second`);
    t.equal(toView(j, 11_999).runningForSec, 1, `${tag}: still 1`);
    t.equal(toView(j, 10_000 + 3_600_500).runningForSec, 3600, `${tag}: an hour`);
    t.equal(toView(j, 9_000).runningForSec, 0, `${tag}: never negative if the clock went back`);
  }
  for (const tag of ['queued', 'finished'] as const) {
    t.equal(toView(job(STATES[tag]), 99_999).runningForSec, null, `${tag}: null`);
  }
  t.equal(toView(job(STATES.starting), 99_999).runningForSec, 0, 'starting: 0');
});

t.test('pid is null until started and kept after finished', async (t) => {
  let s: JobState = { tag: 'queued' };
  t.equal(toView(job(s), 0).pid, null, 'queued');
  s = must(step(s, { type: 'dispatched', poolId: 1 }));
  t.equal(toView(job(s), 0).pid, null, 'starting');
  s = must(step(s, { type: 'started', pid: 77, dir: '/d', at: 0 }));
  t.equal(toView(job(s), 0).pid, 77, 'running');
  s = must(step(s, { type: 'suspended', at: 1 }));
  t.equal(toView(job(s), 0).pid, 77, 'suspended');
  s = must(step(s, { type: 'exited', code: null, signal: 'SIGKILL', at: 2 }));
  t.equal(toView(job(s), 0).pid, 77, 'finished');
});

t.test('toBrief: what list answers carry, and that it agrees with toView', async (t) => {
  const now = 52_400;
  for (const [tag, state] of Object.entries(STATES)) {
    const v = toView(job(state), now);
    const b = toBrief(job(state), now);
    const outcome = tag === 'finished' ? 'succeeded' : null;
    t.strictSame(b, { jobId: v.jobId, status: v.status, runningForSec: v.runningForSec, outcome }, `${tag}`);
  }
  const ended = (result: Extract<JobState, { tag: 'finished' }>['result']): boolean =>
    toBrief(job({ tag: 'finished', started: null, endedAt: 1, result }), now).outcome !== 'succeeded';
  t.equal(ended({ kind: 'exited', code: 0 }), false, 'exit 0 is a success');
  t.equal(ended({ kind: 'exited', code: 2 }), true, 'exit 2 failed');
  t.equal(ended({ kind: 'signalled', signal: 'SIGKILL' }), true, 'killed');
  t.equal(ended({ kind: 'lost', reason: 'x' }), true, 'lost');
  t.equal(ended({ kind: 'start-failed', reason: 'x' }), true, 'never started');
  t.equal(ended({ kind: 'cancelled', reason: 'x' }), true, 'cancelled');
  t.equal(ended({ kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 1 }), true, 'timed out');
});

t.test('a timeout: running time only, and the end says it timed out', async (t) => {
  let s: JobState = { tag: 'running', poolId: 1, pid: 5, dir: '/d', startedAt: 1_000 };
  s = must(step(s, { type: 'suspended', at: 3_000 }));
  t.equal(s.tag === 'suspended' ? ranMs(s, 10_000) : -1, 2_000, 'suspended time does not count');
  s = must(step(s, { type: 'resumed', at: 13_000 }));
  t.equal(s.tag === 'running' ? ranMs(s, 14_000) : -1, 3_000, 'the 10 s held are left out after resuming');
  s = must(step(s, { type: 'timed-out', at: 14_000 }));
  t.ok(isIllegal(step({ tag: 'queued' }, { type: 'timed-out', at: 1 })), 'a queued job cannot time out');
  const end = must(step(s, { type: 'exited', code: null, signal: 'SIGTERM', at: 14_100 }, { timeoutSec: 3 }));
  t.strictSame(end.tag === 'finished' ? end.result : null, { kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 3 });
  const paused = must(step({ tag: 'running', poolId: 1, pid: 5, dir: '/d', startedAt: 0 }, { type: 'suspended', at: 1, by: 'pause' }));
  t.equal(paused.tag === 'suspended' ? paused.by : undefined, 'pause', 'held by pause-all says so');
});
