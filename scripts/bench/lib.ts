// Helpers of `make bench`: statistics, /proc readings, child processes with deadlines,
// coordinators started and shut down in private temporary directories, a synthetic
// journal, and one cleanup list that the harness runs on every way out.

import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { Connection, type DistributiveOmit } from '../../console/connection.js';
import type { JobBrief, PoolView, Reply, Request } from '../../protocol/messages.js';
import { resolveFifos } from '../../protocol/paths.js';

/** The project folder (this file is dist/scripts/bench/lib.js once compiled). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const COORD_JS = join(ROOT, 'dist/coord/main.js');
export const CONSOLE_JS = join(ROOT, 'dist/console/main.js');
export const BASELINE_JS = join(ROOT, 'dist/scripts/bench/baseline.js');

/** Milliseconds, monotonic, sub-millisecond resolution. */
export const now = (): number => performance.now();

export function progress(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// --- statistics --------------------------------------------------------------------

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile (q in 0..100) of an ascending array. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((q / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}

// --- /proc -------------------------------------------------------------------------

/** A `kB` field of /proc/<pid>/status (VmRSS, VmHWM, …) in kB, or null. */
export function procStatusKb(pid: number, field: string): number | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Proportional set size (shared pages divided among their users) in kB, or null. */
export function pssKb(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

let clockTicks: number | null = null;

/** CPU time (user + system) a process has used so far, in ms (10 ms steps), or NaN. */
export function procCpuMs(pid: number): number {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}

// --- cleanup -----------------------------------------------------------------------

const cleanups = new Map<number, () => void>();
let nextCleanup = 1;

/** Registers a synchronous cleanup; returns its remover. Runs last-registered first. */
export function onCleanup(fn: () => void): () => void {
  const key = nextCleanup++;
  cleanups.set(key, fn);
  return () => void cleanups.delete(key);
}

export function cleanupAll(): void {
  for (const key of [...cleanups.keys()].reverse()) {
    const fn = cleanups.get(key);
    cleanups.delete(key);
    try {
      fn?.();
    } catch {
      // Best effort on the way out.
    }
  }
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A fresh directory under `parent`, removed by cleanupAll if still there. */
export function tempDir(parent: string, prefix: string): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(join(parent, prefix));
  const unregister = onCleanup(() => removeDir(dir));
  return { dir, remove: () => { unregister(); removeDir(dir); } };
}

// --- child processes ---------------------------------------------------------------

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((res, rej) => {
    child.once('exit', (code, signal) => res({ code, signal }));
    child.once('error', rej);
  });
}

/** Waits for `child` to exit; past the deadline kills it (SIGKILL) and throws. */
export async function exitWithin(child: ChildProcess, ms: number, what: string): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s (killed)`));
    }, ms);
  });
  try {
    return await Promise.race([exitOf(child), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Spawns `cmd`; the child is SIGKILLed by cleanupAll if it is still running then. */
export function spawnTracked(cmd: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, opts);
  const unregister = onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.once('exit', unregister);
  child.once('error', unregister);
  return child;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** execFile that never throws on a non-zero exit; rejects only when it cannot run. */
export function run(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code === 'string') return rej(err);
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        const signal = err === null ? null : ((err.signal as NodeJS.Signals | undefined) ?? null);
        res({ code, signal, stdout, stderr });
      },
    );
  });
}

export function tail(path: string, lines = 5): string {
  try {
    return fs.readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

// --- talking to a coordinator ------------------------------------------------------

export type Body = DistributiveOmit<Request, 'id'>;

/** One request with a deadline; `onItem` sees each batch item. */
export async function ask(conn: Connection, body: Body, timeoutMs = 30_000, onItem?: (r: Reply) => void): Promise<Reply> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`no answer to ${body.kind} within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([conn.request(body, onItem), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A batch request's items (jobs or pools). */
export async function batch(conn: Connection, body: Body, timeoutMs = 60_000): Promise<{ jobs: JobBrief[]; pools: PoolView[] }> {
  const jobs: JobBrief[] = [];
  const pools: PoolView[] = [];
  const last = await ask(conn, body, timeoutMs, (r) => {
    if (r.kind === 'job') jobs.push(r.job);
    else if (r.kind === 'pool') pools.push(r.pool);
  });
  if (last.kind !== 'end') throw new Error(`${body.kind} answered ${JSON.stringify(last)}`);
  return { jobs, pools };
}

export interface Coord {
  /** The coordinator's own temporary directory (output, FIFOs, log). */
  dir: string;
  out: string;
  jmsIn: string;
  jmsOut: string;
  logPath: string;
  proc: ChildProcess;
  pid: number;
  /** The harness's console connection (one per coordinator: its FIFOs are named by our pid). */
  conn: Connection;
  /** From spawn to the first accepted handshake. */
  startupMs: number;
}

export interface CoordOptions {
  /** Directory to use (created by the caller) or, when absent, a fresh one under `parent`. */
  dir: string;
  jobsPool: number;
  extra?: readonly string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

/** Starts `jms_coord` on FIFOs and output inside `dir`, and connects to it. */
export async function startCoord(o: CoordOptions): Promise<Coord> {
  const out = join(o.dir, 'out');
  const jmsIn = join(o.dir, 'jms_in');
  const jmsOut = join(o.dir, 'jms_out');
  const logPath = join(o.dir, 'coord.log');
  const logFd = fs.openSync(logPath, 'a');
  const t0 = now();
  const args = [COORD_JS, '-l', out, '-n', String(o.jobsPool), '-w', jmsOut, '-r', jmsIn, ...(o.extra ?? [])];
  const proc = spawnTracked(process.execPath, args, { stdio: ['ignore', 'ignore', logFd], env: o.env ?? process.env });
  fs.closeSync(logFd);
  const pid = proc.pid;
  if (pid === undefined) throw new Error('could not start jms_coord');
  // On any way out of the harness: SIGTERM (the coordinator shuts down as for `shutdown`).
  const unregister = onCleanup(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
  });
  proc.once('exit', unregister);
  const deadline = t0 + (o.readyTimeoutMs ?? 60_000);
  // It logs `serving on <jms_in>` once it reads jms_in; until then a handshake would fail
  // (each failed Connection.open costs two mkfifo runs), so try early only now and then.
  for (let attempt = 0; ; attempt += 1) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`jms_coord exited (${proc.exitCode ?? proc.signalCode}) at start-up: ${tail(logPath)}`);
    }
    if (isFifo(jmsIn) && (attempt % 25 === 24 || logSays(logPath, 'serving on'))) {
      try {
        const conn = await Connection.open(resolveFifos({ jmsIn, jmsOut }));
        return { dir: o.dir, out, jmsIn, jmsOut, logPath, proc, pid, conn, startupMs: now() - t0 };
      } catch {
        // Not listening yet.
      }
    }
    if (now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`jms_coord did not accept a console within ${Math.round((deadline - t0) / 1000)} s: ${tail(logPath)}`);
    }
    await sleep(10);
  }
}

function logSays(path: string, words: string): boolean {
  try {
    return fs.readFileSync(path, 'utf8').includes(words);
  } catch {
    return false;
  }
}

function isFifo(path: string): boolean {
  try {
    return fs.lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}

/** `shutdown`, then waits for the process to exit (SIGKILL after a deadline). */
export async function stopCoord(c: Coord): Promise<void> {
  try {
    if (c.proc.exitCode === null && c.proc.signalCode === null) await ask(c.conn, { kind: 'shutdown' }, 30_000);
  } catch (err) {
    progress(`shutdown of coordinator ${c.pid} failed (${message(err)}); sending SIGTERM`);
    c.proc.kill('SIGTERM');
  } finally {
    c.conn.close();
  }
  try {
    await exitWithin(c.proc, 30_000, `jms_coord ${c.pid}`);
  } catch (err) {
    progress(message(err));
  }
}

// --- a journal of finished jobs ----------------------------------------------------

/**
 * Writes `<out>/.jms/journal` holding `jobs` finished jobs (ids 1..jobs), each with the
 * four records a real run leaves: new, dispatched, started, exited 0. Pids are above this
 * machine's pid_max range used by live processes (4194000+) and the directories do not
 * exist: finished jobs are never checked. Returns the journal's size in bytes.
 */
export function writeFinishedJournal(out: string, jobs: number, user: string, jobsPool = 50): number {
  const state = join(out, '.jms');
  fs.mkdirSync(state, { recursive: true, mode: 0o700 });
  const path = join(state, 'journal');
  const fd = fs.openSync(path, 'w', 0o600);
  const base = Date.now() - jobs * 10 - 60_000;
  let bytes = 0;
  let chunk: string[] = [];
  const line = (record: object): void => {
    const json = JSON.stringify(record);
    chunk.push(`${crc32(json).toString(16).padStart(8, '0')} ${json}\n`);
  };
  const flush = (): void => {
    const buf = Buffer.from(chunk.join(''));
    fs.writeSync(fd, buf);
    bytes += buf.length;
    chunk = [];
  };
  try {
    // What consoles send: their environment (one record per distinct one), directory and pid.
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    line({ r: 'env', key: 'bench-env', env });
    const host = os.hostname();
    for (let id = 1; id <= jobs; id += 1) {
      const at = base + id * 10;
      const pid = 4_194_000 + (id % 300);
      // A console submits 100 jobs here, then the next one takes over.
      const origin = { user, host, consolePid: 3_000_000 + Math.floor(id / 100) };
      line({ r: 'new', id, cmd: '/bin/true', at, cwd: out, envId: 'bench-env', origin });
      line({ r: 'ev', id, ev: { type: 'dispatched', poolId: 1 + Math.floor((id - 1) / jobsPool), poolPid: 4_000_000 + Math.floor((id - 1) / jobsPool) } });
      line({ r: 'ev', id, ev: { type: 'started', pid, dir: join(out, `jms_${user}_${id}_${pid}_20260101_000000`), at: at + 1 } });
      line({ r: 'ev', id, ev: { type: 'exited', code: 0, signal: null, at: at + 3 } });
      if (chunk.length >= 20_000) flush();
    }
    flush();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}
