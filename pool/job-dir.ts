// A job's output directory: jms_<user>_<jobid>_<pid>_<YYYYMMDD>_<HHMMSS> under the
// coordinator's path, owner-only, with stdout_<jobid> and stderr_<jobid>. The pid is
// known only after the spawn, so the directory is made under a hidden name first and
// renamed once the job runs; the job's open files follow the rename.

import fs from 'node:fs';
import { join } from 'node:path';

const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;

export interface PreparedDir {
  tmpPath: string;
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
export function prepareDir(outDir: string, jobId: number): PreparedDir {
  const tmpPath = join(outDir, `.jms_starting_${jobId}_${process.pid}`);
  // mkdir never follows a symlink planted at the name: it fails with EEXIST.
  fs.mkdirSync(tmpPath, { mode: 0o700 });
  const flags = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW;
  let stdoutFd = -1;
  try {
    stdoutFd = fs.openSync(join(tmpPath, `stdout_${jobId}`), flags, 0o600);
    const stderrFd = fs.openSync(join(tmpPath, `stderr_${jobId}`), flags, 0o600);
    return { tmpPath, stdoutFd, stderrFd };
  } catch (err) {
    if (stdoutFd >= 0) fs.closeSync(stdoutFd);
    fs.rmSync(tmpPath, { recursive: true, force: true });
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

/** Gives the directory its final name; returns the final path. */
export function finishDir(dir: PreparedDir, outDir: string, name: string): string {
  const finalPath = join(outDir, name);
  fs.renameSync(dir.tmpPath, finalPath);
  return finalPath;
}

export function discardDir(dir: PreparedDir): void {
  fs.rmSync(dir.tmpPath, { recursive: true, force: true });
}
