// Per-job bookkeeping the coordinator keeps beside the job table: one timer per job
// (timeouts, kill escalation), on the coordinator's clock, and the promises of consoles
// waiting for jobs to end.

import type { Clock, Timer } from '../core/clock.js';

/** At most one timer per JobID; setting again replaces it. */
export class JobTimers {
  private readonly timers = new Map<number, Timer>();

  constructor(private readonly clock: Clock) {}

  set(jobId: number, ms: number, fire: () => void): void {
    this.clear(jobId);
    this.timers.set(jobId, this.clock.after(ms, () => {
      this.timers.delete(jobId);
      fire();
    }));
  }

  clear(jobId: number): void {
    this.timers.get(jobId)?.cancel();
    this.timers.delete(jobId);
  }

  clearAll(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }
}

/** Promises that settle when a job ends. */
export class EndWaiters {
  private readonly waiting = new Map<number, { promise: Promise<void>; resolve: () => void }>();

  /** Settles when `ended(jobId)` is called. */
  endOf(jobId: number): Promise<void> {
    let w = this.waiting.get(jobId);
    if (w === undefined) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      w = { promise, resolve };
      this.waiting.set(jobId, w);
    }
    return w.promise;
  }

  ended(jobId: number): void {
    const w = this.waiting.get(jobId);
    if (w === undefined) return;
    this.waiting.delete(jobId);
    w.resolve();
  }
}
