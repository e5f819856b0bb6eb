// CPU accounting of `make bench`, from /proc and the pools' own reports: the harness's
// reaped children (cutime + cstime of /proc/self/stat: a child's whole CPU, and that of
// everything it reaped in turn, once it has been reaped), one process's own CPU, and the
// lines pools write as they exit with JMS_CPU_REPORT=1 (pool/cpu-report.ts).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticks: number | null = null;

function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** Fields of /proc/<pid>/stat after the command name (field 3 is index 0). */
function statFields(pid: number | 'self'): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU (user + system, ms, clock-tick steps) of every child the harness has reaped so far. */
export function reapedCpuMs(): number {
  const f = statFields('self');
  return ((Number(f[13]) + Number(f[14])) * 1000) / clockTicks();
}

/** A live process's own CPU (user + system, ms), or NaN once it is gone. */
export function ownCpuMs(pid: number): number {
  try {
    const f = statFields(pid);
    return ((Number(f[11]) + Number(f[12])) * 1000) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** A live process's own and reaped children's CPU (ms), or NaN once it is gone. */
export function treeCpuMs(pid: number): number {
  try {
    const f = statFields(pid);
    return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

export interface PoolReports {
  /** Pools that reported. */
  pools: number;
  /** Their own CPU as each measured it just before exit(), ms. */
  ownMs: number;
  /** CPU of the jobs they reaped, ms. */
  jobsMs: number;
  /** Jobs they took. */
  jobs: number;
  /** Spawners they used, with how many pools used each. */
  spawners: Map<string, number>;
  /** Some pool could only give clock ticks for its jobs (no addon). */
  ticks: boolean;
}

const REPORT = /cpu report: own (\d+)\+(\d+) us, (\d+) jobs reaped (\d+)\+(\d+) us( \(clock ticks\))?, spawner (\S+)/;

/** Sums the pools' CPU reports in a coordinator's log. */
export function poolReports(logPath: string): PoolReports {
  const r: PoolReports = { pools: 0, ownMs: 0, jobsMs: 0, jobs: 0, spawners: new Map(), ticks: false };
  for (const line of fs.readFileSync(logPath, 'utf8').split('\n')) {
    const m = REPORT.exec(line);
    if (m === null) continue;
    r.pools += 1;
    r.ownMs += (Number(m[1]) + Number(m[2])) / 1000;
    r.jobs += Number(m[3]);
    r.jobsMs += (Number(m[4]) + Number(m[5])) / 1000;
    if (m[6] !== undefined) r.ticks = true;
    const kind = m[7] ?? '?';
    r.spawners.set(kind, (r.spawners.get(kind) ?? 0) + 1);
  }
  return r;
}
