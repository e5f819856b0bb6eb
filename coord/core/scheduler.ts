// Which queued job goes where, pure: from the queue (in the order jobs may start) and
// the state of every host, `decide` returns the effects the coordinator carries out in
// order (start a pool on a host, hand a job to a host's current pool, warm a spare),
// and, for each job that stays queued, the hosts that could take it (so `status` can
// say what it waits for).
//
// A job may go to a host that has every tag it needs and none it forbids (`!tag`). Of
// those with room, it goes to the cheapest; then to the one with the fewest tags it does
// not need (jobs without needs leave scarce hosts to jobs that need them); then the
// least loaded. A job that cannot run now does not hold back later jobs that can run
// elsewhere, but it keeps its turn: capacity is handed out in queue order.
//
// A spare pool is started on a host while its current pool fills (at half its quota),
// so a full pool hands over to one already started instead of stalling on a start-up.
//
// On a host whose pools are allocations of their own (a Slurm cluster: `alloc`), a job
// goes to one of its pools that fits its features and time, or a new pool is asked for
// it (core/allocations.ts); a pool whose allocation is pending holds its jobs queued
// (`waits`). No spares there.

import { choosePool, featuresOf, nodeFits, placementFor, timeFits, type AllocView, type Placement } from './allocations.js';

export interface HostView {
  name: string;
  tags: ReadonlySet<string>;
  /** Jobs may start there now (up, switched on, not paused, inside its run windows). */
  open: boolean;
  /** Jobs that may run there at once. */
  slots: number;
  /** Jobs dispatched there that have not ended. */
  running: number;
  /** Live pools there, a spare included. */
  pools: number;
  maxPools: number;
  /** Jobs the host's current pool can still take (0 when there is none). */
  room: number;
  /** A started pool stands by there with its whole quota. */
  spare: boolean;
  /** Whether this host keeps a spare pool warm (not where a pool is a scarce allocation). */
  spares: boolean;
  cost: number;
  jobsPerPool: number;
  /** Where each pool is an allocation asked for with features and a time limit. */
  alloc?: AllocView;
}

export interface QueuedJob {
  id: number;
  /** Tags a host must have; `!tag`: tags it must not have. */
  needs: readonly string[];
  /** Hosts to use only when no other fits (where earlier attempts failed). */
  avoid?: readonly string[];
  /** The only hosts it may go to (a build step's host; where its batch's build succeeded). */
  only?: readonly string[];
  /** How long it needs its pool for (core/allocations.ts needSec); absent: it has no timeout. */
  needSec?: number;
}

export type Effect =
  /** On an allocating host: `place` is what the pool is asked for; `ref` names it in `waits` and dispatches. */
  | { type: 'start-pool'; host: string; place?: Placement; ref?: number }
  | { type: 'use-spare'; host: string }
  /** `pool`: the pool of an allocating host it goes to (else the host's current pool). */
  | { type: 'dispatch'; jobId: number; host: string; pool?: number }
  | { type: 'start-spare'; host: string };

/** A job held for a pool whose allocation is pending (`pool` < 0: one this decision starts, its `ref`). */
export interface Held {
  host: string;
  pool: number;
}

export interface Decision {
  effects: Effect[];
  /** Jobs left queued, with the hosts whose tags fit them (empty: none fits). */
  blocked: Map<number, string[]>;
  /** Jobs left queued for a pool being allocated for them. */
  waits: Map<number, Held>;
}

/** The host has every tag the job needs and none it forbids. */
export function fits(needs: readonly string[], tags: ReadonlySet<string>): boolean {
  return needs.every((n) => (n.startsWith('!') ? !tags.has(n.slice(1)) : tags.has(n)));
}

interface Live extends HostView {
  used: boolean;
}

function hasRoom(h: Live, job: QueuedJob): boolean {
  if (!h.open || h.running >= h.slots) return false;
  if (h.alloc === undefined) return h.room > 0 || h.spare || h.pools < h.maxPools;
  return h.pools < h.maxPools || choosePool(h.alloc, featuresOf(job.needs, h.alloc.features), job.needSec) !== undefined;
}

/** The host's tags fit the job; on an allocating host, so do its time limit and one kind of its nodes. */
function hostFits(h: HostView, job: QueuedJob): boolean {
  if (!fits(job.needs, h.tags)) return false;
  if (job.only !== undefined && !job.only.includes(h.name)) return false;
  const { alloc } = h;
  return alloc === undefined || (timeFits(job.needSec, alloc.maxTimeSec) && nodeFits(alloc.nodes, featuresOf(job.needs, alloc.features)));
}

/** A copy the decision may change. */
function live(h: HostView): Live {
  const copy: Live = { ...h, used: false };
  if (h.alloc !== undefined) copy.alloc = { ...h.alloc, pools: h.alloc.pools.map((p) => ({ ...p })) };
  return copy;
}

/** A job on an allocating host: to a pool that runs, held for one pending, or a new pool asked for it. */
function placeOnAlloc(h: Live, alloc: AllocView, job: QueuedJob, d: Decision, fresh: () => number): void {
  const features = featuresOf(job.needs, alloc.features);
  let pool = choosePool(alloc, features, job.needSec);
  if (pool === undefined) {
    const place = placementFor(alloc, features, job.needSec);
    pool = { id: fresh(), features: new Set(place.features), room: h.jobsPerPool, pending: true, timeLeftSec: place.timeSec, whole: place.whole };
    alloc.pools.push(pool);
    h.pools += 1;
    d.effects.push({ type: 'start-pool', host: h.name, place, ref: pool.id });
  }
  pool.room -= 1;
  h.used = true;
  if (pool.pending) {
    d.waits.set(job.id, { host: h.name, pool: pool.id });
    return;
  }
  d.effects.push({ type: 'dispatch', jobId: job.id, host: h.name, pool: pool.id });
  h.running += 1;
}

/** Tags of the host the job does not ask for: fewer is a better fit. */
function spareTags(h: HostView, needs: readonly string[]): number {
  let n = 0;
  for (const tag of h.tags) if (!needs.includes(tag)) n += 1;
  return n;
}

function better(a: Live, b: Live, job: QueuedJob): number {
  const avoided = (h: Live): number => (job.avoid?.includes(h.name) === true ? 1 : 0);
  return avoided(a) - avoided(b) || a.cost - b.cost || spareTags(a, job.needs) - spareTags(b, job.needs) ||
    a.running / a.slots - b.running / b.slots || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function decide(queue: readonly QueuedJob[], hosts: readonly HostView[]): Decision {
  const all: Live[] = hosts.map(live);
  const effects: Effect[] = [];
  const blocked = new Map<number, string[]>();
  const decision: Decision = { effects, blocked, waits: new Map() };
  let refs = 0;
  const fresh = (): number => (refs -= 1);
  for (const job of queue) {
    const fitting = all.filter((h) => hostFits(h, job));
    const best = fitting.filter((h) => hasRoom(h, job)).sort((a, b) => better(a, b, job))[0];
    if (best === undefined) {
      blocked.set(job.id, fitting.map((h) => h.name));
      continue;
    }
    if (best.alloc !== undefined) {
      placeOnAlloc(best, best.alloc, job, decision, fresh);
      continue;
    }
    if (best.room === 0) {
      if (best.spare) {
        effects.push({ type: 'use-spare', host: best.name });
        best.spare = false;
      } else {
        effects.push({ type: 'start-pool', host: best.name });
        best.pools += 1;
      }
      best.room = best.jobsPerPool;
    }
    effects.push({ type: 'dispatch', jobId: job.id, host: best.name });
    best.room -= 1;
    best.running += 1;
    best.used = true;
  }
  for (const h of all) {
    if (h.used && h.spares && !h.spare && h.pools < h.maxPools && h.running < h.slots && h.room <= h.jobsPerPool / 2) {
      effects.push({ type: 'start-spare', host: h.name });
    }
  }
  return decision;
}
