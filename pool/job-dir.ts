// A job's output directory: jms_<user>_<jobid>_<pid>_<YYYYMMDD>_<HHMMSS> under the
// output path, owner-only, with stdout_<jobid> and stderr_<jobid>. The pid is known
// only after the spawn, so the directory is made under a hidden name first and renamed
// once the job runs; the job's open files follow the rename. Everything is created
// through the output directory's open descriptor (protocol/own-dir.ts), with O_EXCL
// and O_NOFOLLOW, after checking that the path still names that directory.

import fs from 'node:fs';
import { normalize } from 'node:path';
import type { OwnDir } from '../protocol/own-dir.js';

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;

export interface PreparedDir {
  tmpName: string;
  stdoutFd: number;
  stderrFd: number;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** YYYYMMDD_HHMMSS in local time. */
export function stamp(at: Date): string {
  const date = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}`;
  return `${date}_${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
}

export function jobDirName(user: string, jobId: number, pid: number, at: Date): string {
  return `jms_${user}_${jobId}_${pid}_${stamp(at)}`;
}

/** Makes the hidden directory and the two output files; throws on any failure. */
export function prepareDir(out: OwnDir, jobId: number): PreparedDir {
  if (!out.stillAt()) {
    throw new Error(`${out.path} is no longer the output directory the coordinator checked (it was moved or replaced); restart the coordinator`);
  }
  const tmpName = `.jms_starting_${jobId}_${process.pid}`;
  // mkdir never follows a symlink planted at the name: it fails with EEXIST.
  fs.mkdirSync(out.at(tmpName), { mode: 0o700 });
  const flags = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW;
  let stdoutFd = -1;
  try {
    stdoutFd = fs.openSync(out.at(`${tmpName}/stdout_${jobId}`), flags, 0o600);
    const stderrFd = fs.openSync(out.at(`${tmpName}/stderr_${jobId}`), flags, 0o600);
    return { tmpName, stdoutFd, stderrFd };
  } catch (err) {
    if (stdoutFd >= 0) fs.closeSync(stdoutFd);
    fs.rmSync(out.at(tmpName), { recursive: true, force: true });
    throw err;
  }
}

export function closeFds(dir: PreparedDir): void {
  for (const fd of [dir.stdoutFd, dir.stderrFd]) {
    try {
      fs.closeSync(fd);
    } catch {
      // Already closed.
    }
  }
}

/** Gives the directory its final name; `link`: its first name stays, as a link to it. Returns the final path. */
export function finishDir(out: OwnDir, dir: PreparedDir, name: string, link = false): string {
  fs.renameSync(out.at(dir.tmpName), out.at(name));
  if (link) {
    try {
      fs.symlinkSync(name, out.at(dir.tmpName));
    } catch {
      // The job's first $PWD goes stale; nothing else depends on the link.
    }
  }
  return pathUnder(out.path, name);
}

/** Directories in their normal form, worked out once: path.join normalises all of it every time. */
const normalDirs = new Map<string, string>();

/** path.join(dir, name) for a `name` that is one plain component (no slash, not . or ..). */
export function pathUnder(dir: string, name: string): string {
  let base = normalDirs.get(dir);
  if (base === undefined) {
    // The form name is appended to: '/' ends in its slash, and '.' (or './') is nothing.
    const n = normalize(dir);
    base = n === '.' || n === './' ? '' : n.endsWith('/') ? n : `${n}/`;
    normalDirs.set(dir, base);
  }
  return `${base}${name}`;
}

/** Removes the link a job's first name left (never anything but a link). */
export function removeLink(out: OwnDir, name: string): void {
  try {
    if (fs.lstatSync(out.at(name)).isSymbolicLink()) fs.unlinkSync(out.at(name));
  } catch {
    // Already gone.
  }
}

export function discardDir(out: OwnDir, dir: PreparedDir): void {
  fs.rmSync(out.at(dir.tmpName), { recursive: true, force: true });
}
