// Facts about a process from /proc. PID 1 on these machines does not reap orphans, so
// a dead process may linger as a zombie: liveness is the state field, not kill(pid, 0).

import fs from 'node:fs';

export interface ProcInfo {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

export function procInfo(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? 'X', ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

export function isAlive(pid: number): boolean {
  const info = procInfo(pid);
  return info !== null && info.state !== 'Z' && info.state !== 'X';
}
