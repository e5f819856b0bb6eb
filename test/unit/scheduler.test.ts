// Unit tests for coord/scheduler.ts: which queued jobs are dispatched, when a pool is
// started, when a spare pool is warmed and taken over, and what the pool cap and a
// freeze hold back.

import t from 'tap';
import { decide as decideAll, fits, type HostView, type QueuedJob } from '../../coord/core/scheduler.js';

// One host, as the coordinator had before hosts: the effects without the host's name.
type Effect = { type: 'start-pool' } | { type: 'use-spare' } | { type: 'start-spare' } | { type: 'dispatch'; jobId: number };
const START: Effect = { type: 'start-pool' };
const SPARE: Effect = { type: 'start-spare' };
const USE: Effect = { type: 'use-spare' };
const d = (jobId: number): Effect => ({ type: 'dispatch', jobId });

interface SchedulerView { queue: number[]; room: number; spare: boolean; livePools: number; maxPools: number; jobsPerPool: number; frozen: boolean }

function view(over: Partial<SchedulerView>): SchedulerView {
  return { queue: [], room: 0, spare: false, livePools: 0, maxPools: 16, jobsPerPool: 2, frozen: false, ...over };
}

function host(over: Partial<HostView> & { name: string }): HostView {
  return {
    tags: new Set(), open: true, slots: 1000, running: 0, pools: 0, maxPools: 16, room: 0, spare: false, spares: true,
    cost: 0, jobsPerPool: 2, ...over,
  };
}

function decide(v: SchedulerView): Effect[] {
  const h = host({ name: 'local', open: !v.frozen, room: v.room, spare: v.spare, pools: v.livePools, maxPools: v.maxPools, jobsPerPool: v.jobsPerPool });
  return decideAll(v.queue.map((id) => ({ id, needs: [] })), [h]).effects.map((e): Effect => (e.type === 'dispatch' ? d(e.jobId) : { type: e.type }));
}

t.test('empty queue → no effects', async (t) => {
  t.strictSame(decide(view({})), []);
  t.strictSame(decide(view({ room: 3, livePools: 1 })), [], 'even with room');
  t.strictSame(decide(view({ livePools: 16 })), [], 'even at the cap');
});

t.test('room in the current pool → dispatch without starting pools', async (t) => {
  t.strictSame(decide(view({ queue: [1], room: 1, livePools: 1, spare: true })), [d(1)]);
  t.strictSame(decide(view({ queue: [4, 5, 6], room: 4, livePools: 1, jobsPerPool: 5 })), [d(4), d(5), d(6), SPARE],
    'past half the quota: a spare warms up');
  t.strictSame(decide(view({ queue: [4, 5], room: 5, livePools: 1, jobsPerPool: 5 })), [d(4), d(5)],
    'fewer jobs than room');
});

t.test('room runs out → start a pool, fill it, start another', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3, 4, 5], jobsPerPool: 2 })),
    [START, d(1), d(2), START, d(3), d(4), START, d(5), SPARE], 'jobsPerPool 2, 5 jobs, no pools: a spare warms up');
  t.strictSame(decide(view({ queue: [1, 2, 3], room: 1, livePools: 1, jobsPerPool: 2 })),
    [d(1), START, d(2), d(3), SPARE], 'the current pool is filled before a new one starts');
  t.strictSame(decide(view({ queue: [1, 2, 3], jobsPerPool: 1 })),
    [START, d(1), START, d(2), START, d(3), SPARE], 'one job per pool');
  t.strictSame(decide(view({ queue: [1, 2], jobsPerPool: 10 })), [START, d(1), d(2)], 'one pool is enough, no spare yet');
  t.strictSame(decide(view({ queue: [1, 2, 3, 4, 5], jobsPerPool: 10 })), [START, d(1), d(2), d(3), d(4), d(5), SPARE],
    'half the quota taken: a spare starts');
  t.strictSame(decide(view({ queue: [7], livePools: 3 })), [START, d(7), SPARE], 'live but full pools do not take jobs');
  t.strictSame(decide(view({ queue: [7], livePools: 3, jobsPerPool: 4 })), [START, d(7)], 'less than half taken: no spare');
});

t.test('a spare pool takes over when the current one is full', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3], room: 1, spare: true, livePools: 2, jobsPerPool: 2 })),
    [d(1), USE, d(2), d(3), SPARE], 'the spare is used before any new pool starts, then another warms up');
  t.strictSame(decide(view({ queue: [1], room: 0, spare: true, livePools: 2, jobsPerPool: 4 })),
    [USE, d(1)], 'a fresh spare with most of its room left: no new spare');
  t.strictSame(decide(view({ queue: [1, 2], room: 1, spare: true, livePools: 2, maxPools: 2, jobsPerPool: 2 })),
    [d(1), USE, d(2)], 'at the cap the spare still takes over; no spare beyond the cap');
  t.strictSame(decide(view({ queue: [], room: 0, spare: false, livePools: 1 })), [], 'nothing dispatched: no spare');
});

t.test('the maxPools cap stops dispatching', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3, 4, 5], maxPools: 2, jobsPerPool: 2 })),
    [START, d(1), d(2), START, d(3), d(4)], 'job 5 stays queued, and no spare beyond the cap');
  t.strictSame(decide(view({ queue: [1, 2, 3], livePools: 2, maxPools: 2 })), [], 'at the cap with no room: nothing');
  t.strictSame(decide(view({ queue: [1, 2, 3], room: 1, livePools: 2, maxPools: 2 })), [d(1)],
    'at the cap, the room left is still used');
  t.strictSame(decide(view({ queue: [1, 2, 3], livePools: 5, maxPools: 2 })), [], 'over the cap: nothing');
  t.strictSame(decide(view({ queue: [1, 2, 3], maxPools: 0 })), [], 'maxPools 0: nothing');
});

t.test('submission order is preserved', async (t) => {
  const queue = [9, 3, 12, 1, 40, 2, 8];
  const effects = decide(view({ queue, room: 1, livePools: 1, maxPools: 3, jobsPerPool: 2 }));
  const dispatched = effects.flatMap((e) => (e.type === 'dispatch' ? [e.jobId] : []));
  t.strictSame(dispatched, [9, 3, 12, 1, 40], 'a prefix of the queue, in queue order');
  t.equal(effects.filter((e) => e.type === 'start-pool').length, 2, 'two new pools');
  t.strictSame(effects, [d(9), START, d(3), d(12), START, d(1), d(40)], 'the cap leaves no room for a spare');
});

t.test('frozen → no effects', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3], frozen: true })), []);
  t.strictSame(decide(view({ queue: [1, 2, 3], room: 3, livePools: 1, frozen: true })), [], 'even with room');
});

t.test('decide does not mutate its view', async (t) => {
  const hosts = [host({ name: 'a', room: 1, pools: 1, maxPools: 2 }), host({ name: 'b' })];
  const queue: QueuedJob[] = [1, 2, 3, 4].map((id) => ({ id, needs: [] }));
  const copy = structuredClone({ hosts, queue });
  decideAll(queue, hosts);
  t.strictSame({ hosts, queue }, copy);
});

// --- several hosts ------------------------------------------------------------------

const job = (id: number, ...needs: string[]): QueuedJob => ({ id, needs });
const placed = (queue: QueuedJob[], hosts: HostView[]): Array<[number, string]> =>
  decideAll(queue, hosts).effects.flatMap((e) => (e.type === 'dispatch' ? [[e.jobId, e.host] as [number, string]] : []));

t.test('fits: every needed tag, no forbidden one', async (t) => {
  const tags = new Set(['gpu', 'openfoam']);
  t.ok(fits([], tags), 'no needs fit anywhere');
  t.ok(fits(['gpu'], tags));
  t.ok(fits(['gpu', 'openfoam'], tags), 'a subset');
  t.notOk(fits(['gpu', 'licence'], tags), 'a tag it lacks');
  t.notOk(fits(['!gpu'], tags), 'a tag it must not have');
  t.ok(fits(['!cluster', 'gpu'], tags));
});

t.test('jobs land on the hosts their tags require', async (t) => {
  const hosts = [host({ name: 'local', tags: new Set(['cpu']) }), host({ name: 'h1', tags: new Set(['gpu', 'openfoam']), cost: 1 }), host({ name: 'h2', tags: new Set(['openfoam']), cost: 1 })];
  t.same(placed([job(1, 'gpu'), job(2, 'openfoam'), job(3), job(4, 'gpu', 'openfoam'), job(5, '!cpu')], hosts),
    [[1, 'h1'], [2, 'h2'], [3, 'local'], [4, 'h1'], [5, 'h2']],
    'gpu → h1; openfoam → h2 (fewer tags it does not need than h1); none → local (cheapest); both → h1; !cpu → not local');
  const none = decideAll([job(9, 'licence')], hosts);
  t.same(none.effects, [], 'a job whose tags no host has is not placed');
  t.same(none.blocked.get(9), [], 'and no host fits it');
});

t.test('jobs without needs leave the scarce host to jobs that need it', async (t) => {
  const hosts = [host({ name: 'gpu1', tags: new Set(['gpu']), slots: 1 }), host({ name: 'plain', slots: 1 })];
  t.same(placed([job(1), job(2, 'gpu')], hosts), [[1, 'plain'], [2, 'gpu1']], 'the untagged job takes the plain host');
  t.same(placed([job(1), job(2), job(3, 'gpu')], hosts), [[1, 'plain'], [2, 'gpu1']],
    'when the plain host is full, an untagged job may take the gpu host: queue order decides');
});

t.test('slots, down hosts and the order of the queue', async (t) => {
  const hosts = [host({ name: 'h1', tags: new Set(['gpu']), slots: 2, running: 1, pools: 1, room: 1 }), host({ name: 'h2', slots: 3, open: false })];
  const r = decideAll([job(1, 'gpu'), job(2, 'gpu'), job(3), job(4, 'gpu')], hosts);
  t.same(r.effects, [{ type: 'dispatch', jobId: 1, host: 'h1' }], 'h1 has one slot left; h2 is down');
  t.same([...r.blocked], [[2, ['h1']], [3, ['h1', 'h2']], [4, ['h1']]], 'the rest wait, each with the hosts that fit it');
  const later = decideAll([job(1, 'licence'), job(2)], [host({ name: 'a', slots: 1 })]);
  t.same(later.effects.filter((e) => e.type === 'dispatch'), [{ type: 'dispatch', jobId: 2, host: 'a' }],
    'a job that cannot run anywhere does not hold back the next one');
  t.same(placed([job(1, 'gpu'), job(2)], [host({ name: 'g', tags: new Set(['gpu']), slots: 1 })]), [[1, 'g']],
    'capacity goes in queue order: the first job gets the one slot');
});

t.test('cost decides between fitting hosts; avoided hosts come last', async (t) => {
  const hosts = [host({ name: 'cluster', cost: 10, spares: false }), host({ name: 'ws', cost: 1, slots: 1 })];
  t.same(placed([job(1), job(2), job(3)], hosts), [[1, 'ws'], [2, 'cluster'], [3, 'cluster']], 'the workstation first, the cluster when it is full');
  const r = decideAll([job(1), job(2), job(3)], hosts);
  t.notOk(r.effects.some((e) => e.type === 'start-spare' && e.host === 'cluster'), 'no spare pool where pools are scarce');
  t.same(placed([{ id: 1, needs: [], avoid: ['ws'] }], hosts), [[1, 'cluster']], 'a retry avoids the host where it failed');
  t.same(placed([{ id: 1, needs: [], avoid: ['ws', 'cluster'] }], hosts), [[1, 'ws']], 'unless every host was tried');
});

t.test('per-host pools: each host starts and fills its own', async (t) => {
  const hosts = [host({ name: 'a', tags: new Set(['x']), jobsPerPool: 2 }), host({ name: 'b', tags: new Set(['y']), jobsPerPool: 2 })];
  t.same(decideAll([job(1, 'x'), job(2, 'y'), job(3, 'x')], hosts).effects, [
    { type: 'start-pool', host: 'a' }, { type: 'dispatch', jobId: 1, host: 'a' },
    { type: 'start-pool', host: 'b' }, { type: 'dispatch', jobId: 2, host: 'b' },
    { type: 'dispatch', jobId: 3, host: 'a' },
    { type: 'start-spare', host: 'a' }, { type: 'start-spare', host: 'b' },
  ]);
});
