// Unit tests for coord/scheduler.ts: which queued jobs are dispatched, when a pool is
// started, and what the pool cap and a freeze hold back.

import t from 'tap';
import { decide, type Effect, type SchedulerView } from '../../coord/scheduler.js';

const START: Effect = { type: 'start-pool' };
const d = (jobId: number): Effect => ({ type: 'dispatch', jobId });

function view(over: Partial<SchedulerView>): SchedulerView {
  return { queue: [], room: 0, livePools: 0, maxPools: 16, jobsPerPool: 2, frozen: false, ...over };
}

t.test('empty queue → no effects', async (t) => {
  t.strictSame(decide(view({})), []);
  t.strictSame(decide(view({ room: 3, livePools: 1 })), [], 'even with room');
  t.strictSame(decide(view({ livePools: 16 })), [], 'even at the cap');
});

t.test('room in the current pool → dispatch without starting pools', async (t) => {
  t.strictSame(decide(view({ queue: [1], room: 1, livePools: 1 })), [d(1)]);
  t.strictSame(decide(view({ queue: [4, 5, 6], room: 3, livePools: 1, jobsPerPool: 5 })), [d(4), d(5), d(6)]);
  t.strictSame(decide(view({ queue: [4, 5], room: 5, livePools: 1, jobsPerPool: 5 })), [d(4), d(5)],
    'fewer jobs than room');
});

t.test('room runs out → start a pool, fill it, start another', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3, 4, 5], jobsPerPool: 2 })),
    [START, d(1), d(2), START, d(3), d(4), START, d(5)], 'jobsPerPool 2, 5 jobs, no pools');
  t.strictSame(decide(view({ queue: [1, 2, 3], room: 1, livePools: 1, jobsPerPool: 2 })),
    [d(1), START, d(2), d(3)], 'the current pool is filled before a new one starts');
  t.strictSame(decide(view({ queue: [1, 2, 3], jobsPerPool: 1 })),
    [START, d(1), START, d(2), START, d(3)], 'one job per pool');
  t.strictSame(decide(view({ queue: [1, 2], jobsPerPool: 10 })), [START, d(1), d(2)], 'one pool is enough');
  t.strictSame(decide(view({ queue: [7], livePools: 3 })), [START, d(7)], 'live but full pools do not take jobs');
});

t.test('the maxPools cap stops dispatching', async (t) => {
  t.strictSame(decide(view({ queue: [1, 2, 3, 4, 5], maxPools: 2, jobsPerPool: 2 })),
    [START, d(1), d(2), START, d(3), d(4)], 'job 5 stays queued');
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
  t.strictSame(effects, [d(9), START, d(3), d(12), START, d(1), d(40)]);
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
