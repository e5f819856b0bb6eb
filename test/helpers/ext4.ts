// A small ext4 file system of a test's own, with or without a journal: an image file made
// by mkfs.ext4, loop-mounted (root only), unmounted and removed at the test's end.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

function works(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why this machine cannot give a test its own ext4, or null when it can (probed once, with a real mount). */
export const EXT4_UNAVAILABLE = ((): string | null => {
  if (process.getuid?.() !== 0) return 'loop-mounting an ext4 image needs root';
  if (!works('mkfs.ext4', ['-V'])) return 'mkfs.ext4 is not installed (Debian: e2fsprogs)';
  const probe = fs.mkdtempSync(join(os.tmpdir(), 'jms-ext4-probe-'));
  try {
    execFileSync('mkfs.ext4', ['-q', '-F', join(probe, 'img'), '8M'], { stdio: 'ignore' });
    fs.mkdirSync(join(probe, 'mnt'));
    if (!works('mount', ['-o', 'loop', join(probe, 'img'), join(probe, 'mnt')])) return 'mount -o loop failed (no loop devices?)';
    execFileSync('umount', [join(probe, 'mnt')], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return `mkfs.ext4 failed: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
})();

export interface Ext4 {
  dir: string;
  /** Unmounts it now (once; the teardown does it otherwise): before tap removes a test directory it is mounted in. */
  unmount(): void;
}

/**
 * A fresh 64 MB ext4 (with a journal or without), mode 0700, mounted at `at` (made if
 * missing) or at a new directory of its own under the system's temporary directory.
 */
export function ext4(t: Test, opts: { journal: boolean; at?: string }): Ext4 {
  const tmp = fs.mkdtempSync(join(os.tmpdir(), 'jms-ext4-'));
  const img = join(tmp, 'img');
  const dir = opts.at ?? join(tmp, 'mnt');
  execFileSync('mkfs.ext4', ['-q', '-F', ...(opts.journal ? [] : ['-O', '^has_journal']), img, '64M'], { stdio: 'ignore' });
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-o', 'loop', img, dir]);
  fs.chmodSync(dir, 0o700);
  fs.rmSync(join(dir, 'lost+found'), { recursive: true, force: true });
  let mounted = true;
  const unmount = (): void => {
    if (!mounted) return;
    mounted = false;
    execFileSync('umount', [dir], { stdio: 'ignore' });
  };
  t.teardown(() => {
    try {
      unmount();
    } catch {
      // Still busy: lazily then; reported by the test's own failure, if any.
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return { dir, unmount };
}
