// Real programs for end-to-end tests: a jms_coord in a fresh test directory with its
// own FIFOs, and jms_console runs against it (one-shot, piped input, or raw frames).
// Teardown shuts the coordinator down and kills whatever is left.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { isAlive } from './proc.js';
import { waitFor } from './wait.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const COORD = join(ROOT, 'dist/coord/main.js');
/** jms_console as installed (package.json "bin"): the launcher of the bundled console. */
export const CONSOLE = join(ROOT, 'dist/jms_console.cjs');
export const SCRIPT = join(ROOT, 'scripts/jms_script.sh');

/**
 * Where programs that a test runs without -r/-w look for their FIFOs: never the real
 * per-user directory of whoever runs the tests (tests of the defaults set their own).
 */
export const TEST_JMS_DIR = join(ROOT, '.tap', 'no-default-jms-dir');

/**
 * The environment of the programs a test runs. Node start-up is ~3x slower with
 * NODE_EXTRA_CA_CERTS and JMS makes no TLS connections; the FIFO defaults point into
 * TEST_JMS_DIR unless `extra` says otherwise (an empty value removes a variable).
 */
export function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, JMS_DIR: TEST_JMS_DIR };
  for (const name of ['NODE_EXTRA_CA_CERTS', 'NODE_V8_COVERAGE', 'JMS_IN', 'JMS_OUT', 'XDG_RUNTIME_DIR']) delete env[name];
  for (const [k, v] of Object.entries(extra)) {
    if (v === '') delete env[k];
    else env[k] = v;
  }
  env['NO_COLOR'] = '1';
  return env;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end, feeding `input` to its stdin. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { input?: string; cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: testEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not end within ${opts.timeoutMs ?? 30_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export interface Coord {
  dir: string;
  out: string;
  jmsIn: string;
  jmsOut: string;
  child: ChildProcess;
  log(): string;
  /** One-shot: `jms_console -w … -r … <words>`. */
  cmd(line: string): Promise<RunResult>;
  /** Lines on the console's stdin (non-interactive). */
  feed(lines: readonly string[], extraArgs?: readonly string[]): Promise<RunResult>;
  /** The answer of a one-shot command, which must succeed. */
  ok(line: string): Promise<string>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Moves the coordinator's clock (JMS_CLOCK_FILE) forward by `ms`; it sees it within 50 ms. */
  advance(ms: number): void;
}

export interface CoordOptions {
  jobsPool?: number;
  maxPools?: number;
  graceMs?: number;
  poolIdleMs?: number;
  /** Runs before the coordinator starts, given its output directory (to lay down a journal). */
  prepare?: (out: string) => void;
}

export async function startCoord(t: Test, opts: CoordOptions = {}): Promise<Coord> {
  const dir = t.testdir({});
  const out = join(dir, 'out');
  const jmsIn = join(dir, 'jms_in');
  const jmsOut = join(dir, 'jms_out');
  const args = [COORD, '-l', out, '-n', String(opts.jobsPool ?? 3), '-w', jmsOut, '-r', jmsIn];
  if (opts.maxPools !== undefined) args.push('--max-pools', String(opts.maxPools));
  if (opts.graceMs !== undefined) args.push('--grace', String(opts.graceMs));
  if (opts.poolIdleMs !== undefined) args.push('--pool-idle', String(opts.poolIdleMs));
  opts.prepare?.(out);
  const clockFile = join(dir, 'clock');
  fs.writeFileSync(clockFile, '0\n');
  const child = spawn(process.execPath, args, { cwd: dir, env: testEnv({ JMS_CLOCK_FILE: clockFile }), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const consoleArgs = ['-w', jmsIn, '-r', jmsOut];
  const c: Coord = {
    dir, out, jmsIn, jmsOut, child,
    log: () => log,
    cmd: (line) => run(process.execPath, [CONSOLE, ...consoleArgs, ...line.split(' ')], { cwd: dir }),
    feed: (lines, extra = []) => run(process.execPath, [CONSOLE, ...consoleArgs, ...extra], { cwd: dir, input: lines.map((l) => `${l}\n`).join('') }),
    async ok(line) {
      const r = await c.cmd(line);
      if (r.code !== 0) throw new Error(`'${line}' failed (${r.code}): ${r.stderr}\ncoordinator log:\n${log}`);
      return r.stdout.trimEnd();
    },
    exited: () => ended,
    advance(ms) {
      const now = Number(fs.readFileSync(clockFile, 'utf8').trim());
      fs.writeFileSync(`${clockFile}.new`, `${now + ms}\n`);
      fs.renameSync(`${clockFile}.new`, clockFile);
    },
  };
  stopOnTeardown(t, child, ended);
  await waitFor('the coordinator to serve', () => log.includes('serving on') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`jms_coord exited ${child.exitCode}: ${log}`);
  return c;
}

/**
 * At teardown, a coordinator still running gets SIGTERM (the shutdown path, which needs
 * no FIFO: tap may already have removed the test directory and the FIFOs in it), and
 * SIGKILL if it has not ended 10 s later.
 */
export function stopOnTeardown(t: Test, child: ChildProcess, ended: Promise<unknown>): void {
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000)));
    const stopped = await Promise.race([ended.then(() => true), late]);
    clearTimeout(timer);
    if (!stopped) child.kill('SIGKILL');
  });
}

/** Job directories under `out`, by job id. */
export function jobDirs(out: string): Map<number, string> {
  const dirs = new Map<number, string>();
  for (const name of fs.existsSync(out) ? fs.readdirSync(out) : []) {
    const m = /^jms_.+_(\d+)_(\d+)_\d{8}_\d{6}$/.exec(name);
    if (m !== null) dirs.set(Number(m[1]), join(out, name));
  }
  return dirs;
}

/** Parses `JobID: 3, PID: 2324`. */
export function submitted(answer: string): { jobId: number; pid: number } {
  const m = /^JobID: (\d+), PID: (\d+)$/.exec(answer.trim());
  if (m === null) throw new Error(`not a submit answer: ${JSON.stringify(answer)}`);
  return { jobId: Number(m[1]), pid: Number(m[2]) };
}

export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(`pid ${pid} to end`, () => !isAlive(pid), timeoutMs);
}

/**
 * What consoles keep next to jms_in in `dir`: their private directories
 * (`jms_console-<pid>-XXXXXX`, of console `pid` only if given), each with the FIFOs in it
 * (`jms_console-4242-Ab12Cd/jms_in`), and any FIFO of the older `jms_in.<pid>` form.
 */
export function consoleEntries(dir: string, pid?: number): string[] {
  const prefix = pid === undefined ? 'jms_console-' : `jms_console-${pid}-`;
  const found: string[] = [];
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (/^jms_(in|out)\.\d+$/.test(name) && pid === undefined) found.push(name);
    if (!name.startsWith(prefix)) continue;
    found.push(name);
    try {
      for (const inner of fs.readdirSync(join(dir, name))) found.push(join(name, inner));
    } catch {
      // Removed while we looked.
    }
  }
  return found.sort();
}
