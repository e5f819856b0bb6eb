// Ledgers on a host's disk, as the coordinator (for local pools) and the pool program's
// tool modes (on other hosts, over ssh) both read them: which are there, one read back
// into a view, whether its pool still lives, and their removal.

import fs from 'node:fs';
import { scanRecordFd } from './crc-lines.js';
import { LEDGER_SUFFIX, LedgerReader, POOL_KEY, SOCKET_SUFFIX, type LedgerView } from './ledger.js';
import type { OwnDir } from './own-dir.js';

export function ledgerKeys(dir: OwnDir): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir.at('.'));
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(LEDGER_SUFFIX)).map((n) => n.slice(0, -LEDGER_SUFFIX.length)).filter((k) => POOL_KEY.test(k));
}

export function readLedger(dir: OwnDir, key: string): LedgerView | null {
  let fd: number;
  try {
    fd = fs.openSync(dir.at(`${key}${LEDGER_SUFFIX}`), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  const reader = new LedgerReader();
  try {
    scanRecordFd(fd, (r) => reader.add(r));
  } finally {
    fs.closeSync(fd);
  }
  return reader.view;
}

/** The pool `key` still runs as `pid` (its command line names the key, so a recycled pid is not it). */
export function poolAlive(key: string, pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(key);
  } catch {
    return false;
  }
}

export function forgetLedger(dir: OwnDir, key: string): void {
  for (const suffix of [LEDGER_SUFFIX, SOCKET_SUFFIX]) fs.rmSync(dir.at(`${key}${suffix}`), { force: true });
}

/** SIGKILL and SIGCONT to each pid's process group, if it still leads one (a pid may be recycled). */
export function killGroups(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || Number(fields[2]) !== pid) continue;
    } catch {
      continue;
    }
    for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
      try {
        process.kill(-pid, sig);
      } catch {
        // The group is already gone.
      }
    }
  }
}
