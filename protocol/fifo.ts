// Named pipes, the only place JMS touches them. Readers wrap a non-blocking fd in
// net.Socket (nodejs/node#23220): a reader that must outlive its writers opens
// O_RDWR, one that wants EOF when its writer goes opens O_RDONLY. Writers open
// O_WRONLY|O_NONBLOCK, where ENXIO means nobody reads: no coordinator is running.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { CoordinatorNotRunningError } from './errors.js';
import { PIPE_BUF } from './messages.js';
import { addonCandidates, loadNative } from './native-addon.js';

const { O_RDONLY, O_RDWR, O_WRONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;

export type PathKind = 'missing' | 'fifo' | 'symlink' | 'other';

export function pathKind(path: string): PathKind {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch (err) {
    if (errno(err) === 'ENOENT') return 'missing';
    throw err;
  }
  if (st.isSymbolicLink()) return 'symlink';
  return st.isFIFO() ? 'fifo' : 'other';
}

/** Creates a FIFO readable and writable by its owner only. */
export function makeFifo(path: string): void {
  makeFifos([path]);
}

interface FifoAddon {
  mkfifo(path: string, mode: number): void;
}

let fifoAddon: FifoAddon | null | undefined;

/** protocol/native/jms-fifo.c, when it is built; null otherwise (then the mkfifo program). */
function nativeMkfifo(): FifoAddon | null {
  if (fifoAddon !== undefined) return fifoAddon;
  const got = loadNative(addonCandidates('jms_fifo.node', import.meta.url), 'jms_fifo.node');
  const mod = 'module' in got ? got.module : null;
  fifoAddon = typeof mod === 'object' && mod !== null && 'mkfifo' in mod && typeof mod.mkfifo === 'function' ? (mod as FifoAddon) : null;
  return fifoAddon;
}

/**
 * Creates FIFOs readable and writable by their owner only: with mkfifo(3) through the
 * native addon when it is built (about 2 ms to load it), else with one run of the
 * mkfifo program for all of them (about 8 ms of a one-shot console's start-up, most of
 * it loading node:child_process, which is why that is required only here).
 */
export function makeFifos(paths: readonly string[]): void {
  if (paths.length === 0) return;
  const addon = nativeMkfifo();
  if (addon === null) {
    const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    execFileSync('mkfifo', ['-m', '600', '--', ...paths], { stdio: ['ignore', 'ignore', 'pipe'] });
    return;
  }
  for (const path of paths) {
    addon.mkfifo(path, 0o600);
    // Exactly 0600 whatever the umask, as `mkfifo -m 600` makes it.
    fs.chmodSync(path, 0o600);
  }
}

export function removeFifo(path: string): void {
  try {
    if (pathKind(path) === 'fifo') fs.unlinkSync(path);
  } catch {
    // Already gone or not ours to remove: nothing to clean.
  }
}

/**
 * Every open goes through libuv's thread pool, in order: a client that starts a blocking
 * open of its reply FIFO and then writes its hello must have that open under way first, or
 * the coordinator would find no reader there (ENXIO). A synchronous open of non-blocking
 * ones was tried for the console's start-up and lost that order.
 */
function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

/**
 * Opens a FIFO for reading. `keepOpen` readers (O_RDWR) never see EOF; others
 * (O_RDONLY) see EOF once every writer has gone. `block` waits for a writer
 * (in libuv's thread pool, never on the event loop).
 */
export async function openReader(
  path: string,
  opts: { keepOpen: boolean; block?: boolean },
): Promise<net.Socket> {
  const mode = opts.keepOpen ? O_RDWR : O_RDONLY;
  const fd = await openFd(path, mode | O_NOFOLLOW | (opts.block === true ? 0 : O_NONBLOCK));
  return new net.Socket({ fd, readable: true, writable: false });
}

/**
 * Opens a FIFO that a client named, refusing anything that is not a FIFO owned by
 * `uid` with no access for group or others. The checks run on the opened fd (fstat),
 * so the file cannot be swapped between check and use, and O_NOFOLLOW refuses links.
 */
export async function openOwnFifo(path: string, direction: 'read' | 'write', uid: number): Promise<net.Socket> {
  // Checked before the open too, so that nothing but a FIFO is ever opened.
  const before = await fs.promises.lstat(path);
  const refused = whyNotOwnFifo(before, uid);
  if (refused !== null) throw new Error(`${path} ${refused}`);
  const flags = (direction === 'read' ? O_RDONLY : O_WRONLY) | O_NONBLOCK | O_NOFOLLOW;
  const fd = await openFd(path, flags);
  const st = await new Promise<fs.Stats>((resolve, reject) =>
    fs.fstat(fd, (err, stats) => (err ? reject(err) : resolve(stats))),
  );
  const swapped = st.ino !== before.ino || st.dev !== before.dev ? 'was replaced while it was opened' : null;
  const wrong = swapped ?? whyNotOwnFifo(st, uid);
  if (wrong !== null) {
    fs.close(fd, () => undefined);
    throw new Error(`${path} ${wrong}`);
  }
  return direction === 'read'
    ? new net.Socket({ fd, readable: true, writable: false })
    : new net.Socket({ fd, readable: false, writable: true });
}

function whyNotOwnFifo(st: fs.Stats, uid: number): string | null {
  if (!st.isFIFO()) return st.isSymbolicLink() ? 'is a symbolic link, not a FIFO' : 'is not a FIFO';
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

/** Opens a FIFO for writing; ENXIO (no reader) becomes CoordinatorNotRunningError. */
export async function openWriter(path: string): Promise<net.Socket> {
  let fd: number;
  try {
    fd = await openFd(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (err) {
    if (errno(err) === 'ENXIO') {
      throw new CoordinatorNotRunningError(`Nobody is reading ${path}: no coordinator is running there.`, {
        cause: err,
      });
    }
    throw err;
  }
  return new net.Socket({ fd, readable: false, writable: true });
}

/**
 * Opens a FIFO read-write but only writes to it: the holder counts as a writer, so a
 * peer reading with O_RDONLY sees EOF exactly when the holder's process is gone.
 */
export async function openHolder(path: string): Promise<net.Socket> {
  const fd = await openFd(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW);
  return new net.Socket({ fd, readable: false, writable: true });
}

/**
 * Writes one frame of at most PIPE_BUF bytes with a single write(2), so frames of
 * concurrent writers never interleave; a full pipe (EAGAIN) is retried whole.
 */
export async function writeAtomic(path: string, frame: string, deadlineMs: number): Promise<void> {
  const data = Buffer.from(frame);
  if (data.length > PIPE_BUF) throw new RangeError(`frame of ${data.length} bytes exceeds PIPE_BUF`);
  let fd: number;
  try {
    fd = await openFd(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (err) {
    if (errno(err) === 'ENXIO') {
      throw new CoordinatorNotRunningError(`No coordinator is listening on ${path}.`, { cause: err });
    }
    throw err;
  }
  const until = Date.now() + deadlineMs;
  try {
    for (;;) {
      try {
        // Non-blocking: it writes the whole frame at once or fails with EAGAIN.
        const n = fs.writeSync(fd, data, 0, data.length, null);
        if (n === data.length) return;
        throw new Error(`short write of ${n} bytes to ${path}`);
      } catch (err) {
        if (errno(err) !== 'EAGAIN' || Date.now() > until) throw err;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function errno(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return undefined;
}
