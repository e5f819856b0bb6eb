// The StrictModes rule, as OpenSSH applies it to ~/.ssh: a path the coordinator writes
// under is refused when any directory on the way could be changed by another user,
// because that user could then move a directory away and plant links or files of her
// own in its place. Every directory from / down must belong to root or to this user
// and be writable by nobody else, unless it has the sticky bit (as /tmp does: others
// may write there but not move our entries). The last directory must be this user's
// alone. Both the path as given and the path its links lead to are checked.

import fs from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

function describeMode(st: fs.Stats): string {
  return (st.mode & 0o7777).toString(8);
}

/** Why one directory on the way is unsafe, or null. */
function unsafeAncestor(path: string, st: fs.Stats, uid: number): string | null {
  if (st.uid !== 0 && st.uid !== uid) return `${path} belongs to uid ${st.uid}, neither this user (uid ${uid}) nor root`;
  const sticky = (st.mode & 0o1000) !== 0; // S_ISVTX
  if (sticky || (st.mode & 0o022) === 0) return null;
  return `${path} is writable by ${writers(st)} (mode ${describeMode(st)}), so another user could replace what is under it`;
}

function writers(st: fs.Stats): string {
  return (st.mode & 0o002) !== 0 ? 'every user' : 'its group';
}

/** Why the directory itself is not this user's alone, or null. */
function unsafeLeaf(path: string, st: fs.Stats, uid: number): string | null {
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (st.uid !== uid) return `${path} belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `${path} is writable by ${writers(st)} (mode ${describeMode(st)})`;
  return null;
}

/** The directories from / down to `path` (absolute), `path` last. */
function chain(path: string): string[] {
  const out: string[] = [];
  for (let p = path; ; p = dirname(p)) {
    out.unshift(p);
    if (dirname(p) === p) return out;
  }
}

/**
 * Why `path` is not safe to write under, or null. `leaf`: the last directory must be
 * this user's alone (an output or state directory); otherwise it is held to the
 * ancestor rule only (the directory of a FIFO, which may be a shared sticky one).
 */
export function unsafePath(path: string, leaf: boolean, uid: number = process.getuid?.() ?? 0): string | null {
  const abs = resolve(path);
  const real = fs.realpathSync(abs);
  for (const p of new Set([...chain(abs), ...chain(real)])) {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined || st.isSymbolicLink()) continue; // its target is in the real chain
    const isLeaf = leaf && (p === abs || p === real);
    const why = isLeaf ? unsafeLeaf(p, st, uid) : st.isDirectory() ? unsafeAncestor(p, st, uid) : `${p} is not a directory`;
    if (why !== null) return why;
  }
  return null;
}

/** The nearest existing directory at or above `path` (to check before creating below it). */
export function existingAncestor(path: string): string {
  for (let p = resolve(path); ; p = dirname(p)) {
    if (fs.existsSync(p) || dirname(p) === p) return p;
  }
}

/** How to fix what unsafePath reported. */
export function fixFor(why: string, flag: string): string {
  const m = new RegExp(`^(\\${sep}\\S*) is writable by (every user|its group)`).exec(why);
  if (m !== null) return `run 'chmod go-w ${m[1] ?? ''}' or choose another ${flag}`;
  return `choose another ${flag} whose directories only you (or root) can write`;
}
