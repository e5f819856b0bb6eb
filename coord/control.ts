// Control over started jobs beyond suspend/resume: kill with escalation, per-job
// timeouts (running time only), and the workstation pause (pause-all, with a clock the
// coordinator keeps). The coordinator owns the job table; this owns the timers and the
// pause, and acts through the narrow `ControlHost` it is given.

import { IllegalStateError } from '../protocol/errors.js';
import type { JobSignal } from '../protocol/pool-messages.js';
import { JobTimers } from './job-timers.js';
import { log } from './log.js';
import type { JournalRecord } from './records.js';
import { ranMs, type Job, type JobEvent, type JobState } from './state.js';

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
  private readonly timeouts = new JobTimers();
  private readonly killTimers = new JobTimers();
  /** Jobs killed while their pool was starting them: killed once they start. */
  private readonly killOnStart = new Set<number>();
  /** pause-all in force: nothing starts, running jobs are held. */
  private pause: { until: number | null; timer: NodeJS.Timeout | null } | null = null;

  constructor(private readonly host: ControlHost) {}

  get paused(): boolean {
    return this.pause !== null;
  }

  /** A job that is still starting is killed as soon as it has started. */
  killWhenStarted(jobId: number): void {
    this.killOnStart.add(jobId);
  }

  /** A job has started: kill it if that was asked, hold it if everything is paused. */
  started(job: Job): void {
    if (this.killOnStart.delete(job.id)) void this.terminate(job);
    else if (this.pause !== null) void this.holdForPause(job);
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
    if (this.pause?.timer) clearTimeout(this.pause.timer);
    this.timeouts.clearAll();
  }

  /** SIGTERM and SIGCONT to a job's group now, SIGKILL after the grace if it is still there. */
  async terminate(job: Job): Promise<string | null> {
    const { host } = this;
    const error = await host.signalGroup(job, 'SIGTERM');
    if (error !== null) return error;
    if (job.state.tag === 'suspended') {
      await host.signalGroup(job, 'SIGCONT');
      if (job.state.tag === 'suspended') host.apply(job, { type: 'resumed', at: Date.now() });
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
    const left = job.timeoutSec * 1000 - ranMs(s, Date.now());
    this.timeouts.set(job.id, left, () => {
      if (job.state.tag !== 'running' || job.state.timedOutAt !== undefined) return;
      log(`JobID ${job.id} ran out of its ${job.timeoutSec ?? 0} s timeout: terminating it`);
      this.host.apply(job, { type: 'timed-out', at: Date.now() });
      void this.terminate(job).then((error) => {
        if (error !== null) log(`JobID ${job.id}: could not terminate it at its timeout: ${error}`);
      });
    });
  }

  /** pause-all: holds every running job (SIGSTOP) and starts nothing until resume-all or `until`. */
  async pauseAll(forSec: number | null): Promise<{ jobs: number; until: number | null }> {
    const until = forSec === null ? null : Date.now() + forSec * 1000;
    this.hold(until);
    this.host.record({ r: 'pause', on: true, until, at: Date.now() });
    const running = [...this.host.underWay()].filter((job) => job.state.tag === 'running');
    const held = await Promise.all(running.map((job) => this.holdForPause(job)));
    return { jobs: held.filter((ok) => ok).length, until };
  }

  /** Puts the pause in force (also at a restart, from the journal), with its clock. */
  hold(until: number | null): void {
    if (this.pause?.timer) clearTimeout(this.pause.timer);
    const timer = until === null ? null : setTimeout(() => {
      log('pause-all: its time is up; resuming');
      this.resumeAll().catch((err: unknown) => log(`pause-all: could not resume: ${err instanceof Error ? err.message : String(err)}`));
    }, Math.max(0, until - Date.now()));
    this.pause = { until, timer };
  }

  private async holdForPause(job: Job): Promise<boolean> {
    if (job.state.tag !== 'running') return false;
    const error = await this.host.signalGroup(job, 'SIGSTOP');
    if (error !== null) {
      log(`pause-all: could not hold JobID ${job.id}: ${error}`);
      return false;
    }
    if (job.state.tag !== 'running') return false;
    this.host.apply(job, { type: 'suspended', at: Date.now(), by: 'pause' });
    return true;
  }

  /** resume-all: continues the jobs pause-all held and lets jobs start again. */
  async resumeAll(): Promise<number> {
    const { host } = this;
    if (this.pause === null) throw new IllegalStateError("nothing is paused; 'pause-all' pauses every running job.");
    if (this.pause.timer !== null) clearTimeout(this.pause.timer);
    this.pause = null;
    host.record({ r: 'pause', on: false, until: null, at: Date.now() });
    const held = [...host.underWay()].filter((job) => job.state.tag === 'suspended' && job.state.by === 'pause');
    const resumed = await Promise.all(held.map(async (job) => {
      const error = await host.signalGroup(job, 'SIGCONT');
      if (error !== null) log(`resume-all: could not continue JobID ${job.id}: ${error}`);
      if (error !== null || job.state.tag !== 'suspended') return false;
      host.apply(job, { type: 'resumed', at: Date.now() });
      return true;
    }));
    host.schedule();
    return resumed.filter((ok) => ok).length;
  }

  /** When pause-all holds a job: until when (null: until resume-all); null when it does not. */
  pauseOf(job: Job): { until: number | null } | null {
    return job.state.tag === 'suspended' && job.state.by === 'pause' ? { until: this.pause?.until ?? null } : null;
  }

  /** The pause as a journal record, for compaction. */
  pauseRecord(): JournalRecord | null {
    return this.pause === null ? null : { r: 'pause', on: true, until: this.pause.until, at: Date.now() };
  }
}
