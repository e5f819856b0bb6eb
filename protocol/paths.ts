// Where a coordinator and its consoles meet, the same for both programs, so that
// `jms_coord -l out -n 3` and a bare `jms_console status-all` find each other from any
// directory of the same user (as task-spooler and pueue do):
//
//   the per-user directory  $JMS_DIR, else $XDG_RUNTIME_DIR/jms, else ~/.jms
//                           (created 0700; refused if not ours or writable by others)
//   jms_in                  the classic flag, else $JMS_IN, else <directory>/jms_in
//   jms_out                 the classic flag, else $JMS_OUT, else <directory>/jms_out
//
// A console's private FIFO pair lives in a fresh directory of its own, made with
// mkdtemp next to jms_in and named with CONSOLE_DIR_PREFIX and its pid.

import fs from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { homeDir } from './node-os.js';

export interface FifoPaths {
  jmsIn: string;
  jmsOut: string;
  /** The per-user directory, when jms_in or jms_out is in it by default (so it is needed). */
  dir: string | null;
  /** Which of the two were named by a flag (a hint repeats exactly those). */
  fromFlag: { jmsIn: boolean; jmsOut: boolean };
}

type Env = Readonly<Record<string, string | undefined>>;

function set(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/** The per-user directory for the FIFOs in this environment. */
export function defaultDir(env: Env = process.env): string {
  const explicit = env['JMS_DIR'];
  if (set(explicit)) return resolve(explicit);
  const runtime = env['XDG_RUNTIME_DIR'];
  if (set(runtime)) return resolve(runtime, 'jms');
  return join(homeDir(), '.jms');
}

/** jms_in and jms_out from the flags (absent: not given), the environment and the defaults. */
export function resolveFifos(flags: { jmsIn?: string | undefined; jmsOut?: string | undefined }, env: Env = process.env): FifoPaths {
  const dir = defaultDir(env);
  let usesDir = false;
  const pick = (flag: string | undefined, variable: string, name: string): string => {
    if (set(flag)) return resolve(flag);
    const fromEnv = env[variable];
    if (set(fromEnv)) return resolve(fromEnv);
    usesDir = true;
    return join(dir, name);
  };
  const jmsIn = pick(flags.jmsIn, 'JMS_IN', 'jms_in');
  const jmsOut = pick(flags.jmsOut, 'JMS_OUT', 'jms_out');
  return { jmsIn, jmsOut, dir: usesDir ? dir : null, fromFlag: { jmsIn: set(flags.jmsIn), jmsOut: set(flags.jmsOut) } };
}

/** Why `dir` may not hold our FIFOs (another user's, or writable by others), or null. */
export function whyNotPrivate(st: fs.Stats, uid: number): string | null {
  if (!st.isDirectory()) return st.isSymbolicLink() ? 'is a symbolic link, not a directory' : 'is not a directory';
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `is writable by other users (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

export class PathError extends Error {}

function uid(): number {
  return process.getuid?.() ?? 0;
}

/** Creates the per-user directory (0700) if missing; throws PathError when it is not ours alone. */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PathError(`cannot create the directory ${dir} for the FIFOs: ${reasonOf(err)}; set JMS_DIR to a directory of your own.`);
  }
  checkPrivateDir(dir);
}

/** Throws PathError when `dir` exists and is not ours alone; a missing one passes. */
export function checkPrivateDir(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch {
    return;
  }
  const why = whyNotPrivate(st, uid());
  if (why === null) return;
  const fix = st.isDirectory() && st.uid === uid() ? `run 'chmod 700 ${dir}'` : 'set JMS_DIR to a directory of your own';
  throw new PathError(`${dir} ${why}, so it cannot hold the FIFOs; ${fix}.`);
}

/** The start of a console's private directory name: fixed per console pid, random after it. */
export function consoleDirPrefix(pid: number): string {
  return `jms_console-${pid}-`;
}

/**
 * Removes a console's private directory once its FIFOs are gone: only an empty, real
 * directory (never a link) of `uid` whose name is that console's mkdtemp name, holding
 * both of the FIFOs its handshake named.
 */
export function removeConsoleDir(requestFifo: string, replyFifo: string, pid: number, owner: number): void {
  const dir = dirname(requestFifo);
  if (dirname(replyFifo) !== dir || !basename(dir).startsWith(consoleDirPrefix(pid))) return;
  try {
    const st = fs.lstatSync(dir);
    if (!st.isDirectory() || st.uid !== owner) return;
    // rmdir removes only an empty directory, and a link swapped in since fails with ENOTDIR.
    fs.rmdirSync(dir);
  } catch {
    // Not empty, already gone, or not ours: left alone.
  }
}

export function reasonOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : null;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'a directory on the way does not exist';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EEXIST':
      return 'it already exists';
    default:
      return err instanceof Error ? err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '') : String(err);
  }
}
