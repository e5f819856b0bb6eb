// One host as the coordinator sees it: what the hosts file says of it (tags, slots,
// cost, run windows), how it is reached (its launcher), its pools (its fleet), whether
// it can be reached now (up, connecting, down) and whether the user switched it off.
// A host that cannot be reached is tried again every few seconds.

import type { AllocView, PoolSlot } from '../core/allocations.js';
import type { Clock, Timer } from '../core/clock.js';
import type { HostView } from '../core/scheduler.js';
import type { HostSpec } from '../config/host-spec.js';
import { isOpen } from '../../protocol/windows.js';
import { HostError, type Launcher } from '../pools/launcher.js';
import type { Fleet } from '../pools/fleet.js';
import type { Pool } from '../pools/pool.js';

export type HostState = 'up' | 'connecting' | 'down' | 'off' | 'draining';

const RETRY_MS = 5000;

export interface HostEvents {
  /** The host became usable, or stopped being: the queue may move. */
  changed(host: Host): void;
  log(line: string): void;
}

export class Host {
  readonly tags: ReadonlySet<string>;
  private reach: 'up' | 'connecting' | 'down';
  /** Why it is down (or the last failure while connecting). */
  why: string | null = null;
  /** Since when it could not be reached (null: it can). */
  downSince: number | null = null;
  /** host-off: no new jobs; running ones finish. */
  switchedOff = false;
  private retry: Timer | null = null;

  constructor(
    readonly spec: HostSpec,
    readonly launcher: Launcher,
    readonly fleet: Fleet,
    readonly slots: number,
    readonly maxPools: number,
    private readonly clock: Clock,
    private readonly on: HostEvents,
  ) {
    this.tags = new Set(spec.tags);
    this.reach = spec.kind === 'local' ? 'up' : 'connecting';
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): HostState {
    if (this.switchedOff) return this.running() > 0 ? 'draining' : 'off';
    return this.reach;
  }

  get reachable(): boolean {
    return this.reach === 'up';
  }

  /** Jobs dispatched here that have not ended. */
  running(): number {
    let n = 0;
    for (const pool of this.fleet.pools.values()) n += pool.jobs.size;
    return n;
  }

  /** Readies the host (ssh: checks Node.js and installs the pool program); retries while it fails. */
  connect(): void {
    if (this.reach === 'up' && this.spec.kind === 'local') return;
    this.retry?.cancel();
    this.retry = null;
    const again = this.reach === 'down';
    if (!again) this.reach = 'connecting';
    this.launcher.prepare(again).then(() => this.up(), (err: unknown) => this.down(err instanceof HostError ? err.message : String(err)));
  }

  up(): void {
    const was = this.reach;
    this.reach = 'up';
    this.why = null;
    this.downSince = null;
    if (was !== 'up') {
      this.on.log(`host ${this.name} is up`);
      this.on.changed(this);
    }
  }

  /** It could not be reached: down until a retry succeeds. */
  down(why: string): void {
    const was = this.reach;
    this.reach = 'down';
    this.why = why;
    this.downSince ??= this.clock.now();
    if (was !== 'down') {
      this.on.log(`host ${this.name} is down: ${why}`);
      this.on.changed(this);
    }
    this.retry ??= this.clock.after(RETRY_MS, () => {
      this.retry = null;
      this.connect();
    });
  }

  /**
   * A link to one of its pools was lost: reachable again only once proved so. Not for a
   * cluster: one pool's node says nothing of the others (its launcher tells when the
   * cluster itself cannot be reached).
   */
  lostLink(why: string): void {
    if (this.spec.kind !== 'ssh') return;
    this.down(why);
  }

  /** The longest a pool may run here (null: no limit known). */
  maxTimeSec(): number | null {
    return this.launcher.allocator?.maxTimeSec() ?? null;
  }

  windowOpen(now: number): boolean {
    return this.spec.windows === null || isOpen(this.spec.windows, now);
  }

  /** What the scheduler needs to know of it now. */
  view(now: number, paused: boolean, jobsPerPool: number, pendingPools: number): HostView {
    const { fleet } = this;
    return {
      name: this.name, tags: this.tags,
      open: this.reach === 'up' && !this.switchedOff && !paused && this.windowOpen(now),
      slots: this.slots, running: this.running(), pools: fleet.size + pendingPools, maxPools: this.maxPools,
      room: fleet.current?.room ?? 0, spare: fleet.spare?.room === jobsPerPool, spares: this.spec.kind !== 'slurm',
      cost: this.spec.cost, jobsPerPool, ...this.allocView(now),
    };
  }

  /** Where each pool is an allocation: its pools that may still take jobs, with what they were asked for. */
  private allocView(now: number): { alloc?: AllocView } {
    const allocator = this.launcher.allocator;
    if (allocator === undefined) return {};
    const pools: PoolSlot[] = [];
    for (const pool of this.fleet.pools.values()) {
      const slot = slotOf(pool, now);
      if (slot !== null) pools.push(slot);
    }
    return { alloc: { features: allocator.features(), maxTimeSec: allocator.maxTimeSec(), nodes: allocator.nodeKinds(), pools } };
  }

  stop(): void {
    this.retry?.cancel();
    this.retry = null;
  }
}

function slotOf(pool: Pool, now: number): PoolSlot | null {
  const place = pool.spec.place;
  if (place === undefined || pool.room <= 0) return null;
  const ran = pool.readyAt === null ? 0 : Math.max(0, now - pool.readyAt) / 1000;
  return {
    id: pool.id, features: new Set(place.features), room: pool.room, pending: pool.readyAt === null,
    timeLeftSec: place.timeSec === null ? null : place.timeSec - ran, whole: place.whole,
  };
}
