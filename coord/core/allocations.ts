// Hosts where each pool is an allocation of its own (a Slurm job), pure: which of a
// host's pools a queued job may go to, what a new pool must be asked for, and how long
// a job needs its pool for.
//
// A pool there is asked for with a feature constraint (the job's tags that are features
// of the cluster's nodes) and a time limit. It takes only jobs whose features are among
// those it was asked with and whose time fits in what it has left; a job without a
// timeout goes only to a pool asked for the host's whole limit. A pool whose allocation
// has not started yet holds the jobs that will go to it: they stay queued (and `status`
// says what the allocation waits for) until it starts and takes them.

/** What a new pool is asked for. */
export interface Placement {
  /** Features every node of its allocation must have (Slurm's `-C a&b`), sorted. */
  features: string[];
  /** Its time limit in seconds (null: none asked; the partition's default applies). */
  timeSec: number | null;
  /** Asked for the host's whole limit: it may take jobs without a timeout. */
  whole: boolean;
}

/** One pool of such a host, as the scheduler sees it. */
export interface PoolSlot {
  id: number;
  features: ReadonlySet<string>;
  /** Jobs it can still take. */
  room: number;
  /** Its allocation has not started yet: jobs that fit wait for it. */
  pending: boolean;
  /** Seconds it has left (null: no limit); for a pending pool, its whole limit. */
  timeLeftSec: number | null;
  whole: boolean;
}

/** What the scheduler knows of a host whose pools are allocations. */
export interface AllocView {
  /** The host's tags that are node features (asked for with -C); its other tags every pool has. */
  features: ReadonlySet<string>;
  /** The longest a pool may run there (null: no limit known). */
  maxTimeSec: number | null;
  /** The features of each kind of node (empty: not known, nothing is ruled out). */
  nodes: readonly ReadonlySet<string>[];
  pools: PoolSlot[];
}

/** Time a pool needs besides a job's timeout: its own start-up and the job's end. */
export const START_SLACK_SEC = 30;

/**
 * How long a job needs its pool for (seconds): its timeout, the grace after SIGTERM,
 * and some slack; undefined for a job without a timeout.
 */
export function needSec(timeoutSec: number | undefined, graceMs: number): number | undefined {
  return timeoutSec === undefined ? undefined : timeoutSec + Math.ceil(graceMs / 1000) + START_SLACK_SEC;
}

/** A job needing `need` seconds can run on a host whose pools may run `max`. */
export function timeFits(need: number | undefined, max: number | null): boolean {
  return need === undefined || max === null || need <= max;
}

/** Some kind of node has every one of the features (or the kinds are not known). */
export function nodeFits(nodes: readonly ReadonlySet<string>[], features: readonly string[]): boolean {
  return nodes.length === 0 || nodes.some((n) => features.every((f) => n.has(f)));
}

/** The job's tags that are features (its forbidden tags are the host's business), sorted. */
export function featuresOf(needs: readonly string[], features: ReadonlySet<string>): string[] {
  return [...new Set(needs.filter((n) => !n.startsWith('!') && features.has(n)))].sort();
}

export function poolTakes(pool: PoolSlot, features: readonly string[], need: number | undefined): boolean {
  if (pool.room <= 0 || !features.every((f) => pool.features.has(f))) return false;
  if (need === undefined) return pool.whole;
  return pool.timeLeftSec === null || need <= pool.timeLeftSec;
}

/** The pool a job goes to: one that runs already before one still pending; then the closest fit. */
export function choosePool(alloc: AllocView, features: readonly string[], need: number | undefined): PoolSlot | undefined {
  const rank = (p: PoolSlot): number[] => [p.pending ? 1 : 0, p.features.size, p.id];
  return alloc.pools.filter((p) => poolTakes(p, features, need)).sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    for (let i = 0; i < x.length; i += 1) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  })[0];
}

/**
 * What a pool started for this job is asked for: its features, and its time (rounded up
 * to whole minutes, as Slurm counts) or, for a job without a timeout, the host's whole limit.
 */
export function placementFor(alloc: AllocView, features: readonly string[], need: number | undefined): Placement {
  if (need === undefined) return { features: [...features], timeSec: alloc.maxTimeSec, whole: true };
  const asked = Math.ceil(need / 60) * 60;
  const timeSec = alloc.maxTimeSec === null ? asked : Math.min(asked, alloc.maxTimeSec);
  return { features: [...features], timeSec, whole: timeSec === alloc.maxTimeSec };
}
