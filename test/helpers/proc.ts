// Process facts from /proc. PID 1 here does not reap orphans, so a dead process may
// linger as a zombie: liveness is the state field of /proc/<pid>/stat, not kill(0).

import fs from 'node:fs';
import { isAlive, procInfo, type ProcInfo } from '../../coord/util/proc.js';

// The coordinator's own /proc reader, so tests judge liveness exactly as it does.
export { isAlive };
export type ProcStat = ProcInfo;
export const procStat = procInfo;

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st !== null && st.pgrp === pgid && st.state !== 'Z' && st.state !== 'X') out.push(st);
  }
  return out;
}

/**
 * Whether every live member of the group is stopped (and there are at least `n`). dash
 * starts commands with vfork(): a shell stopped while its vfork child had not exec'd yet
 * waits in state D for that (stopped) child, and is as suspended as a T.
 */
export function allStopped(pgid: number, n: number): boolean {
  const g = groupMembers(pgid);
  const stopped = (pid: number): boolean => g.some((c) => c.ppid === pid && c.state === 'T');
  return g.length >= n && g.every((p) => p.state === 'T' || (p.state === 'D' && stopped(p.pid)));
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Live pool processes whose parent is `ppid` (a coordinator's pools). */
export function poolsOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st !== null && st.ppid === ppid && st.state !== 'Z' && / --key /.test(cmdline(st.pid))) out.push(st.pid);
  }
  return out;
}

/**
 * Live processes that belong to a test directory: started in it (their working
 * directory is under it) or naming it on their command line. Pools run in their
 * coordinator's directory; jobs of the tests name their side files.
 */
export function processesUnder(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const pid = Number(name);
    if (!isAlive(pid)) continue;
    let cwd = '';
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Gone, or not ours to read.
    }
    const cmd = cmdline(pid);
    if (cwd === dir || cwd.startsWith(`${dir}/`) || cmd.includes(dir)) out.push({ pid, cmd });
  }
  return out;
}

/** The state letter of /proc/<pid>/stat (T stopped, Z zombie), or null once gone. */
export function stateOf(pid: number): string | null {
  return procStat(pid)?.state ?? null;
}
