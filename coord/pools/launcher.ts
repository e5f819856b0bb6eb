// How pools come to be on a host, and how the coordinator reaches what they leave:
// the interface every host kind implements (local processes, ssh, Slurm). A launcher
// readies its host (ssh: the pool program installed there), starts pools, finds an
// orphaned pool again after a crash or a lost link (re-attached, or what it left if it
// died), and ends the process groups of jobs whose pool is gone; it also carries a batch
// job's files: staged onto the host before it runs, collected from its directory into
// the archive when it ends, its scratch removed (coord/pools/transfer.ts does the work).
// Nothing outside a launcher touches a pid or a path of its host.

import type { LedgerView } from '../../protocol/ledger.js';
import type { PoolConfig } from '../../protocol/pool-messages.js';
import type { Placement } from '../core/allocations.js';
import type { LinkListener, PoolLink } from './link.js';

export type { Placement };

/** Where a host's pools write, as the coordinator tells them in `config`. */
export interface HostPaths {
  outDir: string;
  outDirId: PoolConfig['outDirId'];
  ledgerDir: string;
}

/** What looking for pool `key` found. */
export type Probe =
  /** It answered: its `state` is the first event on the link. */
  | { kind: 'attached'; link: PoolLink }
  /**
   * Nobody answers and its process is gone: what its ledger holds (null: it left none);
   * `why`, when the host knows why it ended (its Slurm job's node failed, …).
   */
  | { kind: 'dead'; ledger: LedgerView | null; why?: string }
  /** Its process lives but does not answer yet (it may not have read its last frames). */
  | { kind: 'alive' }
  /** The host cannot be reached now. */
  | { kind: 'unreachable'; why: string };

/** The host cannot take pools now; the message says why. */
export class HostError extends Error {}

/** One pool's allocation, as show-hosts tells it. */
export interface AllocationState {
  /** The cluster's id for it (the Slurm job id), once known. */
  id: string | null;
  /** PENDING, RUNNING, NODE_FAIL, … */
  state: string;
  /** Why it pends (Slurm's reason), while it does. */
  reason: string | null;
  node: string | null;
}

/**
 * What a launcher whose every pool is an allocation of its own (a Slurm job) adds: the
 * scheduler asks each pool for features and a time (core/allocations.ts), and the jobs
 * that wait for a pending allocation say what it waits for.
 */
export interface Allocator {
  /** The host's tags that are node features (its other tags, every pool has). */
  features(): ReadonlySet<string>;
  /** The longest a pool may run there, in seconds (null: no limit known). */
  maxTimeSec(): number | null;
  /** The features of each kind of node (empty: not known yet). */
  nodeKinds(): readonly ReadonlySet<string>[];
  /** `waiting for Slurm job 1234: Resources`, for a pool not started yet; null once it runs. */
  waiting(key: string): string | null;
  allocation(key: string): AllocationState | null;
  /** Tells `fn` the allocation id of a pool once it is known (for the journal). */
  onAllocated(fn: (key: string, id: string) => void): void;
}

export interface Launcher {
  readonly host: string;
  readonly paths: HostPaths;
  /** Pools on this host keep their jobs this long without a coordinator (null: until they end). */
  readonly leaseMs: number | null;
  readonly heartbeatMs: number | null;
  /** Present where each pool is an allocation of its own. */
  readonly allocator?: Allocator;
  /**
   * Makes the host ready for pools (for ssh: Node.js there, the pool program installed);
   * throws HostError. `again`: check anew, even if it was ready before (after a failure).
   */
  prepare(again?: boolean): Promise<void>;
  /** Starts a pool process and sends it `config`; frames go to `listener`. `place`: what an allocator's pool is asked for. */
  start(config: PoolConfig, listener: LinkListener, place?: Placement): PoolLink;
  /** Looks for the pool `key` (whose process was `pid`, if known). */
  probe(key: string, pid: number | null, listener: LinkListener): Promise<Probe>;
  /** Keys of the ledgers left on this host (null: the host cannot be reached). */
  ledgers(): Promise<string[] | null>;
  /** Removes a ledger (and a stale attach socket) once its ends are on record. */
  forget(key: string): Promise<void>;
  /** SIGKILL (and SIGCONT) to the process groups of jobs left without a pool. */
  killGroups(pids: readonly number[]): Promise<void>;
  /**
   * A file of a job on this host (its output), from where its last `lines` lines begin
   * (null: all of it), and until `until` settles what is appended (then a last read).
   * `poolKey`: the pool that ran it (a Slurm node's own disk is read on that node).
   */
  readFile(path: string, lines: number | null, until: Promise<void>, poolKey?: string): AsyncIterable<Buffer>;
  /**
   * Makes `from` (a file or folder on the coordinator's machine, absolute) available on
   * this host under the staging area `area` (a relative name such as `alice/sweep-1/3`, no
   * `..`), for the pool `poolKey`; returns its absolute path there, for a run frame's
   * `stage[].src`. Local: `from` itself (nothing copied). Elsewhere:
   * `<host dir>/.jms-stage/<area>/<basename>` (on a cluster, on the pool's node), an
   * earlier copy of the same replaced. Throws HostError with a one-line reason.
   */
  put(from: string, area: string, poolKey?: string): Promise<string>;
  /** Removes the staging area `area` on this host (what `put` copied there); a missing one is fine. */
  unstage(area: string): Promise<void>;
  /**
   * Copies `entries` (paths relative to `dir`, a job directory on this host, written by
   * the pool `poolKey`) into `dest` (a folder on the coordinator's machine, created if
   * missing), each entry replacing what `dest` had under its name. Entries that do not
   * exist are skipped (what `dest` has under their names is left) and returned in
   * `missing`; any other failure throws HostError with a one-line reason.
   */
  collect(dir: string, entries: readonly string[], dest: string, poolKey?: string): Promise<{ missing: string[] }>;
  /**
   * Removes these directories on this host (recursively; on a cluster, on the node of the
   * pool `poolKey` that wrote them). Refuses (HostError) any path not strictly inside this
   * host's job-directory root or its staging root, the staging root itself, and JMS's own
   * `.jms` there. Missing ones are fine.
   */
  remove(paths: readonly string[], poolKey?: string): Promise<void>;
  /**
   * Where a job of the pool `poolKey` sees `dir`, a directory the pool `from` wrote (a
   * batch's build): present where pools may not share a disk (a cluster's node-local
   * one): on another node, a copy in the staging area `area` there. Without it: `dir`.
   */
  reach?(dir: string, from: string | undefined, poolKey: string, area: string): Promise<string>;
  /** At shutdown, once its pools are gone: nothing of the coordinator's stays on the host. */
  close(): Promise<void>;
}
