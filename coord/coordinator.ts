// The coordinator's state and the I/O shell around the pure core: the job table, the
// queue, the live pools, and what happens on each pool event. Request handlers call
// in here; nothing in here knows about consoles.

import {
  IllegalStateError,
  PoolError,
  ShuttingDownError,
  StorageError,
  UnknownJobError,
} from '../protocol/errors.js';
import type { Origin, Reply } from '../protocol/messages.js';
import type { JobSignal } from '../protocol/pool-messages.js';
import type { PoolEvent } from '../protocol/pool-messages.js';
import { Adopted, killGroup } from './adopted.js';
import type { Journal } from './journal.js';
import { log } from './log.js';
import { Pool, type PoolListener } from './pools.js';
import { envKey } from '../protocol/env-key.js';
import { Interner } from './intern.js';
import { JobControl } from './control.js';
import { EndWaiters } from './job-timers.js';
import { optionsOf, recordsFor, type JournalRecord } from './records.js';
import { reconcile, type Replayed } from './recovery.js';
import { decide } from './scheduler.js';
import { inProgress, isIllegal, step, type Job, type JobEvent, type JobState } from './state.js';
import { cannotSignal } from './wording.js';

export interface CoordConfig {
  outDir: string;
  jobsPool: number;
  maxPools: number;
  graceMs: number;
  /** How long a pool with quota left may sit idle before it is retired. */
  poolIdleMs: number;
  user: string;
}

/** What a submit carries besides its command. */
export interface SubmitOptions {
  cwd?: string;
  /** Of an environment already remembered (rememberEnv). */
  envKey?: string;
  timeoutSec?: number;
  origin?: Origin;
}

export interface Summary {
  served: number;
  inProgress: number;
}

type StartOutcome = { pid: number } | { error: string };

export class Coordinator implements PoolListener {
  readonly jobs = new Map<number, Job>();
  readonly pools = new Map<number, Pool>();
  private readonly queue: number[] = [];
  private nextJobId = 1;
  private nextPoolId = 1;
  private current: Pool | null = null;
  /** Started ahead of need; takes over when the current pool is full. */
  private spare: Pool | null = null;
  private readonly startWaiters = new Map<number, (outcome: StartOutcome) => void>();
  private stopping: Promise<Summary> | null = null;
  private allPoolsGone: (() => void) | null = null;
  private readonly adopted = new Adopted((jobId, event) => {
    this.applyById(jobId, event);
    // Its orphaned pool may be gone with it: room for a queued job.
    this.schedule();
  });
  /** Environments of submitted jobs, by content hash: jobs from one console share one. */
  private readonly envs = new Map<string, Record<string, string>>();
  private readonly interner = new Interner();
  private readonly ends = new EndWaiters();
  /** kill, timeouts and pause-all. */
  private readonly control = new JobControl({
    graceMs: () => this.config.graceMs,
    underWay: () => this.underWay(),
    signalGroup: (job, signal) => this.signalGroup(job, signal),
    apply: (job, event) => this.apply(job, event),
    record: (rec) => this.record(rec),
    schedule: () => this.schedule(),
  });
  /** shutdown --drain under way: resolves once no job is under way. */
  private drained: (() => void) | null = null;
  private draining: Promise<Summary> | null = null;

  constructor(
    readonly config: CoordConfig,
    private readonly journal: Journal | null = null,
  ) {}

  /**
   * Takes over the jobs of an earlier coordinator from its journal: queued ones queue
   * again, started ones get their recorded end, are adopted if still running, or are
   * recorded as lost. Returns how many of each, for the log.
   */
  restore(replayed: Replayed, probe: Parameters<typeof reconcile>[1]): Record<'requeued' | 'adopted' | 'settled', number> {
    const counts = { requeued: 0, adopted: 0, settled: 0 };
    this.nextJobId = replayed.nextJobId;
    for (const [key, env] of replayed.envs) this.envs.set(key, env);
    const now = Date.now();
    for (const job of replayed.jobs.values()) {
      this.jobs.set(job.id, job);
      const verdict = reconcile(job, probe, now);
      if (verdict.kind === 'requeue') {
        this.queue.push(job.id);
        counts.requeued += 1;
      }
      if (verdict.kind === 'settle') {
        for (const event of verdict.events) this.apply(job, event);
        counts.settled += 1;
      }
      const s = job.state;
      if (s.tag === 'running' || s.tag === 'suspended') {
        this.nextPoolId = Math.max(this.nextPoolId, s.poolId + 1);
        this.adopted.add(job.id, s.pid, s.dir);
        counts.adopted += 1;
        if (s.tag === 'running') this.control.armTimeout(job);
      }
    }
    if (replayed.pause !== null) this.control.hold(replayed.pause.until);
    this.schedule();
    return counts;
  }

  /** Resolves once every change so far is on disk: answers are sent after it. */
  durable(): Promise<void> {
    return this.journal?.barrier() ?? Promise.resolve();
  }

  job(jobId: number): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return job;
  }

  private queuePosition(jobId: number): number {
    return this.queue.indexOf(jobId) + 1;
  }

  async submit(id: number, command: string, options: SubmitOptions = {}): Promise<Reply> {
    if (this.stopping !== null) throw new ShuttingDownError();
    if (this.drained !== null) throw new ShuttingDownError('the coordinator is draining for shutdown (it lets running jobs finish and takes no new ones); submit again once a coordinator runs again.');
    const job: Job = { id: this.nextJobId++, command: this.interner.str(command), submittedAt: Date.now(), state: { tag: 'queued' } };
    if (options.cwd !== undefined) job.cwd = this.interner.str(options.cwd);
    if (options.timeoutSec !== undefined) job.timeoutSec = options.timeoutSec;
    if (options.origin !== undefined) job.origin = this.interner.origin(options.origin);
    if (options.envKey !== undefined) job.envId = options.envKey;
    // Recorded before it is queued: a job that runs is always a job on record.
    try {
      await this.journal?.append({ r: 'new', id: job.id, cmd: command, at: job.submittedAt, ...optionsOf(job) } satisfies JournalRecord);
    } catch (err) {
      throw new StorageError(`the job was not accepted (JobID ${job.id}): the coordinator cannot write its records (${describe(err)}); free space under ${this.config.outDir} and submit again.`);
    }
    if (this.stopping !== null) {
      this.apply(job, { type: 'cancelled', reason: 'the coordinator shut down before it started', at: Date.now() });
      this.jobs.set(job.id, job);
      throw new ShuttingDownError();
    }
    this.jobs.set(job.id, job);
    this.queue.push(job.id);
    this.schedule();
    if (job.state.tag === 'queued') {
      return { kind: 'queued', id, jobId: job.id, position: this.queuePosition(job.id) };
    }
    const outcome = await new Promise<StartOutcome>((resolve) => this.startWaiters.set(job.id, resolve));
    if ('error' in outcome) throw new PoolError(`could not start JobID ${job.id}: ${outcome.error}; 'info ${job.id}' shows the job.`);
    return { kind: 'submitted', id, jobId: job.id, pid: outcome.pid };
  }

  /** The environment a job was submitted with, if it was. */
  envOf(job: Job): Record<string, string> | undefined {
    return job.envId === undefined ? undefined : this.envs.get(job.envId);
  }

  /** Keeps one copy of each distinct environment (the journal gets it once); returns its key. */
  rememberEnv(env: Record<string, string>): string {
    const key = envKey(env);
    if (!this.envs.has(key)) {
      this.envs.set(key, env);
      this.record({ r: 'env', key, env });
    }
    return key;
  }

  hasEnv(key: string): boolean {
    return this.envs.has(key);
  }

  /** Sends a signal to a started job's process group (through its pool, or directly if adopted). */
  private async signalGroup(job: Job, signal: JobSignal): Promise<string | null> {
    const s = job.state;
    if (s.tag !== 'running' && s.tag !== 'suspended') return 'it is not running';
    if (this.adopted.has(job.id)) return killGroup(s.pid, signal) ? null : 'its process group is gone';
    const pool = this.pools.get(s.poolId);
    if (pool === undefined) return 'it has no live pool';
    return pool.signal(job.id, signal);
  }

  /** Suspends (SIGSTOP) or resumes (SIGCONT) a job's whole process group. */
  async signalJob(jobId: number, action: 'suspend' | 'resume'): Promise<void> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job = this.job(jobId);
    const s = job.state;
    const want = action === 'suspend' ? 'running' : 'suspended';
    if (s.tag !== want) throw new IllegalStateError(cannotSignal(jobId, action, s.tag));
    const error = await this.signalGroup(job, action === 'suspend' ? 'SIGSTOP' : 'SIGCONT');
    if (job.state.tag === 'finished') throw new IllegalStateError(cannotSignal(jobId, action, 'finished'));
    if (error !== null) throw new PoolError(`could not ${action} JobID ${jobId}: ${error}; 'status ${jobId}' shows its state.`);
    const event: JobEvent = action === 'suspend' ? { type: 'suspended', at: Date.now() } : { type: 'resumed', at: Date.now() };
    // A concurrent request may have got there first; the signal was sent all the same.
    if (job.state.tag === want) this.apply(job, event);
  }

  /**
   * kill: a queued job leaves the queue; a started one gets SIGTERM (and SIGCONT, so a
   * suspended one can die), then SIGKILL after the grace. Says which it did.
   */
  async kill(jobId: number): Promise<'dequeued' | 'signalled'> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job = this.job(jobId);
    switch (job.state.tag) {
      case 'finished':
        throw new IllegalStateError(`cannot kill JobID ${jobId}: it has already finished; 'info ${jobId}' says how it ended.`);
      case 'queued': {
        const at = this.queue.indexOf(jobId);
        if (at >= 0) this.queue.splice(at, 1);
        this.apply(job, { type: 'cancelled', reason: 'killed before it started (removed from the queue)', at: Date.now() });
        return 'dequeued';
      }
      case 'starting':
        this.control.killWhenStarted(jobId);
        return 'signalled';
      case 'running':
      case 'suspended': {
        const error = await this.control.terminate(job);
        const ended = (): boolean => job.state.tag === 'finished';
        if (error !== null && !ended()) throw new PoolError(`could not kill JobID ${jobId}: ${error}; 'status ${jobId}' shows its state.`);
        return 'signalled';
      }
    }
  }

  async pauseAll(forSec: number | null): Promise<{ jobs: number; until: number | null }> {
    if (this.stopping !== null) throw new ShuttingDownError();
    return this.control.pauseAll(forSec);
  }

  resumeAll(): Promise<number> {
    if (this.stopping !== null) return Promise.reject(new ShuttingDownError());
    return this.control.resumeAll();
  }

  pauseOf(job: Job): { until: number | null } | null {
    return this.control.pauseOf(job);
  }

  /** Jobs started and not ended: those of the live pools, and adopted ones. */
  private *underWay(): Generator<Job> {
    for (const pool of this.pools.values()) for (const id of pool.jobs) yield this.job(id);
    for (const id of this.adopted.ids()) yield this.job(id);
  }

  /**
   * Pools of an earlier coordinator still running jobs it adopted: they count against
   * --max-pools until those jobs end.
   */
  private orphanPools(): number {
    if (this.adopted.size === 0) return 0;
    const pools = new Set<number>();
    for (const id of this.adopted.ids()) {
      const s = this.job(id).state;
      if (s.tag === 'running' || s.tag === 'suspended') pools.add(s.poolId);
    }
    return pools.size;
  }

  private underWayCount(): number {
    let n = this.adopted.size;
    for (const pool of this.pools.values()) n += pool.jobs.size;
    return n;
  }

  /** The queue, in the order its jobs will start. */
  queued(): Job[] {
    return this.queue.map((id) => this.job(id));
  }

  /** Resolves once each of the jobs has ended; `all`: every job not ended now. An abort forgets the waiter. */
  async waitFor(ids: number[] | 'all', signal?: AbortSignal): Promise<Job[]> {
    const jobs = ids === 'all' ? [...this.jobs.values()].filter((j) => inProgress(j.state)) : ids.map((id) => this.job(id));
    await this.ends.allEnded(jobs.filter((j) => inProgress(j.state)).map((j) => j.id), signal);
    return jobs;
  }

  /**
   * shutdown --drain: takes no new jobs and starts no queued ones; once every running
   * or suspended job has ended, shuts down as usual. The summary counts from now.
   */
  drain(): Promise<Summary> {
    if (this.stopping !== null) return this.stopping;
    this.draining ??= this.drainThenStop();
    return this.draining;
  }

  private async drainThenStop(): Promise<Summary> {
    const summary = this.summaryNow();
    log(`draining: ${this.underWayCount()} job(s) under way; no job starts from now`);
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    });
    this.stopping ??= this.stop(summary);
    return this.stopping;
  }

  private checkDrained(): void {
    if (this.drained !== null && this.underWayCount() === 0) this.drained();
  }

  private summaryNow(): Summary {
    return { served: this.nextJobId - 1, inProgress: [...this.jobs.values()].filter((j) => inProgress(j.state)).length };
  }

  /** Shutdown as specified: SIGTERM to the pools, wait until all are gone. */
  shutdown(): Promise<Summary> {
    this.stopping ??= this.stop(this.summaryNow());
    return this.stopping;
  }

  private async stop(summary: Summary): Promise<Summary> {
    this.control.stop();
    const now = Date.now();
    for (const jobId of this.queue.splice(0)) {
      this.apply(this.job(jobId), { type: 'cancelled', reason: 'the coordinator shut down before it started', at: now });
    }
    const adoptedGone = this.adopted.terminateAll(this.config.graceMs);
    if (this.pools.size > 0) {
      const gone = new Promise<void>((resolve) => (this.allPoolsGone = resolve));
      for (const pool of this.pools.values()) pool.terminate();
      // A pool that does not end after its jobs' grace is killed; its jobs go with it.
      const force = setTimeout(() => {
        for (const pool of this.pools.values()) pool.terminate('SIGKILL');
      }, this.config.graceMs + 5000);
      await gone;
      clearTimeout(force);
    }
    await adoptedGone;
    await this.journal?.drain().catch(() => undefined);
    log(`shut down: served ${summary.served} jobs, ${summary.inProgress} were still in progress`);
    return summary;
  }

  private schedule(): void {
    const effects = decide({
      queue: this.queue,
      room: this.current?.room ?? 0,
      spare: this.spare?.room === this.config.jobsPool,
      livePools: this.pools.size + this.orphanPools(),
      maxPools: this.config.maxPools,
      jobsPerPool: this.config.jobsPool,
      frozen: this.stopping !== null || this.control.paused || this.drained !== null,
    });
    let dispatched = 0;
    for (const effect of effects) {
      switch (effect.type) {
        case 'start-pool':
          this.current = this.startPool();
          break;
        case 'use-spare':
          this.current = this.spare;
          this.spare = null;
          break;
        case 'start-spare':
          this.spare = this.startPool();
          this.retireWhenIdle(this.spare);
          break;
        case 'dispatch': {
          const job = this.job(effect.jobId);
          const pool = this.current;
          if (pool === null) break;
          this.apply(job, { type: 'dispatched', poolId: pool.id, poolPid: pool.pid });
          pool.run(job.id, job.command, job.cwd, job.envId, this.envOf(job));
          dispatched += 1;
          break;
        }
      }
    }
    this.queue.splice(0, dispatched);
  }

  private startPool(): Pool {
    const { jobsPool: capacity, outDir, user, graceMs } = this.config;
    const pool = new Pool(this.nextPoolId++, { capacity, outDir, user, graceMs }, this);
    this.pools.set(pool.id, pool);
    this.record({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'started', at: Date.now() });
    log(`pool ${pool.id} started (pid ${pool.pid})`);
    return pool;
  }

  onEvent(pool: Pool, event: PoolEvent): void {
    switch (event.kind) {
      case 'ready':
      case 'signalled':
        return;
      case 'bye':
        log(`pool ${pool.id} (pid ${pool.pid}) done after ${event.served} job(s)`);
        return;
      case 'started': {
        this.applyById(event.jobId, { type: 'started', pid: event.pid, dir: event.dir, at: event.at });
        this.startWaiters.get(event.jobId)?.({ pid: event.pid });
        const job = this.jobs.get(event.jobId);
        if (job !== undefined) this.control.started(job);
        break;
      }
      case 'start-failed':
        this.applyById(event.jobId, { type: 'start-failed', reason: event.reason, at: Date.now() });
        pool.jobs.delete(event.jobId);
        this.startWaiters.get(event.jobId)?.({ error: event.reason });
        break;
      case 'exited':
        this.applyById(event.jobId, { type: 'exited', code: event.code, signal: event.signal, at: event.at });
        pool.jobs.delete(event.jobId);
        break;
    }
    this.startWaiters.delete(event.jobId);
    if (pool.jobs.size === 0) this.retireWhenIdle(pool);
  }

  /**
   * A pool whose jobs have all ended exits: a full one by itself, one with quota left
   * when it has stayed idle for `poolIdleMs` (so back-to-back submissions reuse it).
   * The coordinator decides, so no job is ever sent to a pool that is leaving.
   */
  private retireWhenIdle(pool: Pool): void {
    if (pool.room === 0 || pool.idleTimer !== null || this.stopping !== null) return;
    pool.idleTimer = setTimeout(() => {
      pool.idleTimer = null;
      if (!pool.alive || pool.jobs.size > 0 || pool.room === 0) return;
      if (this.current === pool) this.current = null;
      if (this.spare === pool) this.spare = null;
      pool.retire();
    }, this.config.poolIdleMs);
  }

  onExit(pool: Pool, code: number | null, signal: string | null): void {
    this.pools.delete(pool.id);
    if (this.current === pool) this.current = null;
    if (this.spare === pool) this.spare = null;
    const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? 0}`;
    this.record({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'ended', at: Date.now(), how });
    if (pool.jobs.size > 0) log(`pool ${pool.id} (pid ${pool.pid}) ${how} with ${pool.jobs.size} job(s) unfinished`);
    for (const jobId of pool.jobs) this.loseJob(jobId, `its pool (pid ${pool.pid}) ${how}`);
    if (this.pools.size === 0) this.allPoolsGone?.();
    this.schedule();
  }

  /** A job whose pool is gone: its process group is killed so nothing runs unaccounted. */
  private loseJob(jobId: number, reason: string): void {
    const job = this.job(jobId);
    const s = job.state;
    if (s.tag === 'running' || s.tag === 'suspended') {
      killGroup(s.pid, 'SIGKILL');
      killGroup(s.pid, 'SIGCONT');
    }
    this.apply(job, { type: 'lost', reason, at: Date.now() });
    this.startWaiters.get(jobId)?.({ error: reason });
    this.startWaiters.delete(jobId);
  }

  private applyById(jobId: number, event: JobEvent): void {
    const job = this.jobs.get(jobId);
    if (job === undefined) log(`a pool reported '${event.type}' for unknown JobID ${jobId}`);
    else this.apply(job, event);
  }

  private apply(job: Job, event: JobEvent): void {
    const next = step(job.state, event, job);
    if (isIllegal(next)) {
      log(`JobID ${job.id}: ${next.illegal}`);
      return;
    }
    job.state = next;
    this.record({ r: 'ev', id: job.id, ev: event });
    this.afterStep(job, next);
  }

  /** Timers and waiters that follow a job's state. */
  private afterStep(job: Job, s: JobState): void {
    this.control.stepped(job, s);
    if (s.tag !== 'finished') return;
    this.ends.ended(job.id);
    // Pool and adopted sets drop the job after this step; check once they have.
    if (this.drained !== null) queueMicrotask(() => this.checkDrained());
  }

  private record(rec: JournalRecord): void {
    if (this.journal === null) return;
    this.journal.append(rec).catch((err: unknown) => log(`cannot write the journal: ${describe(err)}`));
    this.journal.compactIfGrown(() => this.snapshot(), log);
  }

  /** The shortest records that rebuild the state: environments, the pause, then the jobs. */
  private snapshot(): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const [key, env] of this.envs) out.push({ r: 'env', key, env });
    const pause = this.control.pauseRecord();
    if (pause !== null) out.push(pause);
    for (const job of this.jobs.values()) out.push(...recordsFor(job));
    return out;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
