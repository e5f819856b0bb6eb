// What the coordinator checks and prepares before it serves: the output directory, its
// state directory (.jms: the journal, the lock, the pools' ledgers) and its two FIFOs.
// Every path is checked with the StrictModes rule (safe-path.ts); the directories are
// held open (protocol/own-dir.ts), so nothing is ever created through a path that
// could have been swapped. Every refusal is a SetupError: what is wrong; what to do.

import fs from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errno, makeFifo, openWriter, pathKind } from '../../protocol/fifo.js';
import { CoordinatorNotRunningError } from '../../protocol/errors.js';
import { DirError, openOwnDir, type OwnDir } from '../../protocol/own-dir.js';
import { existingAncestor, fixFor, unsafePath } from './safe-path.js';

export class SetupError extends Error {}

function refuseUnsafe(path: string, leaf: boolean, flag: string): void {
  const why = unsafePath(path, leaf);
  if (why !== null) throw new SetupError(`${why}; ${fixFor(why, flag)}.`);
}

function own(path: string, flag: string): OwnDir {
  try {
    return openOwnDir(path);
  } catch (err) {
    const why = err instanceof DirError ? err.message : `cannot open ${path}: ${reason(err)}`;
    throw new SetupError(`${why}; choose another ${flag}.`);
  }
}

/** Creates `path` (owner-only) if missing and holds it open once it is safe to use. */
export function prepareOutDir(path: string): OwnDir {
  const abs = resolve(path);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) {
    throw new SetupError(`${abs} is not a directory; give -l a directory (it is created if missing).`);
  }
  const base = existingAncestor(abs);
  if (!fs.statSync(base).isDirectory()) {
    throw new SetupError(`cannot create the output directory ${abs}: ${base} is not a directory; choose another -l.`);
  }
  refuseUnsafe(base, false, '-l');
  try {
    fs.mkdirSync(abs, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new SetupError(`cannot create the output directory ${abs}: ${reason(err)}; choose another with -l.`);
  }
  refuseUnsafe(abs, true, '-l');
  try {
    fs.accessSync(abs, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new SetupError(`the output directory ${abs} is not writable by this user; choose another -l.`);
  }
  return own(abs, '-l');
}

/** A directory of the coordinator's own inside `parent` (.jms, .jms/pools), created if missing. */
export function prepareOwnSubdir(parent: OwnDir, name: string): OwnDir {
  const dir = resolve(parent.path, name);
  try {
    fs.mkdirSync(parent.at(name), { mode: 0o700 });
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw new SetupError(`cannot create ${dir}: ${reason(err)}; choose another directory with -l.`);
  }
  const st = fs.lstatSync(parent.at(name));
  if (!st.isDirectory()) throw new SetupError(`${dir} is not a directory (a link or a file?); remove it.`);
  refuseUnsafe(dir, true, '-l');
  if ((st.mode & 0o077) !== 0) fs.chmodSync(parent.at(name), 0o700);
  return own(dir, '-l');
}

/**
 * Makes `path` a fresh FIFO of ours. An existing FIFO that somebody reads belongs to
 * a running coordinator and is refused; one nobody reads is stale and replaced.
 */
export async function claimFifo(path: string, flag: '-r' | '-w'): Promise<void> {
  refuseUnsafe(existingAncestor(dirname(path)), false, flag);
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
