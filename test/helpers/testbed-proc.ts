// What runs inside a test host or Slurm node, read from this machine through the box's own
// procfs (/proc/<its PID 1>/root/proc, mounted in its PID namespace): pids are the box's own,
// as `ps` run on that host would show them, never this machine's.

import fs from 'node:fs';
import type { Box } from './testbed-state.js';

export interface HostProcess {
  /** Pid and parent pid inside the box (its PID 1 is init.pl). */
  pid: number;
  ppid: number;
  /** The state letter of /proc/<pid>/stat: R, S, D, T, t, Z … */
  state: string;
  /** The command line, arguments joined by spaces. */
  cmd: string;
}

function procDir(box: Box): string {
  const dir = `/proc/${box.pid}/root/proc`;
  if (!fs.existsSync(`${dir}/1/stat`)) {
    throw new Error(`${box.name}'s PID 1 (pid ${box.pid} here) is gone: is the test bed down? (test/testbed/up.sh)`);
  }
  return dir;
}

function readStat(dir: string, pid: number): { state: string; ppid: number } | null {
  let text: string;
  try {
    text = fs.readFileSync(`${dir}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return state === undefined ? null : { state, ppid: Number(ppid) };
}

function readCmd(dir: string, pid: number): string {
  try {
    return fs.readFileSync(`${dir}/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '').join(' ');
  } catch {
    return '';
  }
}

/** The state letter of `pid` as seen inside the box ('Z' for a zombie), or null if there is none. */
export function procStateOnHost(box: Box, pid: number): string | null {
  return readStat(procDir(box), pid)?.state ?? null;
}

/** Whether `pid` of the box is a live process (not a zombie). */
export function aliveOnHost(box: Box, pid: number): boolean {
  const st = procStateOnHost(box, pid);
  return st !== null && st !== 'Z' && st !== 'X';
}

/** The box's daemon: sshd's listener on a host, slurmd on a node (a child of PID 1). */
function isDaemon(p: HostProcess): boolean {
  return p.ppid === 1 && (p.cmd.includes('[listener]') || p.cmd.startsWith('/usr/sbin/slurmd '));
}

/** Every live process of the box, all of it, PID 1 and the daemon included. */
export function allProcessesOnHost(box: Box): HostProcess[] {
  const dir = procDir(box);
  const out: HostProcess[] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const st = readStat(dir, pid);
    if (st === null || st.state === 'Z' || st.state === 'X') continue;
    out.push({ pid, ppid: st.ppid, state: st.state, cmd: readCmd(dir, pid) });
  }
  return out;
}

/**
 * The live processes of the box but its PID 1 and its daemon (sshd's listener, slurmd): what
 * a test started there and is still running. `[]` means nothing is left on that host.
 */
export function processesOnHost(box: Box): HostProcess[] {
  return allProcessesOnHost(box).filter((p) => p.pid !== 1 && !isDaemon(p));
}

/** The daemon's pid as seen from this machine (for signals), or null when it is not running. */
export function daemonPid(box: Box): number | null {
  let children: string;
  try {
    children = fs.readFileSync(`/proc/${box.pid}/task/${box.pid}/children`, 'utf8');
  } catch {
    return null;
  }
  for (const c of children.split(' ').filter((x) => x !== '')) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // gone meanwhile
    }
    if (isDaemon({ pid: 0, ppid: 1, state: 'S', cmd })) return Number(c);
  }
  return null;
}
