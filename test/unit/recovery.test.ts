// Unit tests for coord/records.ts and coord/recovery.ts: journal records parsed as
// values, every job state rebuilt from its compacted records, replay of a history
// (ids, rejections, order), reconcile with fake probes, and the probes themselves on
// real files (exit_status, job directories, /proc).

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parseRecord, recordsFor, type JournalRecord } from '../../coord/persist/records.js';
import {
  findJobDir,
  isLiveLeader,
  readExitRecord,
  reconcile,
  reconcileLegacy,
  replay,
  type ExitRecord,
  type PoolFacts,
} from '../../coord/persist/recovery.js';
import type { JobTrace } from '../../protocol/ledger.js';
import { isIllegal, step, type Job, type JobEvent, type JobState, type Started } from '../../coord/core/state.js';

const STARTED: Started = { poolId: 2, pid: 4242, dir: '/tmp/out/jms_u_7_4242_20240101_120000', startedAt: 10_000 };

/** A JSON round trip, as the journal does it. */
function json<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v)) as unknown;
}

// ---------------------------------------------------------------------------------
// parseRecord

t.test('parseRecord: new', async (t) => {
  t.strictSame(parseRecord({ r: 'new', id: 1, cmd: 'echo hi', at: 5 }), { r: 'new', id: 1, cmd: 'echo hi', at: 5 });
  t.strictSame(parseRecord({ r: 'new', id: 3, cmd: '', at: 0, extra: true }), { r: 'new', id: 3, cmd: '', at: 0 },
    'an empty command and at 0 are valid; unknown fields are dropped');
  const bad: Record<string, unknown> = {
    'id 0': { r: 'new', id: 0, cmd: 'x', at: 1 },
    'negative id': { r: 'new', id: -1, cmd: 'x', at: 1 },
    'fractional id': { r: 'new', id: 1.5, cmd: 'x', at: 1 },
    'string id': { r: 'new', id: '1', cmd: 'x', at: 1 },
    'missing cmd': { r: 'new', id: 1, at: 1 },
    'numeric cmd': { r: 'new', id: 1, cmd: 5, at: 1 },
    'missing at': { r: 'new', id: 1, cmd: 'x' },
    'negative at': { r: 'new', id: 1, cmd: 'x', at: -1 },
    'unknown r': { r: 'old', id: 1, cmd: 'x', at: 1 },
    'missing r': { id: 1, cmd: 'x', at: 1 },
    null: null,
    array: [{ r: 'new', id: 1, cmd: 'x', at: 1 }],
    string: 'new',
    number: 1,
  };
  for (const [name, v] of Object.entries(bad)) t.match(parseRecord(v), { invalid: String }, `invalid: ${name}`);
});

t.test('parseRecord: pool history, which replay reads past', async (t) => {
  const started = { r: 'pool', pid: 4242, state: 'started', at: 5 };
  const ended = { r: 'pool', pid: 4242, state: 'ended', at: 9, how: 'was killed by SIGKILL' };
  t.strictSame(parseRecord(started), started);
  t.strictSame(parseRecord(ended), ended);
  for (const bad of [{ ...started, state: 'paused' }, { ...started, pid: 'x' }, { r: 'pool', state: 'started', at: 5 }]) {
    t.ok('invalid' in parseRecord(bad), `rejected: ${JSON.stringify(bad)}`);
  }
  const rep = replay([started, { r: 'new', id: 1, cmd: 'true', at: 1 }, ended]);
  t.equal(rep.rejected, 0, 'pool records are not rejected');
  t.equal(rep.jobs.size, 1);
  t.equal(rep.nextJobId, 2, 'they do not move job ids');
});

t.test('parseRecord: ev, valid and invalid for each event type', async (t) => {
  const valid: Record<JobEvent['type'], JobEvent> = {
    dispatched: { type: 'dispatched', poolId: 0, poolPid: 77, poolKey: 'mx4-a1-1', host: 'local' },
    started: { type: 'started', pid: 1, dir: '/d', at: 0 },
    'start-failed': { type: 'start-failed', reason: 'spawn ENOENT', at: 9 },
    suspended: { type: 'suspended', at: 9 },
    resumed: { type: 'resumed' },
    'timed-out': { type: 'timed-out', at: 9 },
    exited: { type: 'exited', code: 3, signal: null, at: 9 },
    lost: { type: 'lost', reason: 'pool died', at: 9 },
    requeued: { type: 'requeued', reason: 'its pool never started it', at: 9 },
    cancelled: { type: 'cancelled', reason: 'shutdown', at: 9 },
    'dependency-failed': { type: 'dependency-failed', jobId: 2, outcome: 'lost', at: 9 },
    archived: { type: 'archived', at: 9 },
    'archive-failed': { type: 'archive-failed', reason: 'no route', at: 9 },
    retry: { type: 'retry', at: 9 },
  };
  for (const [type, ev] of Object.entries(valid)) {
    t.strictSame(parseRecord({ r: 'ev', id: 4, ev }), { r: 'ev', id: 4, ev }, `valid ${type}`);
    t.strictSame(parseRecord(json({ r: 'ev', id: 4, ev: { ...ev, junk: 1 } })), { r: 'ev', id: 4, ev },
      `valid ${type}, extra fields dropped`);
  }
  t.strictSame(parseRecord({ r: 'ev', id: 4, ev: { type: 'exited', code: null, signal: 'SIGKILL', at: 9 } }),
    { r: 'ev', id: 4, ev: { type: 'exited', code: null, signal: 'SIGKILL', at: 9 } }, 'exited by a signal');
  t.strictSame(parseRecord({ r: 'ev', id: 4, ev: { type: 'exited', at: 9 } }),
    { r: 'ev', id: 4, ev: { type: 'exited', code: null, signal: null, at: 9 } }, 'exited: absent code/signal read as null');

  const invalid: Record<JobEvent['type'], unknown[]> = {
    dispatched: [{ type: 'dispatched' }, { type: 'dispatched', poolId: '1' }, { type: 'dispatched', poolId: -1 }],
    started: [
      { type: 'started', pid: 0, dir: '/d', at: 1 },
      { type: 'started', pid: 5, at: 1 },
      { type: 'started', pid: 5, dir: '/d' },
      { type: 'started', pid: 5.5, dir: '/d', at: 1 },
    ],
    'start-failed': [{ type: 'start-failed', at: 1 }, { type: 'start-failed', reason: 'x' }, { type: 'start-failed', reason: 1, at: 1 }],
    suspended: [{ type: 'suspended' }, { type: 'suspended', at: -5 }, { type: 'suspended', at: '1' }],
    resumed: [{ type: 'resume' }, { type: 'RESUMED' }, { type: 'resumed', at: 'x' }],
    'timed-out': [{ type: 'timed-out' }, { type: 'timed-out', at: -1 }],
    exited: [
      { type: 'exited', code: 1.5, signal: null, at: 1 },
      { type: 'exited', code: -1, signal: null, at: 1 },
      { type: 'exited', code: 0, signal: 9, at: 1 },
      { type: 'exited', code: 0, signal: null },
    ],
    lost: [{ type: 'lost', at: 1 }, { type: 'lost', reason: null, at: 1 }, { type: 'lost', reason: 'x', at: null }],
    requeued: [{ type: 'requeued', at: 1 }, { type: 'requeued', reason: 'x' }],
    cancelled: [{ type: 'cancelled', at: 1 }, { type: 'cancelled', reason: 'x' }, { type: 'cancelled', reason: ['x'], at: 1 }],
    'dependency-failed': [
      { type: 'dependency-failed', outcome: 'failed', at: 1 },
      { type: 'dependency-failed', jobId: 2, outcome: 'exploded', at: 1 },
      { type: 'dependency-failed', jobId: 2, outcome: 'failed' },
    ],
    archived: [{ type: 'archived' }, { type: 'archived', at: 'x' }],
    'archive-failed': [{ type: 'archive-failed', at: 1 }, { type: 'archive-failed', reason: 'x' }],
    retry: [{ type: 'retry' }, { type: 'retry', at: -1 }],
  };
  for (const [type, evs] of Object.entries(invalid)) {
    for (const ev of evs) t.match(parseRecord({ r: 'ev', id: 4, ev }), { invalid: String }, `invalid ${type}: ${JSON.stringify(ev)}`);
  }
  t.match(parseRecord({ r: 'ev', id: 4 }), { invalid: String }, 'ev missing');
  t.match(parseRecord({ r: 'ev', id: 4, ev: null }), { invalid: String }, 'ev null');
  t.match(parseRecord({ r: 'ev', id: 4, ev: [] }), { invalid: String }, 'ev an array');
  t.match(parseRecord({ r: 'ev', id: 4, ev: { poolId: 1 } }), { invalid: String }, 'ev without a type');
  t.match(parseRecord({ r: 'ev', id: 0, ev: valid.resumed }), { invalid: String }, 'ev with id 0');
  t.match(parseRecord({ r: 'ev', ev: valid.resumed }), { invalid: String }, 'ev without id');
});

// ---------------------------------------------------------------------------------
// recordsFor: a round trip through replay for every reachable state

const ROUND_TRIP: Array<{ name: string; state: JobState; count: number }> = [
  { name: 'queued', state: { tag: 'queued' }, count: 1 },
  { name: 'starting', state: { tag: 'starting', poolId: 3 }, count: 2 },
  { name: 'starting on pool 0', state: { tag: 'starting', poolId: 0 }, count: 2 },
  { name: 'running', state: { tag: 'running', ...STARTED }, count: 3 },
  { name: 'suspended', state: { tag: 'suspended', suspendedAt: 15_000, ...STARTED }, count: 4 },
  {
    name: 'finished exited, started',
    state: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'exited', code: 3 } },
    count: 4,
  },
  {
    name: 'finished exited 0, started',
    state: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'exited', code: 0 } },
    count: 4,
  },
  {
    name: 'finished signalled, started',
    state: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'signalled', signal: 'SIGKILL' } },
    count: 4,
  },
  {
    name: 'finished start-failed, not started',
    state: { tag: 'finished', started: null, endedAt: 20_000, result: { kind: 'start-failed', reason: 'spawn ENOENT' } },
    count: 3,
  },
  {
    name: 'finished lost, started',
    state: { tag: 'finished', started: STARTED, endedAt: 20_000, result: { kind: 'lost', reason: 'pool died' } },
    count: 4,
  },
  {
    name: 'finished lost, not started',
    state: { tag: 'finished', started: null, endedAt: 20_000, result: { kind: 'lost', reason: 'pool died' } },
    count: 3,
  },
  {
    name: 'finished cancelled, not started',
    state: { tag: 'finished', started: null, endedAt: 20_000, result: { kind: 'cancelled', reason: 'shutdown' } },
    count: 2,
  },
];

t.test('recordsFor → replay rebuilds every reachable state', async (t) => {
  for (const { name, state, count } of ROUND_TRIP) {
    const job: Job = { id: 7, command: 'sleep 1; echo "é"', submittedAt: 1_234, state };
    const recs = recordsFor(job);
    t.equal(recs.length, count, `${name}: ${count} record(s)`);
    t.strictSame(recs[0], { r: 'new', id: 7, cmd: job.command, at: 1_234 }, `${name}: starts with new`);
    for (const r of recs) t.notMatch(parseRecord(json(r)), { invalid: String }, `${name}: ${JSON.stringify(r)} parses`);
    const rep = replay(json(recs) as unknown[]);
    t.equal(rep.rejected, 0, `${name}: nothing rejected`);
    t.equal(rep.nextJobId, 8, `${name}: next id`);
    t.strictSame(rep.jobs.get(7), job, `${name}: rebuilt deep-equal`);
  }
});

t.test('recordsFor of a state reached through step matches that state', async (t) => {
  // Histories through the state machine, including suspend/resume cycles which a
  // compacted history leaves out.
  const histories: JobEvent[][] = [
    [],
    [{ type: 'dispatched', poolId: 1 }],
    [{ type: 'dispatched', poolId: 1 }, { type: 'started', pid: 9, dir: '/d', at: 2 }],
    [
      { type: 'dispatched', poolId: 1 }, { type: 'started', pid: 9, dir: '/d', at: 2 },
      { type: 'suspended', at: 3 }, { type: 'resumed' }, { type: 'suspended', at: 5 },
    ],
    [
      { type: 'dispatched', poolId: 1 }, { type: 'started', pid: 9, dir: '/d', at: 2 },
      { type: 'suspended', at: 3 }, { type: 'resumed' }, { type: 'exited', code: null, signal: null, at: 7 },
    ],
    [
      { type: 'dispatched', poolId: 1 }, { type: 'started', pid: 9, dir: '/d', at: 2 },
      { type: 'suspended', at: 3 }, { type: 'exited', code: null, signal: 'SIGTERM', at: 7 },
    ],
    [
      { type: 'dispatched', poolId: 1 }, { type: 'started', pid: 9, dir: '/d', at: 2 },
      { type: 'suspended', at: 3 }, { type: 'lost', reason: 'r', at: 7 },
    ],
    [{ type: 'dispatched', poolId: 4 }, { type: 'lost', reason: 'r', at: 7 }],
    [{ type: 'dispatched', poolId: 4 }, { type: 'start-failed', reason: 'r', at: 7 }],
    [{ type: 'cancelled', reason: 'r', at: 7 }],
  ];
  for (const events of histories) {
    const full: JournalRecord[] = [{ r: 'new', id: 2, cmd: 'c', at: 1 }, ...events.map((ev): JournalRecord => ({ r: 'ev', id: 2, ev }))];
    const live = replay(full);
    t.equal(live.rejected, 0, `history ${events.map((e) => e.type).join(',') || '(none)'} is legal`);
    const job = live.jobs.get(2);
    if (job === undefined) {
      t.fail('job 2 rebuilt');
      continue;
    }
    const compacted = recordsFor(job);
    t.ok(compacted.length <= full.length, 'the compacted history is no longer');
    t.strictSame(replay(compacted).jobs.get(2), job, `compacted ${job.state.tag} rebuilds the same job`);
  }
});

// ---------------------------------------------------------------------------------
// replay

const nu = (id: number, cmd = `c${id}`): JournalRecord => ({ r: 'new', id, cmd, at: id * 10 });
const ev = (id: number, e: JobEvent): JournalRecord => ({ r: 'ev', id, ev: e });

t.test('replay', async (t) => {
  t.test('empty', async (t) => {
    const rep = replay([]);
    t.equal(rep.jobs.size, 0);
    t.equal(rep.nextJobId, 1, 'ids start at 1');
    t.equal(rep.rejected, 0);
  });

  t.test('ids continue after the largest one on record', async (t) => {
    t.equal(replay([nu(1), nu(5), nu(3)]).nextJobId, 6, 'max new id + 1');
    const onlyEv = replay([nu(1), ev(9, { type: 'dispatched', poolId: 1 })]);
    t.equal(onlyEv.nextJobId, 10, 'an id mentioned only in an ev record counts too');
    t.equal(onlyEv.rejected, 1, 'that ev record (an unknown job) is rejected');
    t.strictSame([...onlyEv.jobs.keys()], [1]);
    t.equal(replay([nu(2), nu(2)]).nextJobId, 3, 'a duplicate does not change it');
    t.equal(replay([{ r: 'new', id: 50 }, nu(2)]).nextJobId, 3, 'an unreadable record does not count');
  });

  t.test('rejections are counted and change nothing', async (t) => {
    const rep = replay([
      nu(1, 'first'),
      ev(2, { type: 'dispatched', poolId: 1 }), // unknown job
      ev(1, { type: 'started', pid: 5, dir: '/d', at: 3 }), // illegal: queued
      ev(1, { type: 'resumed' }), // illegal: queued
      nu(1, 'second'), // duplicate new
      'garbage',
      { r: 'ev', id: 1, ev: { type: 'exploded' } },
      ev(1, { type: 'dispatched', poolId: 3 }), // legal
      ev(1, { type: 'dispatched', poolId: 4 }), // illegal: starting
      ev(1, { type: 'cancelled', reason: 'x', at: 9 }), // illegal: starting
    ]);
    t.equal(rep.rejected, 8, 'unknown job, 2 illegal, duplicate new, 2 unreadable, 2 illegal');
    t.strictSame(rep.jobs.get(1), { id: 1, command: 'first', submittedAt: 10, state: { tag: 'starting', poolId: 3 } },
      'the first new wins and the legal event applies');
  });

  t.test('jobs come out ordered by id', async (t) => {
    const rep = replay([nu(3), nu(10), nu(1), nu(2), ev(10, { type: 'cancelled', reason: 'x', at: 1 })]);
    t.strictSame([...rep.jobs.keys()], [1, 2, 3, 10]);
    t.equal(rep.jobs.get(10)?.state.tag, 'finished');
  });

  t.test('a whole life', async (t) => {
    const rep = replay([
      nu(1, 'sleep 5'),
      ev(1, { type: 'dispatched', poolId: 2 }),
      ev(1, { type: 'started', pid: 77, dir: '/o/j', at: 100 }),
      ev(1, { type: 'suspended', at: 150 }),
      ev(1, { type: 'resumed' }),
      ev(1, { type: 'exited', code: 1, signal: null, at: 300 }),
    ]);
    t.equal(rep.rejected, 0);
    t.strictSame(rep.jobs.get(1), {
      id: 1, command: 'sleep 5', submittedAt: 10,
      state: { tag: 'finished', started: { poolId: 2, pid: 77, dir: '/o/j', startedAt: 100 }, endedAt: 300, result: { kind: 'exited', code: 1 } },
    });
  });
});

// ---------------------------------------------------------------------------------
// reconcile

const NOW = 99_000;

interface FakeWorld {
  exits?: Record<string, ExitRecord>;
  alive?: number[];
  dirs?: Record<number, { pid: number; dir: string; at: number }>;
}

function probe(world: FakeWorld): {
  exitRecord(dir: string): ExitRecord | null;
  alive(pid: number): boolean;
  findDir(jobId: number): { pid: number; dir: string; at: number } | null;
  calls: string[];
} {
  const calls: string[] = [];
  return {
    calls,
    exitRecord: (dir) => (calls.push(`exitRecord ${dir}`), world.exits?.[dir] ?? null),
    alive: (pid) => (calls.push(`alive ${pid}`), world.alive?.includes(pid) ?? false),
    findDir: (jobId) => (calls.push(`findDir ${jobId}`), world.dirs?.[jobId] ?? null),
  };
}

function job(state: JobState): Job {
  return { id: 7, command: 'c', submittedAt: 1, state };
}

/** Applies a settle verdict through step, as the coordinator does. */
function settle(j: Job, events: readonly JobEvent[]): JobState | { illegal: string } {
  let s: JobState = j.state;
  for (const e of events) {
    const next = step(s, e);
    if (isIllegal(next)) return next;
    s = next;
  }
  return s;
}

/** A pool's knowledge of job 7. */
function trace(over: Partial<JobTrace> = {}): JobTrace {
  return { jobId: 7, starting: true, started: null, end: null, expiredAt: null, ...over };
}

function facts(live: boolean, ...traces: JobTrace[]): PoolFacts {
  return { live, traces: new Map(traces.map((x) => [x.jobId, x])) };
}

t.test('reconcile: what a pool knows decides', async (t) => {
  const keyed: Started = { ...STARTED, poolKey: 'k-1' };
  const starting = job({ tag: 'starting', poolId: 5, poolKey: 'k-1' });
  const running = job({ tag: 'running', ...keyed });
  const suspended = job({ tag: 'suspended', suspendedAt: 11_000, ...keyed });
  const ran = { pid: 888, dir: '/o/jms_u_7_888_20240101_120000', at: 12_000 };
  const startedEv: JobEvent = { type: 'started', pid: 888, dir: ran.dir, at: 12_000 };
  const exited = { kind: 'exited' as const, code: 3, signal: null, at: 13_000 };

  t.strictSame(reconcile(job({ tag: 'queued' }), null, NOW), { kind: 'requeue', events: [] }, 'queued: queued again, no record');
  for (const { name, state } of ROUND_TRIP.filter((c) => c.state.tag === 'finished')) {
    t.strictSame(reconcile(job(state), facts(false), NOW), { kind: 'none' }, `finished (${name}): nothing`);
  }

  for (const live of [true, false]) {
    const f = (x: JobTrace): PoolFacts => facts(live, x);
    const how = live ? 'a live pool' : 'a dead pool';
    t.strictSame(reconcile(starting, f(trace({ started: ran, end: exited })), NOW),
      { kind: 'settle', events: [startedEv, { type: 'exited', code: 3, signal: null, at: 13_000 }], kill: null },
      `${how}: starting, started and exited → started, exited`);
    t.strictSame(reconcile(running, f(trace({ started: ran, end: exited })), NOW),
      { kind: 'settle', events: [{ type: 'exited', code: 3, signal: null, at: 13_000 }], kill: null }, `${how}: running, exited → exited`);
    t.strictSame(reconcile(starting, f(trace({ end: { kind: 'start-failed', reason: 'no cwd', at: 9 } })), NOW),
      { kind: 'settle', events: [{ type: 'start-failed', reason: 'no cwd', at: 9 }], kill: null }, `${how}: start-failed`);
    t.match(reconcile(running, f(trace({ started: ran, end: { kind: 'exited', code: null, signal: 'SIGKILL', at: 14 }, expiredAt: 10 })), NOW),
      { kind: 'settle', events: [{ type: 'lost', reason: /lease/ }] }, `${how}: killed when its lease ran out → lost, saying so`);
    t.strictSame(reconcile(starting, facts(live), NOW),
      { kind: 'requeue', events: [{ type: 'requeued', reason: 'its pool never started it', at: NOW }] },
      `${how}: no trace of a starting job → it was never started: queued again`);
  }
  t.strictSame(reconcile(starting, facts(true, trace({ started: ran })), NOW), { kind: 'adopt', events: [startedEv] },
    'a live pool runs it: adopted, its start recorded');
  t.strictSame(reconcile(suspended, facts(true, trace({ started: ran })), NOW), { kind: 'adopt', events: [] }, 'suspended on a live pool: adopted as it is');
  t.strictSame(reconcile(starting, facts(true, trace()), NOW), { kind: 'adopt', events: [] }, 'a live pool still starting it: adopted (it reports)');
  t.match(reconcile(running, facts(false, trace({ started: ran })), NOW),
    { kind: 'settle', events: [{ type: 'lost', reason: /died while no coordinator watched/ }], kill: 888 },
    'its pool died, the job has no end: lost, and its group is ended');
  t.match(reconcile(running, facts(false, trace({ started: ran })), NOW, 'its pool (pid 9) was killed by SIGKILL'),
    { kind: 'settle', events: [{ type: 'lost', reason: 'its pool (pid 9) was killed by SIGKILL' }] }, 'the reason of a pool that died under the coordinator');
  t.match(reconcile(starting, facts(false, trace()), NOW), { kind: 'settle', events: [{ type: 'lost', reason: /whether it ran is unknown/ }], kill: null },
    'its pool died mid-start: lost, nobody knows whether it ran');
  t.strictSame(reconcile(starting, null, NOW).kind, 'requeue', 'no ledger at all: the pool never started anything');
  t.match(reconcile(running, null, NOW), { kind: 'settle', events: [{ type: 'lost' }], kill: STARTED.pid }, 'running with no ledger: lost');
  t.match(reconcile(starting, facts(false, trace({ end: exited })), NOW), { kind: 'settle', events: [{ type: 'lost' }] },
    'an end without a start is not believed');

  // Every verdict settles legally through step.
  for (const j of [starting, running, suspended]) {
    for (const x of [trace({ started: ran, end: exited }), trace({ started: ran }), trace()]) {
      for (const live of [true, false]) {
        const v = reconcile(j, facts(live, x), NOW);
        if (v.kind !== 'none') settle(j, v.events);
      }
    }
  }
});

t.test('reconcileLegacy: jobs of journals whose pools kept no ledger', async (t) => {
  t.test('queued → requeue, finished → none, without probing', async (t) => {
    const p = probe({ alive: [STARTED.pid], exits: { [STARTED.dir]: { code: 0, signal: null, at: 1 } } });
    t.strictSame(reconcileLegacy(job({ tag: 'queued' }), p, NOW), { kind: 'requeue', events: [] });
    for (const { name, state } of ROUND_TRIP.filter((c) => c.state.tag === 'finished')) {
      t.strictSame(reconcileLegacy(job(state), p, NOW), { kind: 'none' }, name);
    }
    t.strictSame(p.calls, [], 'no probe was called');
  });

  for (const tag of ['running', 'suspended'] as const) {
    t.test(`${tag}`, async (t) => {
      const state: JobState = tag === 'running' ? { tag, ...STARTED } : { tag, suspendedAt: 11_000, ...STARTED };
      const j = job(state);
      const exitCode = probe({ exits: { [STARTED.dir]: { code: 3, signal: null, at: 50_000 } }, alive: [STARTED.pid] });
      const v1 = reconcileLegacy(j, exitCode, NOW);
      t.strictSame(v1, { kind: 'settle', events: [{ type: 'exited', code: 3, signal: null, at: 50_000 }], kill: null },
        'an exit record settles it as exited, even if the pid looks alive');
      t.equal(exitCode.calls[0], `exitRecord ${STARTED.dir}`, 'the exit record is read from the job directory');
      if (v1.kind === 'settle') t.match(settle(j, v1.events), { result: { kind: 'exited', code: 3 } });
      t.match(reconcileLegacy(j, probe({ alive: [STARTED.pid] }), NOW), { kind: 'settle', events: [{ type: 'lost', reason: /older JMS/ }], kill: STARTED.pid },
        'alive: no pool of this version can watch it, so it is ended and lost');
      t.match(reconcileLegacy(j, probe({ alive: [STARTED.pid + 1] }), NOW), { kind: 'settle', events: [{ type: 'lost' }], kill: null }, 'dead: lost');
    });
  }

  t.test('starting', async (t) => {
    const j = job({ tag: 'starting', poolId: 5 });
    const found = { pid: 888, dir: '/o/jms_u_7_888_20240101_120000', at: 12_000 };
    const startedEv: JobEvent = { type: 'started', pid: 888, dir: found.dir, at: 12_000 };
    const withExit = probe({ dirs: { 7: found }, exits: { [found.dir]: { code: 0, signal: null, at: 13_000 } } });
    t.strictSame(reconcileLegacy(j, withExit, NOW), { kind: 'settle', events: [startedEv, { type: 'exited', code: 0, signal: null, at: 13_000 }], kill: null },
      'a found directory with an exit record: started, exited');
    t.equal(withExit.calls[0], 'findDir 7', 'the directory is searched for by job id');
    const none = reconcileLegacy(j, probe({ dirs: { 8: found }, alive: [888] }), NOW);
    t.match(none, { kind: 'settle', events: [{ type: 'lost', reason: /\S/, at: NOW }], kill: null }, 'no directory: lost');
  });
});

// ---------------------------------------------------------------------------------
// The probes on real files

t.test('readExitRecord', async (t) => {
  const dir = t.testdir({
    ok: { exit_status: '{"code":3,"signal":null,"at":5}\n' },
    sig: { exit_status: '{"code":null,"signal":"SIGTERM","at":7}\n' },
    empty: { exit_status: '' },
    garbage: { exit_status: 'not json at all' },
    torn: { exit_status: '{"code":3,"sig' },
    jsonNull: { exit_status: 'null\n' },
    number: { exit_status: '42\n' },
    array: { exit_status: '[]\n' },
    emptyObject: { exit_status: '{}\n' },
    stringCode: { exit_status: '{"code":"3","signal":null,"at":5}\n' },
    missing: {},
  });
  t.strictSame(readExitRecord(join(dir, 'ok')), { code: 3, signal: null, at: 5 }, 'code 3');
  t.strictSame(readExitRecord(join(dir, 'sig')), { code: null, signal: 'SIGTERM', at: 7 }, 'a signal');
  for (const name of ['empty', 'garbage', 'torn', 'jsonNull', 'number', 'missing']) {
    t.equal(readExitRecord(join(dir, name)), null, `${name}: null`);
  }
  t.equal(readExitRecord(join(dir, 'no-such-dir')), null, 'a missing directory: null');
  for (const name of ['array', 'emptyObject', 'stringCode']) {
    t.equal(readExitRecord(join(dir, name)), null, `${name}: null`);
  }
});

t.test('findJobDir', async (t) => {
  const out = t.testdir({
    jms_alice_1_4242_20240101_120000: {},
    jms_alice_12_5555_20240101_120001: {},
    jms_alice_2_x_20240101_120000: {},
    jms_alice_3_77_2024010_120000: {},
    jms_bob_1_7777_20240102_000000: {},
    jms_alice_1_extra_4242_20240101_120000: {},
    '.jms_starting_5_4242': {},
    'jms_alice_5_1_20240101_120000.txt': 'not a dir name match',
  });

  const one = findJobDir(out, 'alice', 1);
  t.match(one, { pid: 4242, dir: join(out, 'jms_alice_1_4242_20240101_120000') }, 'alice job 1');
  const twelve = findJobDir(out, 'alice', 12);
  t.match(twelve, { pid: 5555, dir: join(out, 'jms_alice_12_5555_20240101_120001') }, 'alice job 12, not job 1');
  t.match(findJobDir(out, 'bob', 1), { pid: 7777, dir: join(out, 'jms_bob_1_7777_20240102_000000') }, 'bob job 1');
  t.equal(findJobDir(out, 'carol', 1), null, 'another user: none');
  t.equal(findJobDir(out, 'ali', 1), null, 'a user name prefix: none');
  t.equal(findJobDir(out, 'alice', 2), null, 'a malformed pid: none');
  t.equal(findJobDir(out, 'alice', 3), null, 'a malformed date: none');
  t.equal(findJobDir(out, 'alice', 4), null, 'no such job: none');
  t.equal(findJobDir(out, 'alice', 5), null, 'a suffix after the time: none');
  t.equal(findJobDir(join(out, 'nope'), 'alice', 1), null, 'a missing output directory: none');

  // The directory's mtime in ms is a 41-bit number; choose one whose low 32 bits have the
  // top bit set (July 2024), so the result does not depend on today's date.
  const when = 1_720_134_403_000;
  t.ok(when % 2 ** 32 >= 2 ** 31, 'the chosen time wraps negative in 32 bits');
  const jobDir = join(out, 'jms_alice_1_4242_20240101_120000');
  fs.utimesSync(jobDir, new Date(when), new Date(when));
  t.equal(fs.statSync(jobDir).mtimeMs, when, 'mtime set');
  const again = findJobDir(out, 'alice', 1);
  t.equal(again?.at, when, 'at is the directory mtime in ms');
  // What recovery then does with it: settle [started at, exited], journal it, replay it.
  if (again !== null) {
    const rep = replay(json([
      nu(1),
      ev(1, { type: 'dispatched', poolId: 1 }),
      ev(1, { type: 'started', pid: again.pid, dir: again.dir, at: again.at }),
      ev(1, { type: 'exited', code: 0, signal: null, at: when + 1 }),
    ]) as unknown[]);
    t.equal(rep.rejected, 0, 'the started event built from it survives a journal round trip');
    t.equal(rep.jobs.get(1)?.state.tag, 'finished', 'so the job replays as finished');
  }
});

t.test('isLiveLeader', async (t) => {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  t.ok(Number.isInteger(pgrp) && pgrp > 0, `read our process group (${pgrp})`);
  t.equal(isLiveLeader(process.pid), pgrp === process.pid, 'this process: true only if it leads its group');
  if (pgrp !== process.pid && pgrp > 0) {
    // Our group's leader may be in this pid namespace or not; if /proc shows it, it leads its group.
    let leader = '';
    try {
      leader = fs.readFileSync(`/proc/${pgrp}/stat`, 'utf8');
    } catch {
      // Not visible here.
    }
    const state = leader.slice(leader.lastIndexOf(')') + 2).split(' ')[0];
    if (leader !== '' && state !== 'Z') t.equal(isLiveLeader(pgrp), true, 'our group leader is a live leader');
  }
  t.equal(isLiveLeader(2 ** 22 + 12_345), false, 'a pid that cannot exist');
  t.equal(isLiveLeader(0), false, 'pid 0');
  t.equal(isLiveLeader(-1), false, 'a negative pid');
});
