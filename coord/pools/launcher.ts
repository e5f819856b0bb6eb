// How pools come to be on a host, and how the coordinator reaches what they leave:
// the interface every host kind implements (local processes here; ssh and Slurm on
// other machines). A launcher starts pools, re-attaches to orphaned ones after a
// coordinator restart, reads the ledgers of pools that died, and ends the process
// groups of jobs whose pool is gone. Nothing outside a launcher touches a pid or a path
// of its host.

import type { LedgerView } from '../../protocol/ledger.js';
import type { PoolConfig } from '../../protocol/pool-messages.js';
import type { LinkListener, PoolLink } from './link.js';

/** Where a host's pools write, as the coordinator tells them in `config`. */
export interface HostPaths {
  outDir: string;
  outDirId: PoolConfig['outDirId'];
  ledgerDir: string;
}

export interface Launcher {
  readonly host: string;
  readonly paths: HostPaths;
  /** Pools on this host keep their jobs this long without a coordinator (null: until they end). */
  readonly leaseMs: number | null;
  readonly heartbeatMs: number | null;
  /** Starts a pool process and sends it `config`; frames go to `listener`. */
  start(config: PoolConfig, listener: LinkListener): PoolLink;
  /** Connects to the orphaned pool `key`; null when nobody answers there. */
  attach(key: string, listener: LinkListener): Promise<PoolLink | null>;
  /** The pool `key` (whose process was `pid`) is still alive on this host. */
  poolAlive(key: string, pid: number): boolean;
  /** Keys of the ledgers left on this host. */
  ledgers(): Promise<string[]>;
  readLedger(key: string): Promise<LedgerView | null>;
  /** Removes a ledger (and a stale attach socket) once its ends are on record. */
  forget(key: string): Promise<void>;
  /** SIGKILL (and SIGCONT) to the process groups of jobs left without a pool. */
  killGroups(pids: readonly number[]): Promise<void>;
}
