// How the coordinator runs a command on a machine it reaches: a Shell turns a command
// line into the argv that hands it to a POSIX shell there (ssh's remote shell, or
// /bin/sh on this machine), so one piece of code installs, copies and removes files on
// an ssh host, on a Slurm cluster's login node or here. One process (for ssh, one
// connection) per call; `pipe` joins two of them stdout to stdin (tar to tar).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { pipeline } from 'node:stream';

export interface Shell {
  /** The machine, for messages. */
  readonly host: string;
  /** Reached over ssh: exit code 255 is ssh's own failure to reach it. */
  readonly remote: boolean;
  /** The argv that runs `command` (a shell command line) there. */
  argv(command: string): string[];
  /** The environment that argv runs in here (default: the coordinator's). */
  readonly env?: NodeJS.ProcessEnv;
}

/** `ssh <args> <command>`: `args` end with the destination (`-T`, options, host). */
export function sshShell(host: string, args: () => readonly string[]): Shell {
  return { host, remote: true, argv: (command) => ['ssh', ...args(), command] };
}

/** /bin/sh on the coordinator's own machine. */
export function localShell(host: string): Shell {
  return { host, remote: false, argv: (command) => ['/bin/sh', '-c', command] };
}

/** A word for the shell: single-quoted, so nothing in it is special. */
export function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** A path for the shell: quoted, with `~/` left to expand to the machine's home. */
export function shellPath(p: string): string {
  return p.startsWith('~/') ? `"$HOME"/${quote(p.slice(2))}` : quote(p);
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

/** Runs argv to its end with `input` on its stdin; never rejects (a failed spawn is code null). */
export function runArgv(argv: readonly string[], input = '', env?: NodeJS.ProcessEnv): Promise<Ran> {
  const [cmd = '', ...args] = argv;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env === undefined ? {} : { env }) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

export function runShell(shell: Shell, command: string, input = ''): Promise<Ran> {
  return runArgv(shell.argv(command), input, shell.env);
}

/**
 * Runs `from | to`: the first's stdout into the second's stdin, with backpressure. When
 * either side fails the pipe is cut, so the other ends too (EOF or EPIPE) instead of
 * waiting forever. Never rejects.
 */
export function pipe(from: readonly string[], to: readonly string[], env: { from?: NodeJS.ProcessEnv | undefined; to?: NodeJS.ProcessEnv | undefined } = {}): Promise<{ from: Ran; to: Ran }> {
  const [fromCmd = '', ...fromArgs] = from;
  const [toCmd = '', ...toArgs] = to;
  const sink = spawn(toCmd, toArgs, { stdio: ['pipe', 'pipe', 'pipe'], ...(env.to === undefined ? {} : { env: env.to }) });
  const source = spawn(fromCmd, fromArgs, { stdio: ['ignore', 'pipe', 'pipe'], ...(env.from === undefined ? {} : { env: env.from }) });
  pipeline(source.stdout, sink.stdin, () => undefined);
  // The source's stdout belongs to the pipe; only the sink's is read here.
  return Promise.all([ended(source, false), ended(sink, true)]).then(([a, b]) => ({ from: a, to: b }));
}

function ended(child: ReturnType<typeof spawn>, readStdout: boolean): Promise<Ran> {
  return new Promise((resolve) => {
    let stderr = '';
    let stdout = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    if (readStdout) child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.on('error', (err) => resolve({ code: null, stdout, stderr: err.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** One line for a command that failed there: ssh's own failure named as such. */
export function failure(shell: Shell, what: string, r: Ran): string {
  const said = lastLine(r.stderr);
  if (shell.remote && (r.code === 255 || r.code === null)) return `${what}: cannot reach ${shell.host} over ssh (${said || 'no message'})`;
  return `${what}: ${said || `exit code ${r.code ?? 'none'}`}`;
}

/**
 * The stdout of a reading tool (the pool program's `--read`, over ssh or srun) as it
 * comes; the end of `until` ends its input, which tells it to read a last time and stop.
 * A non-zero exit throws with `failed(code, stderr)`.
 */
export async function* readOutput(child: ChildProcessWithoutNullStreams, until: Promise<void>, failed: (code: number | null, stderr: string) => string): AsyncIterable<Buffer> {
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.on('error', () => undefined);
  void until.then(() => child.stdin.end(), () => child.stdin.end());
  const exited = new Promise<number | null>((resolve) => child.on('close', (code: number | null) => resolve(code)));
  try {
    for await (const chunk of child.stdout) if (Buffer.isBuffer(chunk)) yield chunk;
    const code = await exited;
    if (code !== 0) throw new Error(failed(code, stderr));
  } finally {
    child.kill();
  }
}
