// The coordinator <-> pool vocabulary, spoken as frames on the pool's stdin/stdout (or,
// after a coordinator restart, on the pool's attach socket), so the same pool program
// runs behind any launcher that forwards stdio (ssh, srun).

import type { JobTrace } from './ledger.js';
import type { StageEntry } from './stage.js';

export type JobSignal = 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL';
export const JOB_SIGNALS: readonly JobSignal[] = ['SIGSTOP', 'SIGCONT', 'SIGTERM', 'SIGKILL'];

/** A directory's identity, checked again before the pool creates anything in it. */
export interface DirId {
  dev: number;
  ino: number;
}

export interface PoolConfig {
  /** Most jobs this pool takes over its life. */
  capacity: number;
  /** Where job directories go (on the pool's host). */
  outDir: string;
  /** The output directory's identity when the coordinator checked it; null: not checked (remote). */
  outDirId: DirId | null;
  user: string;
  graceMs: number;
  /** Names the pool's ledger and attach socket in `ledgerDir`. */
  key: string;
  ledgerDir: string;
  /** How long jobs keep running once the coordinator is gone; null: until they end. */
  leaseMs: number | null;
  /** The coordinator pings this often; silence for 3 of them is a lost link. null: no pings. */
  heartbeatMs: number | null;
}

export type PoolCommand =
  /** First frame: what the pool is and where it writes. */
  | ({ kind: 'config' } & PoolConfig)
  /** An environment later `run` frames name by key (sent once per pool). */
  | { kind: 'env'; key: string; env: Record<string, string> }
  /**
   * `cwd` and the environment `envKey` are the submitting console's; absent: the pool's
   * own. `setEnv` goes over either. `orJobDir`: a `cwd` missing on this host means the
   * job runs in its job directory instead of failing (another host than the console's).
   * `inJobDir`: it runs in its job directory whatever `cwd` says (a batch job). `stage`:
   * copied into the job directory before the command starts; a copy that fails is a
   * `start-failed` naming the file.
   */
  | {
    kind: 'run'; jobId: number; command: string; cwd?: string; envKey?: string; setEnv?: Record<string, string>; orJobDir?: boolean;
    inJobDir?: true; stage?: StageEntry[];
  }
  | { kind: 'signal'; jobId: number; signal: JobSignal }
  /** Take no more jobs: say bye once the running ones have ended. */
  | { kind: 'retire' }
  /** Shutdown: SIGTERM to every job, SIGKILL after the grace, report, bye. */
  | { kind: 'terminate' }
  /** The coordinator has every end of this pool on its disk: remove the ledger and exit. */
  | { kind: 'release' }
  | { kind: 'ping'; seq: number };

export type PoolEvent =
  | { kind: 'ready'; pid: number; key: string }
  /** `cwd`: where it runs (its job directory when the one asked for is not on this host). */
  | { kind: 'started'; jobId: number; pid: number; dir: string; at: number; cwd?: string }
  | { kind: 'start-failed'; jobId: number; reason: string }
  | { kind: 'signalled'; jobId: number; signal: JobSignal; error: string | null }
  | { kind: 'exited'; jobId: number; code: number | null; signal: string | null; at: number }
  /** Every job the pool took has ended; it waits for `release`. */
  | { kind: 'bye'; served: number }
  /** The first frame on an attach: everything the pool knows, once it saw its old coordinator go. */
  | { kind: 'state'; key: string; pid: number; jobs: JobTrace[] }
  | { kind: 'pong'; seq: number }
  /**
   * From the attach tool (pool/tools.ts) when no pool answers its socket: what its ledger
   * holds (`ledger`: whether there is one) and whether the pool still lives.
   */
  | { kind: 'absent'; key: string; pid: number | null; orphaned: boolean; ledger: boolean; jobs: JobTrace[]; alive: boolean };
