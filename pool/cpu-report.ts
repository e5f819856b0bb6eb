// The pool's CPU on its way out, for `make bench`: with JMS_CPU_REPORT=1 in its
// environment a pool writes one line on stderr (so into the coordinator's log) as it
// exits: its own user and system time (getrusage of itself, microseconds), that of the
// jobs it reaped (getrusage of its children through pool/spawn's addon, microseconds;
// /proc/self/stat in clock ticks when the addon is not there), how many jobs it took and
// which spawner started them. Unset, nothing is loaded or written.

import fs from 'node:fs';
import { loadAddon } from './spawn/native.js';
import { say } from './stdio.js';

const TICKS_PER_SEC = 100;

/** Reaped children's [user, system] µs: exact from the addon, else clock ticks of /proc/self/stat. */
function childrenUs(): { user: number; sys: number; exact: boolean } {
  const loaded = loadAddon();
  if ('addon' in loaded && loaded.addon.childrenUsage !== undefined) {
    const got = loaded.addon.childrenUsage();
    if (Array.isArray(got) && typeof got[0] === 'number' && typeof got[1] === 'number') return { user: got[0], sys: got[1], exact: true };
  }
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const us = (field: string | undefined): number => (Number(field) * 1e6) / TICKS_PER_SEC;
  return { user: us(f[13]), sys: us(f[14]), exact: false };
}

export function reportCpu(jobs: number, spawner: string): void {
  if (process.env['JMS_CPU_REPORT'] !== '1') return;
  try {
    const own = process.resourceUsage();
    const kids = childrenUs();
    const line = `cpu report: own ${own.userCPUTime}+${own.systemCPUTime} us, ${jobs} jobs reaped ${Math.round(kids.user)}+${Math.round(kids.sys)} us${kids.exact ? '' : ' (clock ticks)'}, spawner ${spawner}`;
    say(`pool ${process.pid}: ${line}\n`);
  } catch {
    // A measurement only: never in the way of the pool's exit.
  }
}
