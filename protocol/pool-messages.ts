// The coordinator <-> pool vocabulary, spoken as frames on the pool's stdin/stdout so
// the same pool program can later run behind any launcher that forwards stdio (ssh).

export type JobSignal = 'SIGSTOP' | 'SIGCONT' | 'SIGTERM' | 'SIGKILL';
export const JOB_SIGNALS: readonly JobSignal[] = ['SIGSTOP', 'SIGCONT', 'SIGTERM', 'SIGKILL'];

export type PoolCommand =
  /** First frame: how many jobs this pool takes over its life and where output goes. */
  | { kind: 'config'; capacity: number; outDir: string; user: string; graceMs: number }
  /** An environment later `run` frames name by key (sent once per pool). */
  | { kind: 'env'; key: string; env: Record<string, string> }
  /** `cwd` and the environment `envKey` are the submitting console's; absent: the pool's own. */
  | { kind: 'run'; jobId: number; command: string; cwd?: string; envKey?: string }
  | { kind: 'signal'; jobId: number; signal: JobSignal }
  /** Take no more jobs: exit once the running ones have ended. */
  | { kind: 'retire' };

export type PoolEvent =
  | { kind: 'ready'; pid: number }
  | { kind: 'started'; jobId: number; pid: number; dir: string; at: number }
  | { kind: 'start-failed'; jobId: number; reason: string }
  | { kind: 'signalled'; jobId: number; signal: JobSignal; error: string | null }
  | { kind: 'exited'; jobId: number; code: number | null; signal: string | null; at: number }
  /** Last frame: every job the pool took has ended; the pool exits next. */
  | { kind: 'bye'; served: number };
