// Running a program to its end for the test bed's helpers and tests: its exit, its output
// and its wall time, in the test environment (testEnv) plus what the caller adds.

import { spawn } from 'node:child_process';
import { testEnv } from './coord.js';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to close. */
  ms: number;
}

export interface ExecOptions {
  /** Written to stdin, which is then closed (default: closed at once). */
  input?: string;
  /** Added to the test environment (testEnv(): no NODE_EXTRA_CA_CERTS). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Default 30 s; past it the program is killed and exec rejects. */
  timeoutMs?: number;
}

/** Runs argv to its end. */
export function exec(argv: readonly string[], opts: ExecOptions = {}): Promise<Ran> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('exec: empty argv'));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? '/', env: testEnv({ ...opts.env }), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${argv.join(' ')} did not end within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

