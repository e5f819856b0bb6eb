// Taking jobs back from pools: at start-up from the pools an earlier coordinator left,
// on every host (re-attached if they live, their ledgers read if they died), and at any
// time from a pool whose link ends under this coordinator (it died, or its host's link
// went down). A pool still alive but not answering yet (it may not have read its last
// frames) is waited for, and so is a host that cannot be reached, for as long as the
// lease of its pools: meanwhile its jobs keep their recorded state, so nothing is
// decided on half the facts. Past the lease, jobs of a host that never answered are
// lost, with the reason.

import type { JobTrace } from '../../protocol/ledger.js';
import { reconcile, reconcileLegacy, type LegacyProbe, type PoolFacts, type Replayed, type Verdict } from '../persist/recovery.js';
import type { Host } from '../hosts/host.js';
import type { Pool } from '../pools/pool.js';
import { log } from '../util/log.js';
import type { Coordinator } from './coordinator.js';
import type { Job } from '../core/state.js';

const RETRY_MS = 200;
const UNREACHABLE_RETRY_MS = 2000;

export type Counts = Record<'requeued' | 'adopted' | 'settled' | 'waiting', number>;

interface Waiting {
  host: Host;
  key: string;
  poolId: number;
  jobs: number[];
  /** Why its pool is being looked for (a pool that died under this coordinator). */
  gone: string | null;
}

export class Recovery {
  /** Pools whose facts are not in yet, by key. */
  private readonly waiting = new Map<string, Waiting>();
  readonly counts: Counts = { requeued: 0, adopted: 0, settled: 0, waiting: 0 };

  constructor(private readonly coord: Coordinator) {}

  /** Pools being looked for (on `host`, or anywhere): they count against its pools. */
  pendingPools(host?: string): number {
    let n = 0;
    for (const w of this.waiting.values()) if (host === undefined || w.host.name === host) n += 1;
    return n;
  }

  pendingJobs(): number {
    let n = 0;
    for (const w of this.waiting.values()) n += w.jobs.filter((id) => this.coord.jobs.get(id)?.state.tag !== 'finished').length;
    return n;
  }

  /** Takes over an earlier coordinator's jobs; the local host's pools are tried before this returns. */
  async restore(replayed: Replayed, legacy: LegacyProbe): Promise<Counts> {
    const { coord } = this;
    coord.nextJobId = replayed.nextJobId;
    for (const [key, env] of replayed.envs) coord.restoreEnv(key, env);
    // In force before anything may start: a pause or a switched-off host holds from the first moment.
    coord.restorePauses(replayed.pauses);
    coord.restoreHostsOff(replayed.hostsOff);
    coord.restoreBatches(replayed);
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
      const host = coord.hosts.get(s.host ?? 'local');
      if (s.poolKey === undefined || host === undefined) {
        const verdict = host === undefined
          ? { kind: 'settle' as const, events: [{ type: 'lost' as const, reason: `its host ${s.host ?? ''} is no longer in the hosts file`, at: coord.clock.now() }], kill: null }
          : reconcileLegacy(job, legacy, coord.clock.now());
        this.apply(job, verdict, null, coord.local);
        continue;
      }
      const w = byPool.get(s.poolKey) ?? { host, key: s.poolKey, poolId: s.poolId, jobs: [], gone: null };
      w.jobs.push(job.id);
      byPool.set(s.poolKey, w);
    }
    coord.ids.reserve(maxPoolId);
    const pids = new Map([...replayed.pools.values()].map((p) => [p.key, p.pid]));
    for (const p of replayed.pools.values()) {
      const host = coord.hosts.get(p.host);
      if (host !== undefined && !byPool.has(p.key)) byPool.set(p.key, { host, key: p.key, poolId: 0, jobs: [], gone: null });
    }
    for (const key of (await coord.local.launcher.ledgers()) ?? []) {
      if (!byPool.has(key)) byPool.set(key, { host: coord.local, key, poolId: 0, jobs: [], gone: null });
    }
    const firsts: Promise<void>[] = [];
    for (const w of byPool.values()) {
      if (w.poolId === 0) w.poolId = coord.ids.take();
      coord.ids.reserve(w.poolId);
      this.waiting.set(w.key, w);
      const first = new Promise<void>((resolve) => void this.recoverPool(w, pids.get(w.key) ?? null, resolve));
      // Other hosts may be slow or gone: they are looked for in the background.
      if (w.host === coord.local) firsts.push(first);
    }
    await Promise.all(firsts);
    for (const host of coord.hosts.values()) if (host !== coord.local) void this.sweep(host);
    this.counts.waiting = this.pendingJobs();
    coord.settleRestored();
    coord.schedule();
    return this.counts;
  }

  /** Ledgers on another host that no record names (left by pools that ended): read, then removed. */
  private async sweep(host: Host): Promise<void> {
    for (const key of (await host.launcher.ledgers()) ?? []) {
      if (this.waiting.has(key) || host.fleet.hasKey(key)) continue;
      const w: Waiting = { host, key, poolId: this.coord.ids.take(), jobs: [], gone: null };
      this.waiting.set(key, w);
      void this.recoverPool(w, null);
    }
  }

  /**
   * Attaches to the pool, or reads its ledger once it is dead; while it lives but does
   * not answer, or its host cannot be reached, tries again. `tried` after the first try.
   */
  private async recoverPool(w: Waiting, pidHint: number | null, tried: () => void = () => undefined): Promise<void> {
    const { coord } = this;
    for (;;) {
      if (this.waiting.get(w.key) !== w) return tried();
      const found = await w.host.fleet.probe(w.key, w.poolId, pidHint);
      if (found.kind === 'attached') {
        w.host.up();
        return tried(); // its `state` comes as an event: stateOf()
      }
      if (found.kind === 'dead') {
        if (w.host !== coord.local) w.host.up();
        // The host's own reason (a Slurm node that failed …) goes to the jobs it took.
        // Retries (a later issue) hook in here: a job lost this way is one to requeue.
        if (found.why !== undefined) w.gone = found.why;
        this.settle(w, found.ledger === null ? null : { live: false, traces: found.ledger.jobs });
        return tried();
      }
      tried();
      if (found.kind === 'alive') {
        await this.pause(RETRY_MS);
        continue;
      }
      w.host.down(found.why);
      const lease = w.host.launcher.leaseMs;
      const since = w.host.downSince ?? coord.clock.now();
      if (lease !== null && coord.clock.now() - since > lease + UNREACHABLE_RETRY_MS) {
        this.lostWithHost(w, since, lease);
        return;
      }
      await this.pause(UNREACHABLE_RETRY_MS);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.coord.clock.after(ms, resolve));
  }

  /** A host unreachable for longer than the lease: its pool has ended those jobs, if it still runs at all. */
  private lostWithHost(w: Waiting, since: number, lease: number): void {
    this.waiting.delete(w.key);
    const at = new Date(since).toISOString();
    const reason = `its host ${w.host.name} has been unreachable since ${at}, longer than the ${Math.round(lease / 1000)} s lease of its pools`;
    for (const id of w.jobs) {
      const job = this.coord.jobs.get(id);
      if (job !== undefined && job.state.tag !== 'finished') this.apply(job, { kind: 'settle', events: [{ type: 'lost', reason, at: this.coord.clock.now() }], kill: null }, null, w.host);
    }
    log(`host ${w.host.name}: ${w.jobs.length} job(s) lost: ${reason}`);
    this.coord.schedule();
  }

  /** An attached pool told what it knows: its jobs are adopted, settled or queued again. */
  stateOf(pool: Pool, traces: readonly JobTrace[]): void {
    const w = this.waiting.get(pool.key);
    if (w === undefined) return;
    this.waiting.delete(pool.key);
    const facts: PoolFacts = { live: true, traces: new Map(traces.map((t) => [t.jobId, t])) };
    for (const id of w.jobs) {
      const job = this.coord.jobs.get(id);
      if (job !== undefined) this.apply(job, reconcile(job, facts, this.coord.clock.now()), pool, w.host);
    }
    log(`re-attached pool ${pool.key} on ${w.host.name} (pid ${pool.pid}) with ${pool.jobs.size} job(s) still running`);
    this.coord.schedule();
  }

  /** A pool's link ended: its jobs are looked for again (on its host, if it is alive) or settled from its ledger. */
  poolGone(pool: Pool, how: string): void {
    const host = this.coord.hosts.get(pool.host);
    if (host === undefined) return;
    const existing = this.waiting.get(pool.key);
    if (existing !== undefined) {
      // It went before it answered: look again.
      void this.recoverPool(existing, pool.pid);
      return;
    }
    if (pool.jobs.size === 0) {
      if (!pool.done || how !== 'exited with code 0') void this.coord.durable().then(() => host.launcher.forget(pool.key), () => undefined);
      return;
    }
    if (host !== this.coord.local) host.lostLink(`the link to its pool ${pool.id} ${how}`);
    const w: Waiting = { host, key: pool.key, poolId: pool.id, jobs: [...pool.jobs], gone: `its pool (pid ${pool.pid}) ${how}` };
    this.waiting.set(pool.key, w);
    void this.recoverPool(w, pool.pid);
  }

  private settle(w: Waiting, facts: PoolFacts | null): void {
    this.waiting.delete(w.key);
    for (const id of w.jobs) {
      const job = this.coord.jobs.get(id);
      if (job !== undefined) this.apply(job, reconcile(job, facts, this.coord.clock.now(), w.gone), null, w.host);
    }
    // The ledger goes once every end it told is on this coordinator's disk.
    void this.coord.durable().then(() => w.host.launcher.forget(w.key), () => undefined);
    this.coord.schedule();
  }

  private apply(job: Job, verdict: Verdict, pool: Pool | null, host: Host): void {
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
        if (verdict.kill !== null) void host.launcher.killGroups([verdict.kill]);
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
