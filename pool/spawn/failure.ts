// What both spawners say when a job cannot start, and signal numbers as Node's names.
// A failed start is diagnosed afterwards (a look at the working directory and the
// shell), so the reason names the thing that is wrong, not just an errno.

import fs from 'node:fs';
import { nodeOs } from '../../protocol/node-os.js';

/** The errno name an error carries (ENOENT, EACCES, ...), or null. */
export function errnoCode(err: unknown): string | null {
  if (!(err instanceof Error) || !('code' in err) || typeof err.code !== 'string') return null;
  return /^E[A-Z0-9]+$/.test(err.code) ? err.code : null;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const PLAIN: Readonly<Record<string, string>> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'is not a directory',
  EACCES: 'is not accessible (permission denied)',
  ELOOP: 'has too many symbolic links',
  ENAMETOOLONG: 'is too long a name',
};

function plain(err: unknown): string {
  const code = errnoCode(err);
  return (code === null ? undefined : PLAIN[code]) ?? message(err);
}

/** Why the working directory cannot be entered, or null when it can. */
function cwdProblem(cwd: string): string | null {
  try {
    if (!fs.statSync(cwd).isDirectory()) return `its working directory ${cwd} is not a directory`;
    fs.accessSync(cwd, fs.constants.X_OK);
    return null;
  } catch (err) {
    return `its working directory ${cwd} ${plain(err)}`;
  }
}

/** Why the shell cannot be executed, or null when it looks executable. */
function shellProblem(shell: string): string | null {
  try {
    if (!fs.statSync(shell).isFile()) return `cannot execute ${shell}: it is not a regular file`;
    fs.accessSync(shell, fs.constants.X_OK);
    return null;
  } catch (err) {
    return errnoCode(err) === 'EACCES' ? `cannot execute ${shell}: permission denied` : `cannot execute ${shell}: it ${plain(err)}`;
  }
}

/** An error about the arguments themselves (a NUL byte, a wrong type): nothing to diagnose. */
function isArgumentError(err: unknown): boolean {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('ERR_');
}

/** One clause saying why `<shell> -c` could not start in cwd, given the error it raised. */
export function whyNotStarted(shell: string, cwd: string | undefined, err: unknown): string {
  const code = errnoCode(err);
  const detail = `cannot start ${shell}: ${message(err)}${code === null || message(err).includes(code) ? '' : ` (${code})`}`;
  if (isArgumentError(err)) return detail;
  return (cwd === undefined ? null : cwdProblem(cwd)) ?? shellProblem(shell) ?? detail;
}

function isSignal(name: string): name is NodeJS.Signals {
  return name in nodeOs().constants.signals;
}

/** Signal number to name; the first name wins for aliases (SIGABRT before SIGIOT), as in Node. */
let names: ReadonlyMap<number, NodeJS.Signals> | undefined;

/** The table, made the first time a job ends by a signal (node:os is not loaded before). */
function signalNames(): ReadonlyMap<number, NodeJS.Signals> {
  if (names !== undefined) return names;
  const made = new Map<number, NodeJS.Signals>();
  for (const [name, n] of Object.entries(nodeOs().constants.signals)) {
    if (isSignal(name) && !made.has(n)) made.set(n, name);
  }
  names = made;
  return made;
}

export function signalName(signo: number): NodeJS.Signals | null {
  return signalNames().get(signo) ?? null;
}
