// The queue and its way out: the scheduler (core/scheduler.ts) decides from the queue
// and every host's state which job goes where; this carries it out on the hosts'
// fleets. A job's run frame goes out only once its dispatch is on disk, so after a
// crash a job the journal calls queued was never sent anywhere; if the record cannot be
// written, the job is queued again, as the journal has it.

import { failpoint } from '../../protocol/failpoints.js';
import { needSec, type Placement } from '../core/allocations.js';
import { decide, type Held, type QueuedJob } from '../core/scheduler.js';
import type { Job, JobEvent } from '../core/state.js';
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

  /** Into the queue in submission order (a job queued again goes back to its place). */
  enqueue(jobId: number): void {
    let at = this.queue.length;
    while (at > 0 && (this.queue[at - 1] ?? 0) > jobId) at -= 1;
    this.queue.splice(at, 0, jobId);
  }

  remove(jobId: number): void {
    const at = this.queue.indexOf(jobId);
    if (at >= 0) this.queue.splice(at, 1);
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
    const jobs = this.queue.map((id) => this.queued(id));
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
      const left = this.queue.filter((id) => !sent.has(id));
      this.queue.splice(0, this.queue.length, ...left);
    }
  }

  /** A queued job as the scheduler sees it. */
  private queued(id: number): QueuedJob {
    const job = this.on.job(id);
    const need = needSec(job.timeoutSec, this.on.graceMs);
    return need === undefined ? { id, needs: job.needs ?? [] } : { id, needs: job.needs ?? [], needSec: need };
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
  private runOptions(job: Job, pool: Pool): Parameters<Pool['run']>[2] {
    const setEnv = { ...job.setEnv, JMS_JOB_ID: String(job.id), JMS_HOST: pool.host };
    const local = this.hosts.get(pool.host)?.spec.kind === 'local';
    const env = local ? this.on.envOf(job) : undefined;
    return {
      ...(job.cwd === undefined ? {} : { cwd: job.cwd }),
      ...(job.envId === undefined || env === undefined ? {} : { envKey: job.envId, env }),
      setEnv,
      ...(local ? {} : { orJobDir: true }),
    };
  }

  private dispatch(job: Job, pool: Pool): void {
    pool.take(job.id);
    const written = this.on.apply(job, { type: 'dispatched', poolId: pool.id, ...(pool.pid > 0 ? { poolPid: pool.pid } : {}), poolKey: pool.key, host: pool.host }, 'rollback');
    failpoint('after-dispatch');
    written.then(() => {
      if (job.state.tag !== 'starting' || job.state.poolId !== pool.id) return;
      failpoint('before-run-sent');
      pool.run(job.id, job.command, this.runOptions(job, pool));
      failpoint('after-run-sent');
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
