// A small disk of a test's own: a tmpfs mounted for it (root only) and removed at its
// end, and a way to fill one up to ENOSPC.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { errno } from '../../protocol/fifo.js';

const IS_ROOT = process.getuid?.() === 0;

/** 'ok' when this machine lets the tests mount a tmpfs (root); false otherwise. */
export const MOUNT = ((): string | false => {
  if (!IS_ROOT) return false;
  const probe = fs.mkdtempSync(join(os.tmpdir(), 'jms-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return 'ok';
  } catch {
    return false;
  } finally {
    fs.rmdirSync(probe);
  }
})();

/** A small tmpfs of its own for the output path (outside the test directory). */
export function tmpfs(t: Test, options: string): string {
  const mnt = fs.mkdtempSync(join(os.tmpdir(), 'jms-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `${options},mode=0700`, 'tmpfs', mnt]);
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
      fs.rmdirSync(mnt);
    } catch {
      // Left for the machine's owner: a failed test is reported anyway.
    }
  });
  return mnt;
}

/** Fills `dir` until ENOSPC: with empty files (inodes) or one file's bytes. */
export function fill(dir: string, what: 'inodes' | 'bytes'): number {
  let n = 0;
  try {
    if (what === 'inodes') {
      for (;;) {
        fs.closeSync(fs.openSync(join(dir, `fill_${n}`), 'wx'));
        n += 1;
      }
    }
    const fd = fs.openSync(join(dir, 'fill_bytes'), 'wx');
    try {
      const block = Buffer.alloc(4096);
      for (;;) n += fs.writeSync(fd, block);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if (errno(err) !== 'ENOSPC') throw err;
  }
  return n;
}

