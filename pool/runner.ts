// Runs a pool's jobs: each as `/bin/sh -c -- <job>` leading its own session and process
// group (started through pool/spawn: posix_spawn or child_process.spawn), its
// output going straight into the files of its directory, its end reported once. Every
// step is in the ledger before the coordinator hears of it: `starting` before anything
// exists, `started` once the process runs, `exited` when it has been reaped. A job with
// files to stage has them copied into its directory first (pool/stage.ts), while the
// pool goes on serving; it counts as active meanwhile, and it does not start if the
// pool was told to end its jobs in the meantime.

import fs from 'node:fs';
import { HELD_CERTS } from '../protocol/messages.js';
import { emptyTrace, type JobTrace, type LedgerRecord } from '../protocol/ledger.js';
import type { OwnDir } from '../protocol/own-dir.js';
import type { JobSignal, PoolEvent } from '../protocol/pool-messages.js';
import type { StageEntry } from '../protocol/stage.js';
import { closeFds, discardDir, finishDir, jobDirName, prepareDir, removeLink, type PreparedDir } from './job-dir.js';
import { killGroup } from './spawn/group.js';
import { jobSpawner, type JobSpawner } from './spawn/index.js';
import { say } from './stdio.js';

export interface RunnerConfig {
  out: OwnDir;
  user: string;
  graceMs: number;
  record(rec: LedgerRecord): void;
  emit(event: PoolEvent): void;
}

/** Jobs get the coordinator's environment as it was, NODE_EXTRA_CA_CERTS included (frozen: JobSpec.env). */
const JOB_ENV: NodeJS.ProcessEnv = (() => {
  const env = { ...process.env };
  const held = env[HELD_CERTS];
  delete env[HELD_CERTS];
  if (held !== undefined) env['NODE_EXTRA_CA_CERTS'] = held;
  return Object.freeze(env);
})();

export interface RunSpec {
  jobId: number;
  command: string;
  cwd?: string;
  /** The console's environment (frozen: JobSpec.env); absent: the pool's own (this host's). */
  env?: Readonly<Record<string, string>>;
  /** Set over that environment. */
  setEnv?: Record<string, string>;
  /** A missing `cwd` means the job directory, not a failure (a host other than the console's). */
  orJobDir?: boolean;
  /** It runs in its job directory, whatever `cwd` says. */
  inJobDir?: boolean;
  /** Copied into the job directory before the command starts. */
  stage?: readonly StageEntry[];
}

export class Runner {
  /** Jobs started and not yet reaped: their process-group leaders. */
  private readonly running = new Map<number, number>();
  /** What happened to every job this pool took (for an attaching coordinator). */
  private readonly traces = new Map<number, JobTrace>();
  /** Jobs that run in their job directory: the link left at its first name, removed at their end. */
  private readonly links = new Map<number, string>();
  /** posix_spawn when the addon is there, child_process.spawn otherwise (pool/spawn). */
  private readonly spawner: JobSpawner = jobSpawner();
  /** Jobs whose files are being staged: taken, not started yet. */
  private readonly staging = new Set<number>();
  /** Told to end every job: a job still staging does not start. */
  private ending = false;

  constructor(private readonly config: RunnerConfig) {}

  get active(): number {
    return this.running.size + this.staging.size;
  }

  /** Jobs this pool has taken, whether they started or not. */
  get taken(): number {
    return this.traces.size;
  }

  /** Which way jobs start here: posix_spawn or child_process. */
  get spawnerKind(): string {
    return this.spawner.kind;
  }

  allTraces(): JobTrace[] {
    return [...this.traces.values()];
  }

  run(spec: RunSpec): void {
    const { jobId } = spec;
    const trace = emptyTrace(jobId);
    this.traces.set(jobId, trace);
    try {
      this.config.record({ r: 'starting', job: jobId, at: Date.now() });
    } catch (err) {
      this.fail(trace, `the pool cannot write its ledger (${describe(err)}); free some space and submit again`, false);
      return;
    }
    trace.starting = true;
    // One stat of the working directory for both questions (may it start, and where).
    const cwdIsDir = spec.cwd !== undefined && isDir(spec.cwd);
    const refused = this.whyNot(spec, cwdIsDir);
    if (refused !== null) return this.fail(trace, refused);
    let dir: PreparedDir;
    try {
      dir = prepareDir(this.config.out, jobId);
    } catch (err) {
      return this.fail(trace, `cannot create its directory in ${this.config.out.path}: ${describe(err)}`);
    }
    if (spec.stage === undefined || spec.stage.length === 0) return this.launch(spec, trace, dir, cwdIsDir);
    this.staging.add(jobId);
    // pool/stage.ts (and node:fs/promises) only for a job with files to stage.
    const stage = spec.stage;
    void import('./stage.js').then(({ stageFiles }) => stageFiles(this.config.out.at(dir.tmpName), jobId, stage)).then((problem) => {
      this.staging.delete(jobId);
      const why = problem ?? (this.ending ? 'the pool was told to end its jobs before its files were staged' : null);
      // Asked again: the staging took a while.
      if (why === null) return this.launch(spec, trace, dir, spec.cwd !== undefined && isDir(spec.cwd));
      closeFds(dir);
      discardDir(this.config.out, dir);
      this.fail(trace, why);
    });
  }

  /** Spawns the job in its prepared directory; records and reports its start. */
  private launch(spec: RunSpec, trace: JobTrace, dir: PreparedDir, cwdIsDir: boolean): void {
    const { jobId } = spec;
    let pid = -1;
    const inJobDir = spec.inJobDir === true || (spec.cwd !== undefined && !cwdIsDir);
    // Through the pool's own descriptor, by pid: the child resolves the path after the
    // spawner closed every inherited descriptor (posix_spawn's closefrom), where its own
    // /proc/self/fd no longer has it.
    const cwd = inJobDir ? `/proc/${process.pid}/fd/${this.config.out.fd}/${dir.tmpName}` : spec.cwd;
    // In its job directory, the job starts under the directory's first name: that name stays
    // valid (a link to the final one), so a $PWD taken at once still works later.
    const hidden = `${this.config.out.path}/${dir.tmpName}`;
    // The shared object itself when nothing is set over it: the spawner keeps what it made of it.
    const base = spec.env ?? JOB_ENV;
    const env = spec.setEnv === undefined && !inJobDir ? base : { ...base, ...spec.setEnv, ...(inJobDir ? { PWD: hidden } : {}) };
    const spawned = this.spawner.spawn(
      { command: spec.command, env, stdoutFd: dir.stdoutFd, stderrFd: dir.stderrFd, ...(cwd === undefined ? {} : { cwd }) },
      (e) => this.exited(trace, e.code, e.signal),
    );
    closeFds(dir);
    if ('error' in spawned) {
      discardDir(this.config.out, dir);
      return this.fail(trace, spawned.error);
    }
    pid = spawned.pid;
    const at = new Date();
    let finalDir: string;
    try {
      finalDir = finishDir(this.config.out, dir, jobDirName(this.config.user, jobId, pid, at), inJobDir);
    } catch (err) {
      // The job runs; its output stays under the hidden name, which we report.
      finalDir = `${this.config.out.path}/${dir.tmpName}`;
      say(`pool ${process.pid}: job ${jobId}: cannot rename its directory: ${describe(err)}\n`);
    }
    this.running.set(jobId, pid);
    if (inJobDir) this.links.set(jobId, dir.tmpName);
    trace.started = { pid, dir: finalDir, at: at.getTime() };
    try {
      this.config.record({ r: 'started', job: jobId, pid, dir: finalDir, at: at.getTime() });
    } catch (err) {
      // Unrecorded, it could run twice after a crash: it must not run at all.
      killGroup(pid, 'SIGKILL');
      say(`pool ${process.pid}: job ${jobId}: cannot record its start (${describe(err)}); killed it\n`);
    }
    this.config.emit({ kind: 'started', jobId, pid, dir: finalDir, at: at.getTime(), ...(inJobDir ? { cwd: finalDir } : {}) });
  }

  private whyNot(spec: RunSpec, cwdIsDir: boolean): string | null {
    if (spec.cwd !== undefined && spec.orJobDir !== true && spec.inJobDir !== true && !cwdIsDir) return `its working directory ${spec.cwd} is gone or not a directory`;
    return diskFull(this.config.out.path);
  }

  private fail(trace: JobTrace, reason: string, record = true): void {
    const at = Date.now();
    trace.end = { kind: 'start-failed', reason, at };
    if (record) {
      try {
        this.config.record({ r: 'start-failed', job: trace.jobId, reason, at });
      } catch {
        // A full disk: the coordinator records it (or, after a crash, finds `starting` only).
      }
    }
    this.config.emit({ kind: 'start-failed', jobId: trace.jobId, reason });
  }

  signal(jobId: number, signal: JobSignal): void {
    const pid = this.running.get(jobId);
    if (pid === undefined) {
      this.config.emit({ kind: 'signalled', jobId, signal, error: 'the job is not running in this pool' });
      return;
    }
    let error: string | null = null;
    try {
      process.kill(-pid, signal);
    } catch (err) {
      error = describe(err);
    }
    this.config.emit({ kind: 'signalled', jobId, signal, error });
  }

  /** SIGTERM to every job (continued so a stopped one can die), SIGKILL after the grace. */
  terminateAll(): void {
    this.ending = true;
    const pids = [...this.running.values()];
    for (const pid of pids) {
      killGroup(pid, 'SIGTERM');
      killGroup(pid, 'SIGCONT');
    }
    if (pids.length === 0) return;
    setTimeout(() => {
      for (const pid of pids) killGroup(pid, 'SIGKILL');
    }, this.config.graceMs).unref();
  }

  /** The lease ran out with no coordinator: every job is recorded as expired, then ended. */
  expireAll(): void {
    const at = Date.now();
    for (const jobId of this.running.keys()) {
      const trace = this.traces.get(jobId);
      if (trace !== undefined) trace.expiredAt = at;
      try {
        this.config.record({ r: 'expired', job: jobId, at });
      } catch {
        // Recorded in memory; the exit record follows.
      }
    }
    this.terminateAll();
  }

  private exited(trace: JobTrace, code: number | null, signal: string | null): void {
    this.running.delete(trace.jobId);
    const link = this.links.get(trace.jobId);
    this.links.delete(trace.jobId);
    if (link !== undefined) removeLink(this.config.out, link);
    // Its group's stragglers are gone too: the spawner killed them (JobSpawner.spawn).
    const at = Date.now();
    trace.end = { kind: 'exited', code, signal, at };
    try {
      this.config.record({ r: 'exited', job: trace.jobId, code, signal, at });
    } catch (err) {
      say(`pool ${process.pid}: job ${trace.jobId}: cannot record its end: ${describe(err)}\n`);
    }
    this.config.emit({ kind: 'exited', jobId: trace.jobId, code, signal, at });
  }
}

function isDir(path: string): boolean {
  try {
    return fs.statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Below this much free space a job is not started: its output would be lost. */
const MIN_FREE_BYTES = 64 * 1024;

/** Why the output disk cannot take a job's output, or null when it can. */
function diskFull(outDir: string): string | null {
  try {
    const st = fs.statfsSync(outDir);
    const free = st.bavail * st.bsize;
    if (free < MIN_FREE_BYTES) return `the disk of ${outDir} is full (${free} bytes free); free some space and submit again`;
  } catch {
    // Unknown: let the directory creation report what is wrong.
  }
  return null;
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
