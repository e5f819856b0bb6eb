// Runs a pool's jobs: each as `/bin/sh -c <job>` leading its own process group, its
// output going straight into the files of its directory, its end reported once.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { HELD_CERTS } from '../protocol/messages.js';
import type { JobSignal, PoolEvent } from '../protocol/pool-messages.js';
import { closeFds, discardDir, finishDir, jobDirName, prepareDir } from './job-dir.js';

export interface RunnerConfig {
  outDir: string;
  user: string;
  graceMs: number;
}

/** Jobs get the coordinator's environment as it was, NODE_EXTRA_CA_CERTS included. */
const JOB_ENV: NodeJS.ProcessEnv = (() => {
  const env = { ...process.env };
  const held = env[HELD_CERTS];
  delete env[HELD_CERTS];
  if (held !== undefined) env['NODE_EXTRA_CA_CERTS'] = held;
  return env;
})();

interface Running {
  pid: number;
  dir: string;
}

export class Runner {
  private readonly running = new Map<number, Running>();
  private started = 0;

  constructor(
    private readonly config: RunnerConfig,
    private readonly emit: (event: PoolEvent) => void,
  ) {}

  get active(): number {
    return this.running.size;
  }

  /** Jobs this pool has taken, whether they started or not. */
  get taken(): number {
    return this.started;
  }

  run(jobId: number, command: string, cwd?: string, env?: Record<string, string>): void {
    this.started += 1;
    if (cwd !== undefined && !isDir(cwd)) {
      this.emit({ kind: 'start-failed', jobId, reason: `its working directory ${cwd} is gone or not a directory` });
      return;
    }
    const full = diskFull(this.config.outDir);
    if (full !== null) {
      this.emit({ kind: 'start-failed', jobId, reason: full });
      return;
    }
    let dir;
    try {
      dir = prepareDir(this.config.outDir, jobId);
    } catch (err) {
      this.emit({ kind: 'start-failed', jobId, reason: `cannot create its directory in ${this.config.outDir}: ${describe(err)}` });
      return;
    }
    // '--': a job that starts with '-' is the job, not an option of sh.
    const child = spawn('/bin/sh', ['-c', '--', command], {
      detached: true,
      stdio: ['ignore', dir.stdoutFd, dir.stderrFd],
      env: env ?? JOB_ENV,
      ...(cwd === undefined ? {} : { cwd }),
    });
    closeFds(dir);
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', (err) => {
        discardDir(dir);
        this.emit({ kind: 'start-failed', jobId, reason: `cannot start /bin/sh: ${describe(err)}` });
      });
      return;
    }
    const at = new Date();
    let finalDir: string;
    try {
      finalDir = finishDir(dir, this.config.outDir, jobDirName(this.config.user, jobId, pid, at));
    } catch (err) {
      // The job runs; its output stays under the hidden name, which we report.
      finalDir = dir.tmpPath;
      process.stderr.write(`pool ${process.pid}: job ${jobId}: cannot rename its directory: ${describe(err)}\n`);
    }
    this.running.set(jobId, { pid, dir: finalDir });
    this.emit({ kind: 'started', jobId, pid, dir: finalDir, at: at.getTime() });
    child.once('exit', (code, signal) => this.exited(jobId, code, signal));
  }

  signal(jobId: number, signal: JobSignal): void {
    const job = this.running.get(jobId);
    if (job === undefined) {
      this.emit({ kind: 'signalled', jobId, signal, error: 'the job is not running in this pool' });
      return;
    }
    let error: string | null = null;
    try {
      process.kill(-job.pid, signal);
    } catch (err) {
      error = describe(err);
    }
    this.emit({ kind: 'signalled', jobId, signal, error });
  }

  /** SIGTERM to every job (continued so a stopped one can die), SIGKILL after the grace. */
  terminateAll(): void {
    for (const job of this.running.values()) {
      killGroup(job.pid, 'SIGTERM');
      killGroup(job.pid, 'SIGCONT');
    }
    if (this.running.size === 0) return;
    const pids = [...this.running.values()].map((j) => j.pid);
    setTimeout(() => {
      for (const pid of pids) killGroup(pid, 'SIGKILL');
    }, this.config.graceMs).unref();
  }

  /** Records each job's end in its directory too (used when the coordinator is gone). */
  recordInDirs = false;

  private exited(jobId: number, code: number | null, signal: NodeJS.Signals | null): void {
    const job = this.running.get(jobId);
    this.running.delete(jobId);
    // A job that ended also leaves its group's stragglers (children it forked) behind;
    // they must not outlive it silently holding a pool slot, so the group goes too.
    if (job !== undefined) killGroup(job.pid, 'SIGKILL');
    const at = Date.now();
    if (this.recordInDirs && job !== undefined) writeExitRecord(job.dir, code, signal, at);
    this.emit({ kind: 'exited', jobId, code, signal, at });
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

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function writeExitRecord(dir: string, code: number | null, signal: string | null, at: number): void {
  try {
    fs.writeFileSync(join(dir, 'exit_status'), `${JSON.stringify({ code, signal, at })}\n`, { mode: 0o600 });
  } catch {
    // Nowhere better to report it: the coordinator is gone.
  }
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
