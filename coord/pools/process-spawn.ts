// How the coordinator starts a process with its stdin, stdout and stderr on pipes (a
// local pool): through posix_spawn in pool/spawn's native addon (spawnPiped) when it is
// built, which does not copy the coordinator's page tables as the fork inside
// child_process.spawn does (about 1.5 ms of the coordinator's CPU per pool, once it holds
// a few hundred MB), else child_process.spawn. JMS_SPAWN=child_process (as for the jobs,
// pool/spawn) forces the latter. Either way the caller sees the same three streams, the
// same exit report once everything the process wrote has been read, and the same errors.

import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { addonCandidates, loadNative } from '../../protocol/native-addon.js';

export interface Piped {
  readonly pid: number | null;
  readonly stdin: NodeJS.WritableStream & { writable: boolean; end(): void };
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  kill(): void;
  /** Once, after it exited and its stdout and stderr are read to their end. */
  onClose(fn: (how: string) => void): void;
  onError(fn: (err: Error) => void): void;
}

interface SpawnAddon {
  spawnPiped(file: string, argv: readonly string[], env: NodeJS.ProcessEnv, onExit: (code: number | null, signo: number) => void): [number, number, number, number];
  check(): string | null;
}

let addon: SpawnAddon | null | undefined;

function nativeAddon(): SpawnAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env['JMS_SPAWN'] === 'child_process') return addon;
  const got = loadNative(addonCandidates('jms_spawn.node', import.meta.dirname), 'jms_spawn.node');
  const mod = 'module' in got ? got.module : null;
  if (typeof mod === 'object' && mod !== null && 'spawnPiped' in mod && typeof mod.spawnPiped === 'function' && 'check' in mod && typeof mod.check === 'function') {
    const candidate = mod as SpawnAddon;
    if (candidate.check() === null) addon = candidate;
  }
  return addon;
}

const SIGNALS = new Map<number, string>(Object.entries(os.constants.signals).map(([name, n]) => [n, name]));

function how(code: number | null, signal: string | null): string {
  return signal !== null ? `was killed by ${signal}` : `exited with code ${code ?? 0}`;
}

/** Starts argv (its first element an absolute path for the native way) with three pipes. */
export function spawnPiped(argv: readonly string[], env: NodeJS.ProcessEnv): Piped {
  const [cmd = ''] = argv;
  const native = cmd.startsWith('/') ? nativeAddon() : null;
  if (native !== null) {
    const started = viaAddon(native, argv, env);
    if (started !== null) return started;
  }
  return viaChildProcess(argv, env);
}

function viaAddon(native: SpawnAddon, argv: readonly string[], env: NodeJS.ProcessEnv): Piped | null {
  let exit: string | null = null;
  let closeFn: ((how: string) => void) | null = null;
  let open = 2;
  const settle = (): void => {
    if (exit === null || open > 0 || closeFn === null) return;
    const fn = closeFn;
    closeFn = null;
    fn(exit);
  };
  let got: [number, number, number, number];
  try {
    got = native.spawnPiped(argv[0] ?? '', argv, env, (code, signo) => {
      exit = how(code, signo === 0 ? null : (SIGNALS.get(signo) ?? `signal ${signo}`));
      settle();
    });
  } catch {
    // child_process.spawn reports the same failure the usual way (an 'error', a close).
    return null;
  }
  const [pid, inFd, outFd, errFd] = got;
  const stdin = new net.Socket({ fd: inFd, readable: false, writable: true });
  const stdout = new net.Socket({ fd: outFd, readable: true, writable: false });
  const stderr = new net.Socket({ fd: errFd, readable: true, writable: false });
  for (const s of [stdout, stderr]) {
    s.once('close', () => {
      open -= 1;
      settle();
    });
  }
  return {
    pid,
    stdin,
    stdout,
    stderr,
    kill: () => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    onClose: (fn) => {
      closeFn = fn;
      settle();
    },
    onError: (fn) => {
      // stdin's errors (EPIPE once it died) are the caller's to ignore, as with child_process.
      for (const s of [stdout, stderr]) s.on('error', fn);
    },
  };
}

function viaChildProcess(argv: readonly string[], env: NodeJS.ProcessEnv): Piped {
  const [cmd = '', ...args] = argv;
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  return {
    pid: child.pid ?? null,
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    kill: () => child.kill('SIGKILL'),
    // 'close', not 'exit': every frame it wrote has been read by then.
    onClose: (fn) => child.once('close', (code, signal) => fn(how(code, signal))),
    onError: (fn) => child.on('error', fn),
  };
}
