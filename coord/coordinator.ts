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
import type { Reply } from '../protocol/messages.js';
import type { PoolEvent } from '../protocol/pool-messages.js';
import { Adopted, killGroup } from './adopted.js';
import type { Journal } from './journal.js';
import { log } from './log.js';
import { Pool, type PoolListener } from './pools.js';
import { recordsFor, type JournalRecord } from './records.js';
import { reconcile, type Replayed } from './recovery.js';
import { decide } from './scheduler.js';
import { inProgress, isIllegal, step, type Job, type JobEvent } from './state.js';
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
  private readonly adopted = new Adopted((jobId, event) => this.applyById(jobId, event));

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
      }
    }
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

  async submit(id: number, command: string): Promise<Reply> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job: Job = { id: this.nextJobId++, command, submittedAt: Date.now(), state: { tag: 'queued' } };
    // Recorded before it is queued: a job that runs is always a job on record.
    try {
      await this.journal?.append({ r: 'new', id: job.id, cmd: command, at: job.submittedAt } satisfies JournalRecord);
    } catch (err) {
      throw new StorageError(`JobID ${job.id} was not accepted: the coordinator cannot write its records (${describe(err)}). Free space under ${this.config.outDir} and submit again.`);
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
    if ('error' in outcome) throw new PoolError(`JobID ${job.id} could not start: ${outcome.error}.`);
    return { kind: 'submitted', id, jobId: job.id, pid: outcome.pid };
  }

  /** Suspends (SIGSTOP) or resumes (SIGCONT) a job's whole process group. */
  async signalJob(jobId: number, action: 'suspend' | 'resume'): Promise<void> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job = this.job(jobId);
    const s = job.state;
    const want = action === 'suspend' ? 'running' : 'suspended';
    if (s.tag !== want) throw new IllegalStateError(cannotSignal(jobId, action, s.tag));
    const signal = action === 'suspend' ? 'SIGSTOP' : 'SIGCONT';
    const pool = this.pools.get(s.poolId);
    let error: string | null;
    if (this.adopted.has(jobId)) error = killGroup(s.pid, signal) ? null : 'its process group is gone';
    else if (pool === undefined) throw new PoolError(`JobID ${jobId} has no live pool; it cannot be signalled.`);
    else error = await pool.signal(jobId, signal);
    if (job.state.tag === 'finished') throw new IllegalStateError(cannotSignal(jobId, action, 'finished'));
    if (error !== null) throw new PoolError(`Could not ${action} JobID ${jobId}: ${error}.`);
    const event: JobEvent = action === 'suspend' ? { type: 'suspended', at: Date.now() } : { type: 'resumed' };
    // A concurrent request may have got there first; the signal was sent all the same.
    if (job.state.tag === want) this.apply(job, event);
  }

  /** Shutdown as specified: SIGTERM to the pools, wait until all are gone. */
  shutdown(): Promise<Summary> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<Summary> {
    const summary: Summary = {
      served: this.nextJobId - 1,
      inProgress: [...this.jobs.values()].filter((j) => inProgress(j.state)).length,
    };
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
      livePools: this.pools.size,
      maxPools: this.config.maxPools,
      jobsPerPool: this.config.jobsPool,
      frozen: this.stopping !== null,
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
          this.apply(job, { type: 'dispatched', poolId: pool.id });
          pool.run(job.id, job.command);
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
      case 'started':
        this.applyById(event.jobId, { type: 'started', pid: event.pid, dir: event.dir, at: event.at });
        this.startWaiters.get(event.jobId)?.({ pid: event.pid });
        break;
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
    const next = step(job.state, event);
    if (isIllegal(next)) {
      log(`JobID ${job.id}: ${next.illegal}`);
      return;
    }
    job.state = next;
    this.record({ r: 'ev', id: job.id, ev: event });
  }

  private record(rec: JournalRecord): void {
    if (this.journal === null) return;
    this.journal.append(rec).catch((err: unknown) => log(`cannot write the journal: ${describe(err)}`));
    this.journal.compactIfGrown(() => [...this.jobs.values()].flatMap(recordsFor), log);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
