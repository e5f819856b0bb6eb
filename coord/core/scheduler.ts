// Which queued jobs go where, pure: from the queue, the room left in the pool that
// takes jobs now, whether a spare pool stands by, and the number of live pools,
// `decide` returns the effects that the coordinator carries out in order.
//
// A spare pool is started while the current one fills (at half its quota), so that a
// full pool hands over to a pool that has already started instead of stalling the
// queue for a Node start-up.

export interface SchedulerView {
  /** Queued job ids, oldest first. */
  queue: readonly number[];
  /** Jobs the current pool can still take (0 when there is none). */
  room: number;
  /** A started pool stands by, not yet taking jobs. */
  spare: boolean;
  livePools: number;
  maxPools: number;
  jobsPerPool: number;
  /** No new pools and no dispatch (shutting down). */
  frozen: boolean;
}

export type Effect =
  | { type: 'start-pool' }
  | { type: 'use-spare' }
  | { type: 'dispatch'; jobId: number }
  | { type: 'start-spare' };

export function decide(view: SchedulerView): Effect[] {
  const effects: Effect[] = [];
  if (view.frozen) return effects;
  let { room, spare, livePools: live } = view;
  let dispatched = false;
  for (const jobId of view.queue) {
    if (room === 0) {
      if (spare) {
        effects.push({ type: 'use-spare' });
        spare = false;
      } else if (live < view.maxPools) {
        effects.push({ type: 'start-pool' });
        live += 1;
      } else {
        break;
      }
      room = view.jobsPerPool;
    }
    effects.push({ type: 'dispatch', jobId });
    room -= 1;
    dispatched = true;
  }
  if (dispatched && !spare && live < view.maxPools && room <= view.jobsPerPool / 2) {
    effects.push({ type: 'start-spare' });
  }
  return effects;
}
