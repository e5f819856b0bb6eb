// Jobs started straight through a pool/spawn spawner, for the spawn suite: the output
// files, the end as a promise with a count of onExit calls, and /proc readings of a job
// and of this process's children.

import fs from 'node:fs';
import { join } from 'node:path';
import type { ExitInfo, JobSpawner, JobSpec } from '../../pool/spawn/index.js';
import { stateOf } from './proc.js';
import { waitFor } from './wait.js';

export interface Job {
  pid: number;
  exited: Promise<ExitInfo>;
  /** How many times onExit has been called so far. */
  calls(): number;
  stdout(): string;
  stderr(): string;
}

let serial = 0;

/** The spec's output files are made in dir; returns the error text when it did not start. */
export function startJob(spawner: JobSpawner, dir: string, spec: Omit<JobSpec, 'stdoutFd' | 'stderrFd'>): Job | string {
  serial += 1;
  const outPath = join(dir, `stdout_${serial}`);
  const errPath = join(dir, `stderr_${serial}`);
  const stdoutFd = fs.openSync(outPath, 'wx', 0o600);
  const stderrFd = fs.openSync(errPath, 'wx', 0o600);
  let calls = 0;
  let resolve: (e: ExitInfo) => void = () => undefined;
  const exited = new Promise<ExitInfo>((r) => (resolve = r));
  const started = spawner.spawn({ ...spec, stdoutFd, stderrFd }, (e) => {
    calls += 1;
    resolve(e);
  });
  fs.closeSync(stdoutFd);
  fs.closeSync(stderrFd);
  if ('error' in started) return started.error;
  return {
    pid: started.pid,
    exited,
    calls: () => calls,
    stdout: () => fs.readFileSync(outPath, 'utf8'),
    stderr: () => fs.readFileSync(errPath, 'utf8'),
  };
}

/** startJob for a job that must start. */
export function mustStart(spawner: JobSpawner, dir: string, spec: Omit<JobSpec, 'stdoutFd' | 'stderrFd'>): Job {
  const job = startJob(spawner, dir, spec);
  if (typeof job === 'string') throw new Error(`the job did not start: ${job}`);
  return job;
}

/** The fields of /proc/<pid>/stat after the command name: [state, ppid, pgrp, session, tty_nr, ...]. */
export function statFields(pid: number): string[] {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** A line `<Field>:\t<value>` of /proc/<pid>/status. */
export function statusField(pid: number, field: string): string | undefined {
  const m = new RegExp(`^${field}:\\s+(\\S+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m?.[1];
}

/** Waits until the job has exec'd `sleep` (so /proc shows the program, not the shell). */
export async function sleeping(pid: number): Promise<void> {
  // Asleep too, not only exec'd: right after the exec, ld.so has the libraries it loads
  // open (fd 3, …) for a moment; sleeping (S) it is in nanosleep, settled.
  await waitFor(`job ${pid} to exec sleep and sleep`, () => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep\0') && stateOf(pid) === 'S';
    } catch {
      return false;
    }
  });
}

/** This process's children as [pid, state], zombies included. */
export function children(): [number, string][] {
  const out: [number, string][] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const [state, ppid] = statFields(Number(name));
      if (Number(ppid) === process.pid) out.push([Number(name), state ?? '?']);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Descriptors of this process that a child inherits (no FD_CLOEXEC), above 2. */
export function inheritableFds(): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /^flags:\s+(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      // O_CLOEXEC is 02000000 (octal) in the flags line.
      if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) out.push(fd);
    } catch {
      // The directory's own descriptor, closed by now.
    }
  }
  return out;
}

/**
 * tap's processinfo wraps ChildProcess.prototype.spawn (through process-on-spawn) to add
 * NODE_OPTIONS and its _TAPJS_* variables to every child's environment. A pool does not
 * run under that wrapper, so the spawn suite takes it off to see child_process as a pool
 * does. Returns whether there was one.
 */
export function unwrapTapSpawnHook(): boolean {
  const state: unknown = Reflect.get(globalThis, Symbol.for('process-on-spawn@*:singletonId'));
  if (typeof state !== 'object' || state === null || !('unwrap' in state) || typeof state.unwrap !== 'function') return false;
  state.unwrap();
  return true;
}
