// A tmpfs for the rows that put the output path (and tsp's TMPDIR) in memory: one mounted
// for the run when the harness is root (removed at the end), else /dev/shm when it is a
// tmpfs, else none (those rows are skipped, saying why).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { onCleanup, tempDir } from './lib.js';

function fsType(path: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', path], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export function benchTmpfs(root: string): { dir: string; how: string } | { skip: string } {
  if (process.getuid?.() === 0) {
    const mnt = join(root, 'tmpfs');
    fs.mkdirSync(mnt, { mode: 0o700 });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4g,mode=0700', 'tmpfs', mnt], { stdio: 'ignore' });
      onCleanup(() => execFileSync('umount', ['-l', mnt], { stdio: 'ignore' }));
      return { dir: mnt, how: `a tmpfs mounted at ${mnt} for the run` };
    } catch {
      fs.rmdirSync(mnt);
    }
  }
  if (fsType('/dev/shm') === 'tmpfs') return { dir: tempDir('/dev/shm', 'jms-bench-').dir, how: 'under /dev/shm (tmpfs)' };
  return { skip: 'no tmpfs: not root (cannot mount one) and /dev/shm is not a tmpfs' };
}
