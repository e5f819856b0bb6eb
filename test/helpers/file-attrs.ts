// A file's ext2/3/4 attributes as `lsattr -d` prints them (e2fsprogs), the tests' own view
// of what the pool's FS_IOC_SETFLAGS did.

import { execFileSync } from 'node:child_process';

/** The attribute letters of `path` ('-' for each unset one), or null where lsattr reads none (another file system, or no lsattr). */
export function attributes(path: string): string | null {
  try {
    return execFileSync('lsattr', ['-d', path], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}
