// A directory this user owns, held open: everything created in it goes through the
// open descriptor (/proc/self/fd/<fd>/<name>), never through a path looked up again,
// so renaming the directory or a planted link cannot redirect a write. `stillAt()`
// tells whether the path still names the same directory (device and inode).

import fs from 'node:fs';
import type { DirId } from './pool-messages.js';

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = fs.constants;

export interface OwnDir {
  readonly path: string;
  readonly fd: number;
  readonly id: DirId;
  /** A path that reaches `name` in this directory through its descriptor. */
  at(name: string): string;
  /** The path still names this directory. */
  stillAt(): boolean;
  close(): void;
}

/** Why a directory's status makes it unsafe for this user, or null. */
export function whyNotOwn(st: fs.Stats, uid: number): string | null {
  if (!st.isDirectory()) return 'is not a directory';
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not to this user (uid ${uid})`;
  if ((st.mode & 0o022) !== 0) return `is writable by other users (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

export class DirError extends Error {}

/** Opens `path` (creating it, mode 0700, when asked) and checks it is ours alone. */
export function openOwnDir(path: string, opts: { create?: boolean; expect?: DirId | null } = {}): OwnDir {
  if (opts.create === true) fs.mkdirSync(path, { recursive: true, mode: 0o700 });
  const fd = fs.openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  try {
    const st = fs.fstatSync(fd);
    const uid = process.getuid?.() ?? st.uid;
    const wrong = whyNotOwn(st, uid);
    if (wrong !== null) throw new DirError(`${path} ${wrong}`);
    const id = { dev: st.dev, ino: st.ino };
    if (opts.expect != null && (opts.expect.dev !== id.dev || opts.expect.ino !== id.ino)) {
      throw new DirError(`${path} is not the directory the coordinator checked (it was moved or replaced)`);
    }
    return {
      path, fd, id,
      at: (name) => `/proc/self/fd/${fd}/${name}`,
      stillAt: () => sameDir(path, id),
      close: () => fs.closeSync(fd),
    };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

function sameDir(path: string, id: DirId): boolean {
  try {
    const st = fs.statSync(path);
    return st.dev === id.dev && st.ino === id.ino;
  } catch {
    return false;
  }
}
