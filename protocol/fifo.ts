// Named pipes, the only place JMS touches them. Readers wrap a non-blocking fd in
// net.Socket (nodejs/node#23220): a reader that must outlive its writers opens
// O_RDWR, one that wants EOF when its writer goes opens O_RDONLY. Writers open
// O_WRONLY|O_NONBLOCK, where ENXIO means nobody reads: no coordinator is running.
// The console reads and writes its own FIFOs through protocol/fd-io.ts instead, so a
// one-shot command never loads node:net (required here only when a socket is made).

import fs from 'node:fs';
import { createRequire } from 'node:module';
import type net from 'node:net';
import { errno, FdReader, FdWriter } from './fd-io.js';
import { fifoAddon } from './fifo-native.js';
import { CoordinatorNotRunningError } from './errors.js';
import { PIPE_BUF } from './messages.js';

/** The errno name an error carries; protocol/fd-io.ts's, for the callers of this file. */
export { errno };

const { O_RDONLY, O_RDWR, O_WRONLY, O_NONBLOCK, O_NOFOLLOW } = fs.constants;

let netModule: typeof net | undefined;

/** node:net, loaded the first time a socket is made. */
function socketOn(fd: number, dir: 'read' | 'write'): net.Socket {
  netModule ??= createRequire(import.meta.url)('node:net') as typeof net;
  return new netModule.Socket({ fd, readable: dir === 'read', writable: dir === 'write' });
}

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

/**
 * Creates FIFOs readable and writable by their owner only: with mkfifo(3) through the
 * native addon when it is built (about 2 ms to load it), else with one run of the
 * mkfifo program for all of them (about 8 ms of a one-shot console's start-up, most of
 * it loading node:child_process, which is why that is required only here).
 */
export function makeFifos(paths: readonly string[]): void {
  if (paths.length === 0) return;
  const addon = fifoAddon();
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
 * Every open of these goes through libuv's thread pool, in order: a client that starts a
 * blocking open of its reply FIFO and then writes its hello must have that open under way
 * first, or the coordinator would find no reader there (ENXIO). Mixing in synchronous
 * opens loses that order; the console's opens (below) are all synchronous, none of them
 * can block, and so they keep it trivially.
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
  return socketOn(fd, 'read');
}

/**
 * Opens a FIFO that a client named, refusing anything that is not a FIFO owned by
 * `uid` with no access for group or others. The checks run on the opened fd (fstat),
 * so the file cannot be swapped between check and use, and O_NOFOLLOW refuses links.
 * Synchronous: a non-blocking open of a FIFO never waits, and a console's handshake is
 * answered without three trips through the thread pool per FIFO.
 */
export async function openOwnFifo(path: string, direction: 'read' | 'write', uid: number): Promise<net.Socket> {
  // Checked before the open too, so that nothing but a FIFO is ever opened.
  const before = fs.lstatSync(path);
  const refused = whyNotOwnFifo(before, uid);
  if (refused !== null) throw new Error(`${path} ${refused}`);
  const flags = (direction === 'read' ? O_RDONLY : O_WRONLY) | O_NONBLOCK | O_NOFOLLOW;
  const fd = fs.openSync(path, flags);
  let wrong: string | null;
  try {
    const st = fs.fstatSync(fd);
    wrong = st.ino !== before.ino || st.dev !== before.dev ? 'was replaced while it was opened' : whyNotOwnFifo(st, uid);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  if (wrong !== null) {
    fs.closeSync(fd);
    throw new Error(`${path} ${wrong}`);
  }
  return socketOn(fd, direction);
}

function whyNotOwnFifo(st: fs.Stats, uid: number): string | null {
  if (!st.isFIFO()) return st.isSymbolicLink() ? 'is a symbolic link, not a FIFO' : 'is not a FIFO';
  if (st.uid !== uid) return `belongs to uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o077) !== 0) return `is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

/** Opens a FIFO for writing; ENXIO (no reader) becomes CoordinatorNotRunningError. */
export async function openWriter(path: string): Promise<net.Socket> {
  try {
    return socketOn(await openFd(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW), 'write');
  } catch (err) {
    throw errno(err) === 'ENXIO' ? nobodyReads(path, err) : err;
  }
}

/** The descriptor of openWriter, for writeFrame (a synchronous open: it cannot block). */
export function openWriterFd(path: string): number {
  try {
    return fs.openSync(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (err) {
    throw errno(err) === 'ENXIO' ? nobodyReads(path, err) : err;
  }
}

function nobodyReads(path: string, cause: unknown): CoordinatorNotRunningError {
  return new CoordinatorNotRunningError(`Nobody is reading ${path}: no coordinator is running there.`, { cause });
}

/**
 * Opens a FIFO read-write but only writes to it: the holder counts as a writer, so a
 * peer reading with O_RDONLY sees EOF exactly when the holder's process is gone.
 */
export async function openHolder(path: string): Promise<net.Socket> {
  return socketOn(await openFd(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW), 'write');
}

/**
 * openHolder without node:net, for a FIFO of the process's own: written with write(2), a
 * socket only for a full pipe. Synchronous: an O_RDWR open of a FIFO never blocks.
 */
export function openDirectHolder(path: string): FdWriter {
  const fd = fs.openSync(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW);
  return new FdWriter(fd, () => socketOn(fd, 'write'));
}

/**
 * openReader without node:net, for a FIFO of the process's own: a blocking descriptor
 * read in the thread pool, its read woken at exit (protocol/fd-io.ts). Synchronous: a
 * `keepOpen` (O_RDWR) open never blocks; an O_RDONLY one blocks until the FIFO has a
 * writer, so the caller must hold one (its own keepOpen reader, or a live peer's).
 */
export function openDirectReader(path: string, opts: { keepOpen: boolean }): FdReader {
  const fd = fs.openSync(path, (opts.keepOpen ? O_RDWR : O_RDONLY) | O_NOFOLLOW);
  return new FdReader(fd, () => socketOn(fd, 'read'), { wakeAtExit: true });
}

/**
 * Writes one frame of at most PIPE_BUF bytes with a single write(2), so frames of
 * concurrent writers never interleave; a full pipe (EAGAIN) is retried whole.
 */
export async function writeAtomic(path: string, frame: string, deadlineMs: number): Promise<void> {
  let fd: number;
  try {
    // Through the thread pool, after any open a caller started before (see openFd).
    fd = await openFd(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (err) {
    if (errno(err) === 'ENXIO') {
      throw new CoordinatorNotRunningError(`No coordinator is listening on ${path}.`, { cause: err });
    }
    throw err;
  }
  try {
    await writeFrame(fd, frame, deadlineMs, path);
  } finally {
    fs.closeSync(fd);
  }
}

/** writeAtomic's write, on a descriptor from openWriterFd (`path` names it in errors). */
export async function writeFrame(fd: number, frame: string, deadlineMs: number, path: string): Promise<void> {
  const data = Buffer.from(frame);
  if (data.length > PIPE_BUF) throw new RangeError(`frame of ${data.length} bytes exceeds PIPE_BUF`);
  const until = Date.now() + deadlineMs;
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
}
