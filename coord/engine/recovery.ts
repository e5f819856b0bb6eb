// Taking jobs back from pools: at start-up from the pools an earlier coordinator left
// (re-attached if they live, their ledgers read if they died), and at any time from a
// pool that dies under this coordinator. A pool still alive but not answering yet (it
// may not have read its last frames) is waited for: its jobs keep their recorded state
// until it answers or dies, so nothing is decided on half the facts.

import type { JobTrace } from '../../protocol/ledger.js';
import { reconcile, reconcileLegacy, type LegacyProbe, type PoolFacts, type Replayed, type Verdict } from '../persist/recovery.js';
import type { Launcher } from '../pools/launcher.js';
import type { Pool } from '../pools/pool.js';
import { log } from '../util/log.js';
import type { Coordinator } from './coordinator.js';
import type { Job } from '../core/state.js';

const RETRY_MS = 200;

export type Counts = Record<'requeued' | 'adopted' | 'settled' | 'waiting', number>;

interface Waiting {
  poolId: number;
  jobs: number[];
}

export class Recovery {
  /** Pools whose facts are not in yet, by key. */
  private readonly waiting = new Map<string, Waiting>();
  readonly counts: Counts = { requeued: 0, adopted: 0, settled: 0, waiting: 0 };

  constructor(
    private readonly coord: Coordinator,
    private readonly launcher: Launcher,
  ) {}

  pendingPools(): number {
    return this.waiting.size;
  }

  pendingJobs(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.jobs.filter((id) => this.coord.jobs.get(id)?.state.tag !== 'finished').length;
    return n;
  }

  /** Takes over an earlier coordinator's jobs; pools that must be waited for are left waiting. */
  async restore(replayed: Replayed, legacy: LegacyProbe): Promise<Counts> {
    const { coord } = this;
    coord.nextJobId = replayed.nextJobId;
    for (const [key, env] of replayed.envs) coord.restoreEnv(key, env);
    const byPool = new Map<string, Waiting>();
    let maxPoolId = 0;
    for (const job of replayed.jobs.values()) {
      coord.jobs.set(job.id, job);
      const s = job.state;
      if (s.tag === 'finished') continue;
      if (s.tag === 'queued') {
        coord.enqueue(job.id);
        this.counts.requeued += 1;
        continue;
      }
      maxPoolId = Math.max(maxPoolId, s.poolId);
      if (s.poolKey === undefined) {
        this.apply(job, reconcileLegacy(job, legacy, coord.clock.now()), null);
        continue;
      }
      const w = byPool.get(s.poolKey) ?? { poolId: s.poolId, jobs: [] };
      w.jobs.push(job.id);
      byPool.set(s.poolKey, w);
    }
    coord.fleet.reserveIds(maxPoolId);
    const pids = new Map([...replayed.pools.values()].map((p) => [p.key, p.pid]));
    for (const key of [...replayed.pools.keys(), ...(await this.launcher.ledgers())]) {
      if (!byPool.has(key)) byPool.set(key, { poolId: 0, jobs: [] });
    }
    const firsts: Promise<void>[] = [];
    for (const [key, w] of byPool) {
      if (w.poolId === 0) w.poolId = ++maxPoolId;
      coord.fleet.reserveIds(w.poolId);
      this.waiting.set(key, w);
      firsts.push(new Promise((resolve) => void this.recoverPool(key, pids.get(key) ?? null, resolve)));
    }
    // Each pool is tried once before serving: dead ones are settled, live ones attached.
    await Promise.all(firsts);
    this.counts.waiting = this.pendingJobs();
    if (replayed.pause !== null) coord.restorePause(replayed.pause.until);
    coord.schedule();
    return this.counts;
  }

  /**
   * Attaches to the pool, or reads its ledger once it is dead; while it lives but does
   * not answer, tries again. `tried` is called after the first try.
   */
  private async recoverPool(key: string, pidHint: number | null, tried: () => void = () => undefined): Promise<void> {
    const w = this.waiting.get(key);
    if (w === undefined) return tried();
    for (;;) {
      const pool = await this.coord.fleet.attach(key, w.poolId);
      if (pool !== null) return tried(); // its `state` comes as an event: stateOf()
      const view = await this.launcher.readLedger(key);
      const pid = view?.pid ?? pidHint;
      if (pid === null || !this.launcher.poolAlive(key, pid)) {
        this.settle(key, w.jobs, view === null ? null : { live: false, traces: view.jobs }, null);
        return tried();
      }
      tried();
      await new Promise<void>((resolve) => this.coord.clock.after(RETRY_MS, resolve));
    }
  }

  /** An attached pool told what it knows: its jobs are adopted, settled or queued again. */
  stateOf(pool: Pool, traces: readonly JobTrace[]): void {
    const w = this.waiting.get(pool.key);
    if (w === undefined) return;
    this.waiting.delete(pool.key);
    const facts: PoolFacts = { live: true, traces: new Map(traces.map((t) => [t.jobId, t])) };
    for (const id of w.jobs) {
      const job = this.coord.jobs.get(id);
      if (job !== undefined) this.apply(job, reconcile(job, facts, this.coord.clock.now()), pool);
    }
    log(`re-attached pool ${pool.key} (pid ${pool.pid}) with ${pool.jobs.size} job(s) still running`);
    this.coord.schedule();
  }

  /** A pool's link ended: the jobs it had are settled from its ledger. */
  poolGone(pool: Pool, how: string): void {
    const left = [...pool.jobs];
    if (this.waiting.has(pool.key)) {
      // It went before it answered: read what it left.
      void this.recoverPool(pool.key, pool.pid);
      return;
    }
    void this.launcher.readLedger(pool.key).then((view) => {
      const facts = view === null ? null : { live: false, traces: view.jobs };
      this.settle(pool.key, left, facts, `its pool (pid ${pool.pid}) ${how}`);
    });
  }

  private settle(key: string, ids: readonly number[], facts: PoolFacts | null, poolGone: string | null): void {
    this.waiting.delete(key);
    for (const id of ids) {
      const job = this.coord.jobs.get(id);
      if (job !== undefined) this.apply(job, reconcile(job, facts, this.coord.clock.now(), poolGone), null);
    }
    // The ledger goes once every end it told is on this coordinator's disk.
    void this.coord.durable().then(() => this.launcher.forget(key), () => undefined);
    this.coord.schedule();
  }

  private apply(job: Job, verdict: Verdict, pool: Pool | null): void {
    switch (verdict.kind) {
      case 'none':
        return;
      case 'requeue':
        this.counts.requeued += 1;
        this.coord.settleLeft(job, verdict.events);
        return;
      case 'settle':
        this.counts.settled += 1;
        // A job left running with no pool to watch it is ended, not left unaccounted.
        if (verdict.kill !== null) void this.launcher.killGroups([verdict.kill]);
        this.coord.settleLeft(job, verdict.events);
        return;
      case 'adopt':
        if (pool === null) return;
        this.counts.adopted += 1;
        pool.jobs.add(job.id);
        this.coord.adopt(job, verdict.events);
    }
  }
}
