// The live pools: the one taking jobs now, a spare started ahead of need, pools
// re-attached after a restart, and those winding down. It starts and retires pools,
// releases a pool once its ends are on disk, and hands every event to the engine.
// Which job goes where is the scheduler's (core/scheduler.ts); this carries it out.

import { randomBytes } from 'node:crypto';
import type { PoolEvent } from '../../protocol/pool-messages.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Launcher, Placement, Probe } from './launcher.js';
import { Pool, type PoolOwner } from './pool.js';

export interface FleetConfig {
  jobsPool: number;
  user: string;
  graceMs: number;
  poolIdleMs: number;
}

export interface FleetEvents {
  event(pool: Pool, event: PoolEvent): void;
  /** The pool's link ended (the pool is gone or unreachable); `how` says how. */
  gone(pool: Pool, how: string): void;
  /** Resolves once every record so far is on disk. */
  durable(): Promise<void>;
  log(line: string): void;
}

/** Pool ids, unique in this coordinator, and keys, unique across restarts (they name ledgers). */
export class PoolIds {
  private next = 1;
  readonly epoch = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

  take(): number {
    return this.next++;
  }

  /** Ids continue after those an earlier coordinator used (its jobs name them). */
  reserve(upTo: number): void {
    this.next = Math.max(this.next, upTo + 1);
  }
}

export class Fleet implements PoolOwner {
  readonly pools = new Map<number, Pool>();
  /** The pool that takes jobs now. */
  current: Pool | null = null;
  /** Started ahead of need; takes over when the current pool is full. */
  spare: Pool | null = null;
  /** terminateAll() waits on this. */
  private emptied: (() => void) | null = null;
  /** No more idle retirement: shutting down. */
  stopping = false;
  private beat: Timer | null = null;

  constructor(
    readonly launcher: Launcher,
    private readonly config: FleetConfig,
    private readonly clock: Clock,
    private readonly ids: PoolIds,
    private readonly on: FleetEvents,
  ) {}

  /** `place`: what a pool of an allocating host (Slurm) is asked for. */
  start(place?: Placement): Pool {
    const { launcher } = this;
    const id = this.ids.take();
    const spec = { id, key: `${this.ids.epoch}-${id}`, host: launcher.host, capacity: this.config.jobsPool };
    const pool = new Pool(place === undefined ? spec : { ...spec, place }, this);
    pool.heard(this.clock.now());
    this.pools.set(pool.id, pool);
    this.heartbeat();
    pool.bind(launcher.start({
      capacity: this.config.jobsPool, ...launcher.paths, user: this.config.user, graceMs: this.config.graceMs,
      key: pool.key, leaseMs: launcher.leaseMs, heartbeatMs: launcher.heartbeatMs,
    }, pool.listener(), place));
    return pool;
  }

  /**
   * Looks for the orphaned pool `key`; when it answers, it joins the fleet (taking no new
   * jobs) and its `state` comes as its first event.
   */
  async probe(key: string, id: number, pid: number | null): Promise<Probe> {
    const pool = new Pool({ id, key, host: this.launcher.host, capacity: 0 }, this);
    pool.retired = true;
    const found = await this.launcher.probe(key, pid, pool.listener());
    if (found.kind !== 'attached') return found;
    pool.bind(found.link);
    pool.heard(this.clock.now());
    this.pools.set(pool.id, pool);
    this.heartbeat();
    return found;
  }

  /**
   * Pings every pool of a host that wants pings; a pool silent for three of them has a
   * dead link: it is cut, and the engine looks for the pool again.
   */
  private heartbeat(): void {
    const every = this.launcher.heartbeatMs;
    if (every === null || this.beat !== null) return;
    let seq = 0;
    const tick = (): void => {
      this.beat = null;
      if (this.pools.size === 0) return;
      const now = this.clock.now();
      seq += 1;
      for (const pool of this.pools.values()) {
        // An allocation still pending cannot answer yet: its silence counts from its start.
        if (pool.awaitingAllocation) pool.heard(now);
        else if (now - pool.lastHeard <= 3 * every) pool.send({ kind: 'ping', seq });
        else if (!pool.cut) {
          this.on.log(`pool ${pool.id} on ${pool.host} (pid ${pool.pid}) has been silent for ${now - pool.lastHeard} ms: its link is cut`);
          pool.cut = true;
          pool.kill();
        }
      }
      this.beat = this.clock.after(every, tick);
    };
    this.beat = this.clock.after(every, tick);
  }

  /** Pools that take or run jobs (a spare that has taken none is not counted by show-pools). */
  get size(): number {
    return this.pools.size;
  }

  /**
   * A pool whose jobs have all ended exits: a full one by itself, one with quota left
   * when it has stayed idle for `poolIdleMs` (so back-to-back submissions reuse it).
   * The coordinator decides, so no job is ever sent to a pool that is leaving.
   */
  retireWhenIdle(pool: Pool): void {
    if (pool.room === 0 || pool.idleTimer !== null || this.stopping) return;
    pool.idleTimer = this.clock.after(this.config.poolIdleMs, () => {
      pool.idleTimer = null;
      if (!pool.alive || pool.jobs.size > 0 || pool.room === 0) return;
      this.leave(pool);
      pool.retire();
    });
  }

  hasKey(key: string): boolean {
    for (const pool of this.pools.values()) if (pool.key === key) return true;
    return false;
  }

  /** Pools that take jobs now or that run some (a spare that has taken none is not shown by show-pools). */
  *working(): Generator<Pool> {
    for (const pool of this.pools.values()) if (pool.alive && pool.assigned > 0) yield pool;
  }

  /** The pool takes no more jobs from now. */
  private leave(pool: Pool): void {
    if (this.current === pool) this.current = null;
    if (this.spare === pool) this.spare = null;
  }

  onEvent(pool: Pool, event: PoolEvent): void {
    pool.heard(this.clock.now());
    if (event.kind === 'ready' || event.kind === 'state') pool.readyAt ??= this.clock.now();
    if (event.kind === 'bye') {
      this.leave(pool);
      // Its ends must be on disk before it may forget them.
      void this.on.durable().then(() => pool.release(), () => undefined);
    }
    this.on.event(pool, event);
  }

  onClose(pool: Pool, how: string): void {
    this.pools.delete(pool.id);
    this.leave(pool);
    this.on.gone(pool, how);
    if (this.pools.size === 0) this.emptied?.();
  }

  log(line: string): void {
    this.on.log(line);
  }

  /** Shutdown: every pool terminates its jobs; a pool that does not end in time is killed. */
  async terminateAll(): Promise<void> {
    this.stopping = true;
    if (this.pools.size === 0) return;
    const gone = new Promise<void>((resolve) => (this.emptied = resolve));
    for (const pool of this.pools.values()) pool.terminate();
    const force = this.clock.after(this.config.graceMs + 5000, () => {
      for (const pool of this.pools.values()) pool.kill();
    });
    await gone;
    force.cancel();
  }

}
