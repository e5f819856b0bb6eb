// Which queued jobs go where, pure: from the queue, the room left in the pool that
// takes jobs now, and the number of live pools, `decide` returns the effects that
// the coordinator carries out in order.

export interface SchedulerView {
  /** Queued job ids, oldest first. */
  queue: readonly number[];
  /** Jobs the current pool can still take (0 when there is none). */
  room: number;
  livePools: number;
  maxPools: number;
  jobsPerPool: number;
  /** No new pools and no dispatch (shutting down). */
  frozen: boolean;
}

export type Effect = { type: 'start-pool' } | { type: 'dispatch'; jobId: number };

export function decide(view: SchedulerView): Effect[] {
  const effects: Effect[] = [];
  if (view.frozen) return effects;
  let room = view.room;
  let live = view.livePools;
  for (const jobId of view.queue) {
    if (room === 0) {
      if (live >= view.maxPools) break;
      effects.push({ type: 'start-pool' });
      live += 1;
      room = view.jobsPerPool;
    }
    effects.push({ type: 'dispatch', jobId });
    room -= 1;
  }
  return effects;
}
