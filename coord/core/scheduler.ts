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
}

export interface QueuedJob {
  id: number;
  /** Tags a host must have; `!tag`: tags it must not have. */
  needs: readonly string[];
  /** Hosts to use only when no other fits (where earlier attempts failed). */
  avoid?: readonly string[];
}

export type Effect =
  | { type: 'start-pool'; host: string }
  | { type: 'use-spare'; host: string }
  | { type: 'dispatch'; jobId: number; host: string }
  | { type: 'start-spare'; host: string };

export interface Decision {
  effects: Effect[];
  /** Jobs left queued, with the hosts whose tags fit them (empty: none fits). */
  blocked: Map<number, string[]>;
}

/** The host has every tag the job needs and none it forbids. */
export function fits(needs: readonly string[], tags: ReadonlySet<string>): boolean {
  return needs.every((n) => (n.startsWith('!') ? !tags.has(n.slice(1)) : tags.has(n)));
}

interface Live extends HostView {
  used: boolean;
}

function hasRoom(h: Live): boolean {
  return h.open && h.running < h.slots && (h.room > 0 || h.spare || h.pools < h.maxPools);
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
  const live: Live[] = hosts.map((h) => ({ ...h, used: false }));
  const effects: Effect[] = [];
  const blocked = new Map<number, string[]>();
  for (const job of queue) {
    const fitting = live.filter((h) => fits(job.needs, h.tags));
    const best = fitting.filter(hasRoom).sort((a, b) => better(a, b, job))[0];
    if (best === undefined) {
      blocked.set(job.id, fitting.map((h) => h.name));
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
  for (const h of live) {
    if (h.used && h.spares && !h.spare && h.pools < h.maxPools && h.running < h.slots && h.room <= h.jobsPerPool / 2) {
      effects.push({ type: 'start-spare', host: h.name });
    }
  }
  return { effects, blocked };
}
