// The queue and its way out: the scheduler (core/scheduler.ts) decides from the queue
// and every host's state which job goes where; this carries it out on the hosts'
// fleets. A job's run frame goes out only once its dispatch is on disk, so after a
// crash a job the journal calls queued was never sent anywhere; if the record cannot be
// written, the job is queued again, as the journal has it. What holds a queued job besides
// room (its dependencies, begin time, batch windows and build) is core/holds.ts; a batch
// job's files are staged on its host before its run frame goes out.

import type { BatchRun } from './batch-intake.js';
import { failpoint } from '../../protocol/failpoints.js';
import { needSec, type Placement } from '../core/allocations.js';
import { before, type Hold } from '../core/holds.js';
import { decide, type Held, type QueuedJob } from '../core/scheduler.js';
import type { Job, JobEvent } from '../core/state.js';
import { HostError } from '../pools/launcher.js';
import type { StageEntry } from '../../protocol/stage.js';
import type { Host } from '../hosts/host.js';
import type { AppendMode } from '../persist/journal.js';
import type { Pool } from '../pools/pool.js';
import { log } from '../util/log.js';

export interface DispatchHost {
  job(jobId: number): Job;
  apply(job: Job, event: JobEvent, mode?: AppendMode): Promise<void>;
  envOf(job: Job): Record<string, string> | undefined;
  /** Nothing starts anywhere (shutting down, draining, paused everywhere, journal full). */
  frozen(): boolean;
  /** pause-all --host holds this host. */
  hostPaused(host: string): boolean;
  /** A pool was started (for the journal). */
  poolStarted(pool: Pool): void;
  /** A job went back to the queue before anyone ran it. */
  requeued(job: Job): void;
  /** Pools of `host` still being looked for after a restart or a lost link: they count as its pools. */
  pendingPools(host: string): number;
  /** What holds a queued job, if anything (core/holds.ts). */
  hold(job: Job): Hold;
  /** A queued job whose dependency did not succeed: it ends so (it leaves the queue). */
  dependencyFailed(job: Job, hold: Extract<Hold, { kind: 'dependency-failed' }>): void;
  /** The soonest time a held job may go (null: none waits for a time). */
  heldUntil(at: number | null): void;
  /** More for a batch job's run: its batch's variables, and where its files are staged from. */
  batchRun(job: Job, pool: Pool): BatchRun | null;
  /** A job that could not be started (its files could not be staged). */
  startFailed(job: Job, pool: Pool, reason: string): void;
  now(): number;
  jobsPool: number;
  graceMs: number;
}

export class Dispatcher {
  /** Queued job ids, in the order they may start. */
  readonly queue: number[] = [];
  /** Jobs left queued at the last decision, with the hosts that fit them. */
  blocked = new Map<number, string[]>();
  /** Jobs left queued at the last decision for a pool whose allocation is pending (its id). */
  waits = new Map<number, Held>();

  constructor(
    readonly hosts: ReadonlyMap<string, Host>,
    private readonly on: DispatchHost,
  ) {}

  /** Files already on a host, by host and source: `put` once per batch area. */
  private readonly staged = new Map<string, Promise<string>>();
  private readonly inQueue = new Set<number>();
  /** Jobs held at the last decision, and why. */
  held = new Map<number, string>();

  /** Into the queue by priority, then submission order (a job queued again goes back to its place). */
  enqueue(jobId: number): void {
    if (this.inQueue.has(jobId)) return;
    this.inQueue.add(jobId);
    const job = this.on.job(jobId);
    let at = this.queue.length;
    while (at > 0 && before(job, this.on.job(this.queue[at - 1] ?? 0))) at -= 1;
    this.queue.splice(at, 0, jobId);
  }

  remove(jobId: number): void {
    if (!this.inQueue.delete(jobId)) return;
    const at = this.queue.indexOf(jobId);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /** Empties the queue; returns what it held. */
  clear(): number[] {
    this.inQueue.clear();
    return this.queue.splice(0);
  }

  position(jobId: number): number {
    return this.queue.indexOf(jobId) + 1;
  }

  /** Lets queued jobs start where there is room, unless something holds them. */
  schedule(): void {
    if (this.on.frozen() || this.queue.length === 0) return;
    const now = this.on.now();
    const { jobsPool } = this.on;
    const views = [...this.hosts.values()].map((h) => h.view(now, this.on.hostPaused(h.name), jobsPool, this.on.pendingPools(h.name)));
    const jobs = this.free();
    const { effects, blocked, waits } = decide(jobs, views);
    this.blocked = blocked;
    /** Pools this decision starts, by the ref the scheduler gave them. */
    const started = new Map<number, number>();
    const sent = new Set<number>();
    for (const effect of effects) {
      const host = this.hosts.get(effect.host);
      if (host === undefined) continue;
      const { fleet } = host;
      switch (effect.type) {
        case 'start-pool':
          if (effect.place === undefined) fleet.current = this.startPool(host);
          else started.set(effect.ref ?? 0, this.startPool(host, effect.place).id);
          break;
        case 'use-spare':
          fleet.current = fleet.spare;
          fleet.spare = null;
          break;
        case 'start-spare':
          fleet.spare = this.startPool(host);
          fleet.retireWhenIdle(fleet.spare);
          break;
        case 'dispatch': {
          const pool = effect.pool === undefined ? fleet.current : fleet.pools.get(effect.pool) ?? null;
          if (pool === null) break;
          this.dispatch(this.on.job(effect.jobId), pool);
          sent.add(effect.jobId);
          break;
        }
      }
    }
    this.waits = new Map([...waits].map(([id, w]) => [id, { host: w.host, pool: w.pool < 0 ? started.get(w.pool) ?? 0 : w.pool }]));
    if (sent.size > 0) {
      for (const id of sent) this.inQueue.delete(id);
      const left = this.queue.filter((id) => !sent.has(id));
      this.queue.splice(0, this.queue.length, ...left);
    }
  }

  /** The queued jobs nothing holds, as the scheduler sees them; those a failed dependency ends leave the queue. */
  private free(): QueuedJob[] {
    const out: QueuedJob[] = [];
    const failed: [Job, Extract<Hold, { kind: 'dependency-failed' }>][] = [];
    let until: number | null = null;
    this.held = new Map();
    for (const id of this.queue) {
      const job = this.on.job(id);
      const hold = this.on.hold(job);
      if (hold.kind === 'dependency-failed') failed.push([job, hold]);
      else if (hold.kind === 'held') {
        this.held.set(id, hold.why);
        if (hold.until !== null && (until === null || hold.until < until)) until = hold.until;
      } else out.push(this.queued(job, hold.only));
    }
    this.on.heldUntil(until);
    for (const [job, hold] of failed) this.on.dependencyFailed(job, hold);
    return out;
  }

  /** A queued job as the scheduler sees it: away from the hosts where it failed before. */
  private queued(job: Job, only: readonly string[] | undefined): QueuedJob {
    const q: QueuedJob = { id: job.id, needs: job.needs ?? [] };
    const need = needSec(job.timeoutSec, this.on.graceMs);
    if (need !== undefined) q.needSec = need;
    if (only !== undefined) q.only = only;
    const avoid = (job.attempts ?? []).map((a) => a.started?.host ?? 'local');
    if (avoid.length > 0) q.avoid = avoid;
    return q;
  }

  private startPool(host: Host, place?: Placement): Pool {
    const pool = host.fleet.start(place);
    this.on.poolStarted(pool);
    log(`pool ${pool.id} started on ${host.name}${pool.pid > 0 ? ` (pid ${pool.pid})` : ''}`);
    return pool;
  }

  /**
   * Where and with what a job runs: on the coordinator's machine in the console's
   * directory and environment; elsewhere in that directory if the host has it (else its
   * job directory) with the host's own environment. Everywhere with the variables the
   * user named and JMS's own.
   */
  private runOptions(job: Job, pool: Pool, batch: Record<string, string>, stage: StageEntry[]): Parameters<Pool['run']>[2] {
    const setEnv = { ...job.setEnv, ...batch, JMS_JOB_ID: String(job.id), JMS_HOST: pool.host, JMS_ATTEMPT: String((job.attempts?.length ?? 0) + 1) };
    const local = this.hosts.get(pool.host)?.spec.kind === 'local';
    const env = local ? this.on.envOf(job) : undefined;
    const inJobDir = job.batch !== undefined;
    return {
      ...(job.cwd === undefined || inJobDir ? {} : { cwd: job.cwd }),
      ...(job.envId === undefined || env === undefined ? {} : { envKey: job.envId, env }),
      setEnv,
      ...(local || inJobDir ? {} : { orJobDir: true }),
      ...(inJobDir ? { inJobDir: true as const, stage } : {}),
    };
  }

  /** A batch job's files on the pool's host (each source copied there once per batch). */
  private async stageOf(job: Job, pool: Pool, area: string): Promise<StageEntry[]> {
    const files = job.files ?? [];
    if (files.length === 0) return [];
    const host = this.hosts.get(pool.host);
    if (host === undefined) throw new HostError(`its host ${pool.host} is gone`);
    // On a cluster each pool may be on a node of its own (the launcher shares a node's copy).
    const on = host.launcher.allocator === undefined ? pool.host : `${pool.host}/${pool.key}`;
    return Promise.all(files.map(async (f) => {
      const key = `${on}\0${area}\0${f.from}`;
      let put = this.staged.get(key);
      if (put === undefined) {
        put = host.launcher.put(f.from, area, pool.key);
        this.staged.set(key, put);
        put.catch(() => this.staged.delete(key));
      }
      return { src: await put, as: f.as };
    }));
  }

  /** Where a job of `pool` sees its host's build directory (a copy, on another node of a cluster). */
  private async buildDirOf(pool: Pool, build: { dir: string; poolKey?: string }, area: string): Promise<string> {
    const launcher = this.hosts.get(pool.host)?.launcher;
    return launcher?.reach === undefined ? build.dir : launcher.reach(build.dir, build.poolKey, pool.key, area);
  }

  /** A batch's staged files are gone from its hosts (its end): staged again if asked for. */
  forgetStaged(area: string): void {
    for (const key of [...this.staged.keys()]) if (key.split('\0')[1] === area) this.staged.delete(key);
  }

  private dispatch(job: Job, pool: Pool): void {
    pool.take(job.id);
    const written = this.on.apply(job, { type: 'dispatched', poolId: pool.id, ...(pool.pid > 0 ? { poolPid: pool.pid } : {}), poolKey: pool.key, host: pool.host }, 'rollback');
    failpoint('after-dispatch');
    written.then(async () => {
      if (job.state.tag !== 'starting' || job.state.poolId !== pool.id) return;
      const batch = this.on.batchRun(job, pool);
      let stage: StageEntry[] = [];
      if (batch !== null) {
        try {
          stage = await this.stageOf(job, pool, batch.area);
          if (batch.build !== undefined) batch.setEnv['JMS_BUILD_DIR'] = await this.buildDirOf(pool, batch.build, batch.area);
        } catch (err) {
          this.on.startFailed(job, pool, `its files could not be staged on ${pool.host}: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (job.state.tag !== 'starting' || job.state.poolId !== pool.id) return;
      }
      failpoint('before-run-sent');
      pool.run(job.id, job.command, this.runOptions(job, pool, batch?.setEnv ?? {}, stage));
      failpoint('after-run-sent', () => pool.flush());
    }, () => {
      // Not on disk, so never sent: the job is queued again, as the journal has it.
      if (job.state.tag !== 'starting') return;
      job.state = { tag: 'queued' };
      pool.untake(job.id);
      this.enqueue(job.id);
      this.on.requeued(job);
      if (pool.jobs.size === 0) this.hosts.get(pool.host)?.fleet.retireWhenIdle(pool);
    });
  }
}
