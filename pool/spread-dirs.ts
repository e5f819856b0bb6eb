// Where the pool asks the file system to spread its job directories over the disk: ext4
// (or ext2/3 run by the ext4 driver) without a journal. There, each new inode skips
// every inode freed in its block group in the last minutes (recently_deleted in
// find_inode_bit, a buffer-cache lookup each), so once thousands of job directories were
// removed, a job's three inodes packed into the output directory's group cost 0.4-0.7 ms,
// spread by ext4's Orlov allocator (the directory's T attribute, `chattr +T`) 0.04 ms.
// Spreading has a price: Orlov looks at every group's statistics on each mkdir (on that
// disk with nothing removed for minutes, 43-80 µs a job against 18-25 µs packed). Without a
// journal the pool pays it; with one there is no such skip, nothing to gain, and it is not set.
// The file system tells which: /sys/fs/ext4/<device>/journal_task reads `<none>` without one.

import fs from 'node:fs';
import { basename } from 'node:path';
import type { OwnDir } from '../protocol/own-dir.js';
import { setTopDir } from './spawn/index.js';

/** The journal of the ext4 file system on device `st_dev`: 'none', 'journal', or null when it is not ext4 (or /sys does not say). */
export function ext4Journal(stDev: number): 'none' | 'journal' | null {
  try {
    const dev = BigInt(stDev);
    // Linux's dev_t: the major in bits 8-19 and 32-43, the minor in bits 0-7 and 20-31.
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    const name = basename(fs.readlinkSync(`/sys/dev/block/${major}:${minor}`));
    return fs.readFileSync(`/sys/fs/ext4/${name}/journal_task`, 'latin1').trim() === '<none>' ? 'none' : 'journal';
  } catch {
    return null;
  }
}

/** Gives the output directory the T attribute where that pays (above); true when it has it now. */
export function spreadJobDirs(out: Pick<OwnDir, 'fd' | 'id'>): boolean {
  return ext4Journal(out.id.dev) === 'none' && setTopDir(out.fd);
}
