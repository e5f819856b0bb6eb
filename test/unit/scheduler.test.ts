// Unit tests for coord/scheduler.ts: which queued jobs are dispatched, when a pool is
// started, when a spare pool is warmed and taken over, and what the pool cap and a
// freeze hold back.

import t from 'tap';
import { decide, type Effect, type SchedulerView } from '../../coord/core/scheduler.js';

const START: Effect = { type: 'start-pool' };
const SPARE: Effect = { type: 'start-spare' };
const USE: Effect = { type: 'use-spare' };
const d = (jobId: number): Effect => ({ type: 'dispatch', jobId });

function view(over: Partial<SchedulerView>): SchedulerView {
  return { queue: [], room: 0, spare: false, livePools: 0, maxPools: 16, jobsPerPool: 2, frozen: false, ...over };
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
  const v = view({ queue: [1, 2, 3, 4], room: 1, livePools: 1, maxPools: 2 });
  const copy = structuredClone(v);
  decide(v);
  t.strictSame(v, copy);
});
