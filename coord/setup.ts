// What the coordinator checks and prepares before it serves: the output directory
// and its two FIFOs. Every refusal is a SetupError with a sentence saying what to do.

import fs from 'node:fs';
import { resolve } from 'node:path';
import { errno, makeFifo, openWriter, pathKind } from '../protocol/fifo.js';
import { CoordinatorNotRunningError } from '../protocol/errors.js';

export class SetupError extends Error {}

/** Creates `path` (owner-only) if missing; returns it absolute once usable. */
export function prepareOutDir(path: string): string {
  const abs = resolve(path);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) {
    throw new SetupError(`${abs} is not a directory; give -l a directory (it is created if missing).`);
  }
  try {
    fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new SetupError(`cannot create the output directory ${abs}: ${reason(err)}; choose another with -l.`);
  }
  const st = fs.statSync(abs);
  if (!st.isDirectory()) throw new SetupError(`${abs} is not a directory; give -l a directory.`);
  refuseShared(abs, st, '-l');
  try {
    fs.accessSync(abs, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new SetupError(`the output directory ${abs} is not writable by this user; choose another with -l.`);
  }
  return abs;
}

/** Another user's directory, or one anybody may write into, is not ours to use. */
function refuseShared(path: string, st: fs.Stats, flag: string): void {
  const uid = process.getuid?.() ?? st.uid;
  if (st.uid !== uid) throw new SetupError(`${path} belongs to uid ${st.uid}, not to this user (${uid}); choose another with ${flag}.`);
  if ((st.mode & 0o002) !== 0) {
    throw new SetupError(`${path} is writable by every user (mode ${(st.mode & 0o777).toString(8)}); run 'chmod o-w ${path}' or choose another with ${flag}.`);
  }
}

/** <path>/.jms: the journal and the lock, owner-only, never through a planted link. */
export function prepareStateDir(outDir: string): string {
  const dir = resolve(outDir, '.jms');
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw new SetupError(`cannot create ${dir}: ${reason(err)}; choose another directory with -l.`);
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new SetupError(`${dir} is not a directory (a link or a file?); remove it.`);
  refuseShared(dir, st, '-l');
  if ((st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Makes `path` a fresh FIFO of ours. An existing FIFO that somebody reads belongs to
 * a running coordinator and is refused; one nobody reads is stale and replaced.
 */
export async function claimFifo(path: string, flag: '-r' | '-w'): Promise<void> {
  const kind = pathKind(path);
  if (kind === 'symlink' || kind === 'other') {
    throw new SetupError(`${path} exists and is not a FIFO; remove it or name another FIFO with ${flag}.`);
  }
  if (kind === 'fifo') {
    const st = fs.lstatSync(path);
    const uid = process.getuid?.() ?? st.uid;
    if (st.uid !== uid) throw new SetupError(`${path} is a FIFO of uid ${st.uid}, not of this user; name another FIFO with ${flag}.`);
    if (await isRead(path, flag)) {
      throw new SetupError(`another coordinator is already using ${path}; stop it first or name another FIFO with ${flag}.`);
    }
    fs.unlinkSync(path);
  }
  try {
    makeFifo(path);
  } catch (err) {
    throw new SetupError(`cannot create the FIFO ${path} (${reason(err)}); name another FIFO with ${flag}.`);
  }
}

async function isRead(path: string, flag: '-r' | '-w'): Promise<boolean> {
  try {
    (await openWriter(path)).destroy();
    return true;
  } catch (err) {
    if (err instanceof CoordinatorNotRunningError) return false;
    throw new SetupError(`cannot check the FIFO ${path} (${reason(err)}); name another FIFO with ${flag}.`);
  }
}

function reason(err: unknown): string {
  const code = errno(err);
  if (err instanceof Error && 'stderr' in err && Buffer.isBuffer(err.stderr)) {
    return err.stderr.toString().trim().replace(/^mkfifo: .*: /, '') || (code ?? err.message);
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
