// Control over started jobs beyond suspend/resume: kill with escalation and per-job
// timeouts (running time only), on the coordinator's clock, and the workstation pause
// (engine/pauses.ts). The coordinator owns the job table; this owns the timers, and acts
// through the narrow `ControlHost` it is given.

import type { JobSignal } from '../../protocol/pool-messages.js';
import type { Clock } from '../core/clock.js';
import { JobTimers } from './job-timers.js';
import { Pauses } from './pauses.js';
import { log } from '../util/log.js';
import type { JournalRecord } from '../persist/records.js';
import { ranMs, type Job, type JobEvent, type JobState } from '../core/state.js';

export interface ControlHost {
  /** Between SIGTERM and SIGKILL. */
  graceMs(): number;
  /** Jobs started and not ended. */
  underWay(): Iterable<Job>;
  /** Sends a signal to a started job's process group; the error, or null. */
  signalGroup(job: Job, signal: JobSignal): Promise<string | null>;
  apply(job: Job, event: JobEvent): void;
  record(rec: JournalRecord): void;
  /** Lets queued jobs start, if anything allows it. */
  schedule(): void;
}

export class JobControl {
  private readonly timeouts: JobTimers;
  private readonly killTimers: JobTimers;
  /** Jobs killed while their pool was starting them: killed once they start. */
  private readonly killOnStart = new Set<number>();
  /** pause-all, for everything or one host. */
  readonly pauses: Pauses;

  constructor(
    private readonly clock: Clock,
    private readonly host: ControlHost,
  ) {
    this.timeouts = new JobTimers(clock);
    this.killTimers = new JobTimers(clock);
    this.pauses = new Pauses(clock, host);
  }

  /** A job that is still starting is killed as soon as it has started. */
  killWhenStarted(jobId: number): void {
    this.killOnStart.add(jobId);
  }

  /** A job has started: kill it if that was asked, hold it if everything is paused. */
  started(job: Job): void {
    if (this.killOnStart.delete(job.id)) void this.terminate(job);
    else this.pauses.started(job);
  }

  /** Timers follow a job's state: its timeout runs only while it runs; an end clears all. */
  stepped(job: Job, s: JobState): void {
    if (s.tag === 'running') {
      if (job.timeoutSec !== undefined) this.armTimeout(job);
      return;
    }
    this.timeouts.clear(job.id);
    if (s.tag !== 'finished') return;
    this.killTimers.clear(job.id);
    this.killOnStart.delete(job.id);
  }

  /** Shutdown: no more timeouts or automatic resume (the pools end every job). */
  stop(): void {
    this.pauses.stop();
    this.timeouts.clearAll();
  }

  /** SIGTERM and SIGCONT to a job's group now, SIGKILL after the grace if it is still there. */
  async terminate(job: Job): Promise<string | null> {
    const { host } = this;
    const error = await host.signalGroup(job, 'SIGTERM');
    if (error !== null) return error;
    if (job.state.tag === 'suspended') {
      await host.signalGroup(job, 'SIGCONT');
      if (job.state.tag === 'suspended') host.apply(job, { type: 'resumed', at: this.clock.now() });
    }
    const grace = host.graceMs();
    this.killTimers.set(job.id, grace, () => {
      if (job.state.tag === 'running' || job.state.tag === 'suspended') {
        log(`JobID ${job.id} outlived its SIGTERM by ${grace} ms: SIGKILL`);
        void host.signalGroup(job, 'SIGKILL');
      }
    });
    return null;
  }

  /** Starts (or restarts) the clock of a running job with a timeout: running time only. */
  armTimeout(job: Job): void {
    const s = job.state;
    if (job.timeoutSec === undefined || s.tag !== 'running' || s.timedOutAt !== undefined) return;
    const left = job.timeoutSec * 1000 - ranMs(s, this.clock.now());
    this.timeouts.set(job.id, left, () => {
      if (job.state.tag !== 'running' || job.state.timedOutAt !== undefined) return;
      log(`JobID ${job.id} ran out of its ${job.timeoutSec ?? 0} s timeout: terminating it`);
      this.host.apply(job, { type: 'timed-out', at: this.clock.now() });
      void this.terminate(job).then((error) => {
        if (error !== null) log(`JobID ${job.id}: could not terminate it at its timeout: ${error}`);
      });
    });
  }
}
