// The live pools: the one taking jobs now, a spare started ahead of need, pools
// re-attached after a restart, and those winding down. It starts and retires pools,
// releases a pool once its ends are on disk, and hands every event to the engine.
// Which job goes where is the scheduler's (core/scheduler.ts); this carries it out.

import { randomBytes } from 'node:crypto';
import type { PoolEvent } from '../../protocol/pool-messages.js';
import type { Clock } from '../core/clock.js';
import type { Launcher } from './launcher.js';
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

/** Unique across coordinator restarts: names ledgers and attach sockets. */
function newEpoch(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export class Fleet implements PoolOwner {
  readonly pools = new Map<number, Pool>();
  /** The pool that takes jobs now. */
  current: Pool | null = null;
  /** Started ahead of need; takes over when the current pool is full. */
  spare: Pool | null = null;
  private nextId = 1;
  private readonly epoch = newEpoch();
  /** terminateAll() waits on this. */
  private emptied: (() => void) | null = null;
  /** No more idle retirement: shutting down. */
  stopping = false;

  constructor(
    readonly launcher: Launcher,
    private readonly config: FleetConfig,
    private readonly clock: Clock,
    private readonly on: FleetEvents,
  ) {}

  /** Pool ids continue after those an earlier coordinator used (its jobs name them). */
  reserveIds(upTo: number): void {
    this.nextId = Math.max(this.nextId, upTo + 1);
  }

  start(): Pool {
    const { launcher } = this;
    const pool = new Pool({ id: this.nextId++, key: `${this.epoch}-${this.nextId - 1}`, host: launcher.host, capacity: this.config.jobsPool }, this);
    this.pools.set(pool.id, pool);
    pool.bind(launcher.start({
      capacity: this.config.jobsPool, ...launcher.paths, user: this.config.user, graceMs: this.config.graceMs,
      key: pool.key, leaseMs: launcher.leaseMs, heartbeatMs: launcher.heartbeatMs,
    }, pool.listener()));
    return pool;
  }

  /** Re-attaches to an orphaned pool of an earlier coordinator; null if nobody answers. */
  async attach(key: string, id: number): Promise<Pool | null> {
    const pool = new Pool({ id, key, host: this.launcher.host, capacity: 0 }, this);
    pool.retired = true;
    const link = await this.launcher.attach(key, pool.listener());
    if (link === null) return null;
    pool.bind(link);
    this.pools.set(pool.id, pool);
    return pool;
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

  /** The pool takes no more jobs from now. */
  private leave(pool: Pool): void {
    if (this.current === pool) this.current = null;
    if (this.spare === pool) this.spare = null;
  }

  onEvent(pool: Pool, event: PoolEvent): void {
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
