// The one interface between a pool and the way it starts jobs (pool/spawn): what a job
// is given, what its end looks like, and what a spawner promises.

/** A job to start as `<shell> -c -- <command>`. */
export interface JobSpec {
  command: string;
  /** Where it runs; the pool's own working directory when absent. */
  cwd?: string;
  /**
   * Exactly the job's environment: nothing is added or kept from the pool's. Undefined
   * values are left out (as child_process does), so a NodeJS.ProcessEnv fits as it is.
   * Not changed once given: a spawner may keep what it made of it for the next job
   * given the same object (the pool's own and each console's are frozen).
   */
  env: Readonly<Record<string, string | undefined>>;
  /** Open descriptors that become the job's 1 and 2 (the caller still closes its copies). */
  stdoutFd: number;
  stderrFd: number;
}

/**
 * How a job ended: its exit code, or the signal that killed it. Both null only when its
 * status was lost (another waitpid() in the process took it; nothing in a pool does).
 * posix_spawn reports a signal Node has no name for (a real-time one) as code 128 + n;
 * child_process reports it as code 0, Node's own behaviour.
 */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Spawned {
  pid: number;
}

/** Why a job did not start, as one clause for "cannot start job N: <error>". */
export interface SpawnError {
  error: string;
}

export type SpawnerKind = 'posix_spawn' | 'child_process';

export interface JobSpawner {
  readonly kind: SpawnerKind;
  /**
   * Starts `/bin/sh -c -- <command>` as the leader of a new session (so of its own process
   * group), stdin /dev/null, stdout and stderr the given descriptors, in cwd with exactly
   * env, every signal at its default disposition and none blocked. On success onExit is
   * called exactly once, when the job has been reaped and SIGKILL sent to what is left of
   * its process group (children it forked: they must not outlive it silently holding a
   * pool slot); on failure never.
   */
  spawn(spec: JobSpec, onExit: (exit: ExitInfo) => void): Spawned | SpawnError;
}
