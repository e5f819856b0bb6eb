// Per-job bookkeeping the coordinator keeps beside the job table: one timer per job
// (timeouts, kill escalation), on the coordinator's clock, and the promises of consoles
// waiting for jobs to end.

import type { Clock, Timer } from '../core/clock.js';

import { RequestCancelledError } from '../../protocol/errors.js';

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

/** Consoles waiting for jobs to end; a waiter that gives up (cancel) leaves nothing behind. */
export class EndWaiters {
  private readonly waiting = new Map<number, Set<() => void>>();

  /** Resolves once every job of `ids` has ended (`ended` called); rejects when `signal` aborts. */
  allEnded(ids: readonly number[], signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const hooks = new Map<number, () => void>();
      const unhook = (): void => {
        for (const [id, fn] of hooks) this.off(id, fn);
        hooks.clear();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        unhook();
        reject(new RequestCancelledError());
      };
      for (const id of new Set(ids)) {
        const fn = (): void => {
          hooks.delete(id);
          if (hooks.size > 0) return;
          unhook();
          resolve();
        };
        hooks.set(id, fn);
        this.on(id, fn);
      }
      if (hooks.size === 0) resolve();
      else if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  ended(jobId: number): void {
    const fns = this.waiting.get(jobId);
    if (fns === undefined) return;
    this.waiting.delete(jobId);
    for (const fn of fns) fn();
  }

  private on(jobId: number, fn: () => void): void {
    let fns = this.waiting.get(jobId);
    if (fns === undefined) {
      fns = new Set();
      this.waiting.set(jobId, fns);
    }
    fns.add(fn);
  }

  private off(jobId: number, fn: () => void): void {
    const fns = this.waiting.get(jobId);
    fns?.delete(fn);
    if (fns?.size === 0) this.waiting.delete(jobId);
  }
}
