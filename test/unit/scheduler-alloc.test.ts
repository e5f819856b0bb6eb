// Unit tests for the scheduler on a host whose pools are allocations of their own (a
// Slurm cluster: core/allocations.ts): a pool is asked for the features and time of the
// job it is started for; a pending pool holds the jobs that fit it (queued, in `waits`);
// a running one takes jobs whose features are among its own and whose time fits; no
// spares; the time a job needs and what a pool is asked for.

import t from 'tap';
import {
  choosePool, featuresOf, needSec, nodeFits, placementFor, poolTakes, START_SLACK_SEC, timeFits, type AllocView, type PoolSlot,
} from '../../coord/core/allocations.js';
import { decide, type HostView, type QueuedJob } from '../../coord/core/scheduler.js';

function cluster(over: Partial<HostView> = {}, alloc: Partial<AllocView> = {}): HostView {
  return {
    name: 'cluster', tags: new Set(['big', 'small', 'cluster']), open: true, slots: 100, running: 0, pools: 0, maxPools: 4,
    room: 0, spare: false, spares: false, cost: 10, jobsPerPool: 2,
    alloc: { features: new Set(['big', 'small']), maxTimeSec: 3600, nodes: [], pools: [], ...alloc }, ...over,
  };
}

function slot(over: Partial<PoolSlot> & { id: number }): PoolSlot {
  return { features: new Set(), room: 2, pending: false, timeLeftSec: 3600, whole: true, ...over };
}

const job = (id: number, needs: string[] = [], need?: number): QueuedJob => (need === undefined ? { id, needs } : { id, needs, needSec: need });

t.test('a job without tags on an empty cluster: a pool asked for the whole limit; the job waits for it', async (t) => {
  const d = decide([job(1)], [cluster()]);
  t.strictSame(d.effects, [{ type: 'start-pool', host: 'cluster', place: { features: [], timeSec: 3600, whole: true }, ref: -1 }]);
  t.strictSame([...d.waits], [[1, { host: 'cluster', pool: -1 }]], 'held for the pool this decision starts');
  t.strictSame([...d.blocked], [], 'not blocked: it has a pool coming');
});

t.test("a job's tags that are features become the pool's constraint; host-only tags do not", async (t) => {
  const d = decide([job(1, ['cluster', 'big'])], [cluster()]);
  t.match(d.effects, [{ type: 'start-pool', place: { features: ['big'] } }]);
  t.strictSame(featuresOf(['small', '!gpu', 'big', 'big', 'cluster'], new Set(['big', 'small'])), ['big', 'small'], 'sorted, once each, no forbidden');
});

t.test('jobs fill a pending pool up to its quota, then another pool is asked for', async (t) => {
  const d = decide([job(1), job(2), job(3)], [cluster()]);
  t.strictSame(d.effects.map((e) => e.type), ['start-pool', 'start-pool']);
  t.strictSame([...d.waits].map(([id, w]) => [id, w.pool]), [[1, -1], [2, -1], [3, -2]]);
});

t.test('a running pool takes jobs whose features it has; others get a pool of their own', async (t) => {
  const big = slot({ id: 7, features: new Set(['big']) });
  const d = decide([job(1, ['big']), job(2), job(3, ['small'])], [cluster({ pools: 1 }, { pools: [big] })]);
  t.strictSame(d.effects, [
    { type: 'dispatch', jobId: 1, host: 'cluster', pool: 7 },
    { type: 'dispatch', jobId: 2, host: 'cluster', pool: 7 },
    { type: 'start-pool', host: 'cluster', place: { features: ['small'], timeSec: 3600, whole: true }, ref: -1 },
  ], 'a job without tags may use a pool asked for more; the small one needs its own');
  t.strictSame([...d.waits], [[3, { host: 'cluster', pool: -1 }]]);
});

t.test('a running pool is preferred to a pending one; a pending one to a new one', async (t) => {
  const pending = slot({ id: 3, pending: true });
  const running = slot({ id: 4, room: 1 });
  const d = decide([job(1), job(2), job(3)], [cluster({ pools: 2 }, { pools: [pending, running] })]);
  t.strictSame(d.effects, [{ type: 'dispatch', jobId: 1, host: 'cluster', pool: 4 }]);
  t.strictSame([...d.waits].map(([id, w]) => [id, w.pool]), [[2, 3], [3, 3]]);
});

t.test('at max_pools a job no pool can take is blocked, with the host named', async (t) => {
  const big = slot({ id: 1, features: new Set(['big']) });
  const d = decide([job(1, ['small'])], [cluster({ pools: 1, maxPools: 1 }, { pools: [big] })]);
  t.strictSame(d.effects, []);
  t.strictSame([...d.blocked], [[1, ['cluster']]]);
});

t.test('time: a pool takes only jobs whose time fits in what it has left; no-timeout jobs only whole pools', async (t) => {
  const short = slot({ id: 1, timeLeftSec: 100, whole: false });
  t.ok(poolTakes(short, [], 90));
  t.notOk(poolTakes(short, [], 101), 'longer than its time left');
  t.notOk(poolTakes(short, [], undefined), 'a job without a timeout needs a whole pool');
  t.ok(poolTakes(slot({ id: 2, timeLeftSec: null }), [], 1e9), 'no limit');
  t.notOk(poolTakes(slot({ id: 3, room: 0 }), [], 10), 'full');
  const d = decide([job(1, [], 100), job(2, [], 500)], [cluster({ pools: 1 }, { pools: [short] })]);
  t.strictSame(d.effects, [
    { type: 'dispatch', jobId: 1, host: 'cluster', pool: 1 },
    { type: 'start-pool', host: 'cluster', place: { features: [], timeSec: 540, whole: false }, ref: -1 },
  ], 'the second needs 500 s: a pool of 9 minutes');
});

t.test('what a pool is asked for, and what a job needs', async (t) => {
  const alloc: AllocView = { features: new Set(), maxTimeSec: 600, nodes: [], pools: [] };
  t.strictSame(placementFor(alloc, [], 61), { features: [], timeSec: 120, whole: false }, 'whole minutes');
  t.strictSame(placementFor(alloc, [], 590), { features: [], timeSec: 600, whole: true }, 'never more than the limit');
  t.strictSame(placementFor(alloc, ['big'], undefined), { features: ['big'], timeSec: 600, whole: true });
  t.strictSame(placementFor({ ...alloc, maxTimeSec: null }, [], undefined), { features: [], timeSec: null, whole: true }, 'no limit: none asked');
  t.equal(needSec(60, 5000), 60 + 5 + START_SLACK_SEC);
  t.equal(needSec(undefined, 5000), undefined);
  t.ok(timeFits(600, 600) && timeFits(undefined, 10) && timeFits(1e6, null));
  t.notOk(timeFits(601, 600));
});

t.test('a job too long for the cluster goes elsewhere, or is blocked with no host named', async (t) => {
  const local: HostView = { ...cluster(), name: 'local', tags: new Set(), cost: 0, spares: true };
  delete local.alloc;
  const d = decide([job(1, [], 7200)], [cluster(), local]);
  t.strictSame(d.effects.filter((e) => e.type !== 'start-spare'), [{ type: 'start-pool', host: 'local' }, { type: 'dispatch', jobId: 1, host: 'local' }]);
  const only = decide([job(2, ['cluster'], 7200)], [cluster(), local]);
  t.strictSame([...only.blocked], [[2, []]], 'the cluster does not fit it at all');
});

t.test('workstations first; the cluster when they are full or lack the tags; forbidding the cluster', async (t) => {
  const ws: HostView = { ...cluster(), name: 'h1', tags: new Set(['ws']), cost: 1, spares: true, slots: 1, maxPools: 1 };
  delete ws.alloc;
  const d = decide([job(1), job(2), job(3, ['!cluster']), job(4, ['cluster'])], [cluster(), ws]);
  t.strictSame(d.effects.filter((e) => e.type === 'dispatch').map((e) => [e.jobId, e.host]), [[1, 'h1']], 'the first fills the workstation');
  t.strictSame([...d.waits].map(([id, w]) => [id, w.host]), [[2, 'cluster'], [4, 'cluster']], 'the second and the cluster job go to the cluster');
  t.strictSame([...d.blocked], [[3, ['h1']]], '!cluster waits for the workstation');
});

t.test('features no kind of node has together: the cluster does not fit the job', async (t) => {
  const nodes = [new Set(['big', 'tagA']), new Set(['small'])];
  const d = decide([job(1, ['big', 'small']), job(2, ['big']), job(3)], [cluster({}, { nodes })]);
  t.strictSame([...d.blocked], [[1, []]], 'big and small are on no one node');
  t.strictSame([...d.waits].map(([id]) => id), [2, 3]);
  t.ok(nodeFits([], ['x']), 'kinds not known yet: nothing is ruled out');
  t.ok(nodeFits(nodes, []) && nodeFits(nodes, ['tagA', 'big']));
  t.notOk(nodeFits(nodes, ['tagA', 'small']));
});

t.test('closed (paused, down, off) cluster: nothing is asked for', async (t) => {
  const d = decide([job(1)], [cluster({ open: false })]);
  t.strictSame(d.effects, []);
  t.strictSame([...d.blocked], [[1, ['cluster']]]);
});

t.test('choosePool: the closest fit among running pools', async (t) => {
  const alloc: AllocView = {
    features: new Set(['a', 'b']), maxTimeSec: null, nodes: [],
    pools: [slot({ id: 1, features: new Set(['a', 'b']) }), slot({ id: 2, features: new Set(['a']) }), slot({ id: 3, features: new Set() })],
  };
  t.equal(choosePool(alloc, [], undefined)?.id, 3);
  t.equal(choosePool(alloc, ['a'], undefined)?.id, 2);
  t.equal(choosePool(alloc, ['b'], undefined)?.id, 1);
});
