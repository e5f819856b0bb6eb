// One coordinator per output path: <path>/.jms/lock holds the owner's pid. A lock whose
// pid is no longer a live jms_coord is stale (its owner was killed) and is taken over.

import fs from 'node:fs';
import { errno } from '../../protocol/fifo.js';
import type { OwnDir } from '../../protocol/own-dir.js';
import { isAlive } from '../util/proc.js';
import { SetupError } from './setup.js';

function ownerAlive(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('coord/main');
  } catch {
    return false;
  }
}

/** Takes the lock or throws SetupError; returns a function that releases it. */
export function acquireLock(stateDir: OwnDir, outDir: string): () => void {
  const path = stateDir.at('lock');
  const shown = `${stateDir.path}/lock`;
  const { O_CREAT, O_EXCL, O_WRONLY, O_NOFOLLOW } = fs.constants;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => {
        try {
          if (readLock(path).trim() === String(process.pid)) fs.unlinkSync(path);
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw new SetupError(`cannot create the lock ${shown} (${err instanceof Error ? err.message : String(err)}); choose another directory with -l.`);
    }
    const owner = Number.parseInt(readLock(path), 10);
    if (Number.isInteger(owner) && owner !== process.pid && ownerAlive(owner)) {
      throw new SetupError(`another coordinator (pid ${owner}) is already using ${outDir}; stop it first or choose another -l.`);
    }
    fs.unlinkSync(path); // stale: its coordinator is gone
  }
  throw new SetupError(`cannot take the lock ${shown} (another coordinator may be starting there); try again in a moment.`);
}

function readLock(path: string): string {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}
