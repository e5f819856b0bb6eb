// What holds a queued job (core/holds.ts), pure: dependencies in chains and diamonds
// and how a failure reaches every job after it, begin times and batch windows against an
// injected time, a batch's build per host, and the queue order of priorities.

import t from 'tap';
import { before, depState, holdOf, type BuildState, type HoldContext } from '../../coord/core/holds.js';
import type { Job, JobState } from '../../coord/core/state.js';
import { parseWindows, type Windows } from '../../protocol/windows.js';

const DONE: JobState = { tag: 'finished', started: null, endedAt: 1, result: { kind: 'exited', code: 0 } };
const FAILED: JobState = { tag: 'finished', started: null, endedAt: 1, result: { kind: 'exited', code: 1 } };
const KILLED: JobState = { tag: 'finished', started: null, endedAt: 1, result: { kind: 'signalled', signal: 'SIGKILL' } };
const LOST: JobState = { tag: 'finished', started: null, endedAt: 1, result: { kind: 'lost', reason: 'its pool died' } };
const QUEUED: JobState = { tag: 'queued' };

function table(jobs: Job[]): (id: number) => Job | undefined {
  const m = new Map(jobs.map((j) => [j.id, j]));
  return (id) => m.get(id);
}

function job(id: number, state: JobState, extra: Partial<Job> = {}): Job {
  return { id, command: `job ${id}`, submittedAt: id, state, ...extra };
}

function ctx(jobs: Job[], over: Partial<HoldContext> = {}): HoldContext {
  return { now: 0, job: table(jobs), batchWindows: () => null, build: () => null, ...over };
}

const fmt = (ms: number): string => `t=${ms}`;

t.test('a chain: each waits for the one before; a failure ends every job after it', async (t) => {
  const a = job(1, QUEUED);
  const b = job(2, QUEUED, { after: [1] });
  const c = job(3, QUEUED, { after: [2] });
  const look = table([a, b, c]);
  t.same(depState(b, look), { kind: 'waiting', on: [1] });
  t.same(depState(c, look), { kind: 'waiting', on: [2] });
  a.state = DONE;
  t.same(depState(b, look), { kind: 'ready' }, 'b is free once a succeeded');
  t.same(depState(c, look), { kind: 'waiting', on: [2] }, 'c still waits for b');
  b.state = FAILED;
  t.same(depState(c, look), { kind: 'failed', jobId: 2, outcome: 'failed' }, 'b failed: c never runs');
  c.state = { tag: 'finished', started: null, endedAt: 2, result: { kind: 'dependency-failed', jobId: 2, outcome: 'failed' } };
  const d = job(4, QUEUED, { after: [3] });
  t.same(depState(d, table([a, b, c, d])), { kind: 'failed', jobId: 3, outcome: 'dependency-failed' }, 'and so on down the chain');
});

t.test('a diamond: the join waits for both sides; killed or lost on one side fails it', async (t) => {
  for (const [name, bad, outcome] of [['killed', KILLED, 'killed'], ['lost', LOST, 'lost'], ['failed', FAILED, 'failed']] as const) {
    const top = job(1, DONE);
    const left = job(2, QUEUED, { after: [1] });
    const right = job(3, QUEUED, { after: [1] });
    const join = job(4, QUEUED, { after: [2, 3] });
    const look = table([top, left, right, join]);
    t.same(depState(left, look), { kind: 'ready' });
    t.same(depState(join, look), { kind: 'waiting', on: [2, 3] }, 'both sides pending');
    left.state = DONE;
    t.same(depState(join, look), { kind: 'waiting', on: [3] }, 'one side done');
    right.state = bad;
    t.same(depState(join, look), { kind: 'failed', jobId: 3, outcome }, `${name} on one side`);
    t.same(holdOf(join, ctx([top, left, right, join]), fmt), { kind: 'dependency-failed', jobId: 3, outcome }, 'holdOf says so');
  }
});

t.test('a job whose dependency still has retries left, or is still to be archived, waits', async (t) => {
  const dep = job(1, FAILED, { retries: 2 });
  const after = job(2, QUEUED, { after: [1] });
  t.same(depState(after, table([dep, after])), { kind: 'waiting', on: [1] }, 'it may yet succeed');
  const saving = job(3, { tag: 'finished', started: { poolId: 1, pid: 5, dir: '/d', startedAt: 0 }, endedAt: 1, result: { kind: 'exited', code: 0 } }, { save: 'out' });
  const next = job(4, QUEUED, { after: [3] });
  t.same(depState(next, table([saving, next])), { kind: 'waiting', on: [3] }, 'not archived yet');
  saving.state = { ...saving.state, tag: 'finished', archived: true } as JobState;
  t.same(depState(next, table([saving, next])), { kind: 'ready' }, 'archived: it goes');
});

t.test('a long chain is answered without recursion', async (t) => {
  const jobs: Job[] = [job(1, FAILED)];
  for (let i = 2; i <= 10_000; i++) jobs.push(job(i, QUEUED, { after: [i - 1] }));
  const look = table(jobs);
  const last = jobs[jobs.length - 1];
  if (last === undefined) throw new Error('no jobs');
  t.same(depState(last, look), { kind: 'waiting', on: [9_999] }, 'the last waits only on the one before it');
});

t.test('--begin holds until its time; the hold says until when', async (t) => {
  const j = job(1, QUEUED, { beginAt: 5_000 });
  t.same(holdOf(j, ctx([j], { now: 4_999 }), fmt), { kind: 'held', why: 'held until t=5000 (--begin)', until: 5_000 });
  t.same(holdOf(j, ctx([j], { now: 5_000 }), fmt), { kind: 'free' }, 'free at its time');
});

t.test('batch windows: a week of nights, minute by minute on an injected clock', async (t) => {
  const w = parseWindows('mon-fri 19:00-08:00, sat-sun');
  if ('error' in w) throw new Error(w.error);
  const windows: Windows = w;
  const j = job(1, QUEUED, { batch: 'a/b' });
  // A Monday at 00:00 local time.
  const monday = new Date(2026, 10, 30, 0, 0, 0).getTime();
  let free = 0;
  let held = 0;
  let openedAt: number | null = null;
  for (let m = 0; m < 7 * 24 * 60; m++) {
    const now = monday + m * 60_000;
    const h = holdOf(j, ctx([j], { now, batchWindows: () => windows }), fmt);
    const hour = new Date(now).getHours();
    const day = new Date(now).getDay();
    const weekend = day === 0 || day === 6;
    // A night belongs to the day it starts: Monday 00:00-08:00 is Sunday's, and sat-sun ends at midnight.
    const open = weekend || hour >= 19 || (hour < 8 && day >= 2 && day <= 6);
    if (h.kind === 'free') free += 1;
    if (h.kind === 'held') {
      held += 1;
      if (openedAt === null) openedAt = h.until;
    }
    if ((h.kind === 'free') !== open) {
      t.fail(`minute ${m}: ${h.kind} but the window is ${open ? 'open' : 'shut'}`);
      return;
    }
  }
  t.equal(held, (19 + 4 * 11) * 60, 'held Monday until 19:00, then 11 hours on each weekday');
  t.equal(free, 7 * 24 * 60 - held);
  t.equal(openedAt, monday + 19 * 3600_000, 'the first hold names Monday 19:00 as when it opens');
});

t.test("a batch's build: held until it ran on some host, then only where it succeeded", async (t) => {
  const j = job(1, QUEUED, { batch: 'a/b' });
  const at = (b: BuildState | null): ReturnType<typeof holdOf> => holdOf(j, ctx([j], { build: () => b }), fmt);
  t.same(at({ succeeded: [], pending: ['h1', 'h2'] }), { kind: 'held', why: "waiting for its batch's build (on h1, h2)", until: null });
  t.same(at({ succeeded: ['h2'], pending: ['h1'] }), { kind: 'free', only: ['h2'] }, 'goes where it built');
  t.same(at(null), { kind: 'free' }, 'no build step');
  const build = job(2, QUEUED, { batch: 'a/b', kind: 'build', pin: 'h1' });
  t.same(holdOf(build, ctx([build]), fmt), { kind: 'free', only: ['h1'] }, 'a build runs on its own host only');
});

t.test('priorities order the queue; ties keep submission order', async (t) => {
  const jobs = [job(1, QUEUED), job(2, QUEUED, { priority: 5 }), job(3, QUEUED, { priority: -2 }), job(4, QUEUED), job(5, QUEUED, { priority: 5 })];
  const sorted = [...jobs].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).map((j) => j.id);
  t.same(sorted, [2, 5, 1, 4, 3]);
});
