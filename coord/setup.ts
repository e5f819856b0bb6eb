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
    throw new SetupError(`cannot create the output directory ${abs}: ${reason(err)}.`);
  }
  const st = fs.statSync(abs);
  if (!st.isDirectory()) throw new SetupError(`${abs} is not a directory; give -l a directory.`);
  try {
    fs.accessSync(abs, fs.constants.W_OK | fs.constants.X_OK);
  } catch {
    throw new SetupError(`the output directory ${abs} is not writable by this user; choose another with -l.`);
  }
  return abs;
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
    if (await isRead(path)) {
      throw new SetupError(`another coordinator is already using ${path}; stop it first or name another FIFO with ${flag}.`);
    }
    fs.unlinkSync(path);
  }
  try {
    makeFifo(path);
  } catch (err) {
    throw new SetupError(`cannot create the FIFO ${path}: ${reason(err)}.`);
  }
}

async function isRead(path: string): Promise<boolean> {
  try {
    (await openWriter(path)).destroy();
    return true;
  } catch (err) {
    if (err instanceof CoordinatorNotRunningError) return false;
    throw new SetupError(`cannot check the FIFO ${path}: ${reason(err)}.`);
  }
}

function reason(err: unknown): string {
  const code = errno(err);
  if (err instanceof Error && 'stderr' in err && Buffer.isBuffer(err.stderr)) {
    return err.stderr.toString().trim().replace(/^mkfifo: /, '') || (code ?? err.message);
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
