// Jobs that outlived a coordinator and were found still running at start-up. They have
// no pool to report their end, so they are watched through /proc; their orphaned pool
// writes `exit_status` into the job directory when they end, and that is their result.

import { readExitRecord, isLiveLeader } from './recovery.js';
import type { JobEvent } from '../core/state.js';

const WATCH_MS = 200;
/** How long after the job is gone its exit record may still be on its way. */
const RECORD_WAIT_MS = 2000;

interface Watched {
  pid: number;
  dir: string;
  goneSince: number | null;
}

export class Adopted {
  private readonly jobs = new Map<number, Watched>();
  private timer: NodeJS.Timeout | null = null;
  private emptied: (() => void) | null = null;

  constructor(private readonly onEnd: (jobId: number, event: JobEvent) => void) {}

  get size(): number {
    return this.jobs.size;
  }

  ids(): number[] {
    return [...this.jobs.keys()];
  }

  has(jobId: number): boolean {
    return this.jobs.has(jobId);
  }

  add(jobId: number, pid: number, dir: string): void {
    this.jobs.set(jobId, { pid, dir, goneSince: null });
    this.timer ??= setInterval(() => this.check(), WATCH_MS);
  }

  /** SIGTERM (and SIGCONT) to every adopted job, SIGKILL after the grace; resolves when all ended. */
  terminateAll(graceMs: number): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    for (const job of this.jobs.values()) {
      killGroup(job.pid, 'SIGTERM');
      killGroup(job.pid, 'SIGCONT');
    }
    const kill = setTimeout(() => {
      for (const job of this.jobs.values()) killGroup(job.pid, 'SIGKILL');
    }, graceMs);
    return new Promise((resolve) => {
      this.emptied = () => {
        clearTimeout(kill);
        resolve();
      };
    });
  }

  private check(): void {
    const now = Date.now();
    for (const [jobId, job] of this.jobs) {
      if (isLiveLeader(job.pid)) continue;
      // Whatever the job left running in its group ends with it, as under a pool.
      if (job.goneSince === null) killGroup(job.pid, 'SIGKILL');
      const rec = readExitRecord(job.dir);
      job.goneSince ??= now;
      if (rec === null && now - job.goneSince < RECORD_WAIT_MS) continue;
      this.jobs.delete(jobId);
      this.onEnd(jobId, rec !== null
        ? { type: 'exited', code: rec.code, signal: rec.signal, at: rec.at }
        : { type: 'lost', reason: 'it ended while its pool was gone and its exit status is unknown', at: now });
    }
    if (this.jobs.size === 0) {
      if (this.timer !== null) clearInterval(this.timer);
      this.timer = null;
      this.emptied?.();
    }
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}
