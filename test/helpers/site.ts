// A site for crash-recovery tests: one -l path and FIFO pair that successive
// coordinators use, each of which can be SIGKILLed and started again; consoles against
// it; and teardown that kills whatever pools and job groups the test started.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import type { Test } from 'tap';
import { CONSOLE, COORD, run, stopOnTeardown, submitted, testEnv, type RunResult } from './coord.js';
import { groupMembers, isAlive, procStat } from './proc.js';
import { waitFor } from './wait.js';

/** A test directory with one -l path and one FIFO pair, used by successive coordinators. */
export interface Site {
  dir: string;
  out: string;
  jmsIn: string;
  jmsOut: string;
  /** -n and any further flags. */
  flags: string[];
  /** The coordinator started last (for error messages). */
  last: Instance | null;
  /** Pools and job process groups to SIGKILL in teardown, whatever happened. */
  pids: Tracked;
  groups: Tracked;
  /** The coordinators' clock: wall time plus the offset in this file (ms). */
  clockFile: string;
}

/**
 * Pids by their start time (/proc/<pid>/stat field 22), so that teardown never signals
 * a pid that was reused meanwhile: pid_max is 32768 here and gated jobs fork fast.
 */
export class Tracked {
  readonly byPid = new Map<number, string>();
  add(pid: number): void {
    const start = startTime(pid);
    if (start !== null) this.byPid.set(pid, start);
  }
  /** Those still the same processes (a dead leader's group: its pgid cannot be reused while members live). */
  same(): number[] {
    return [...this.byPid].filter(([pid, start]) => {
      const now = startTime(pid);
      return now === null || now === start;
    }).map(([pid]) => pid);
  }
}

function startTime(pid: number): string | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export interface Instance {
  child: ChildProcess;
  pid: number;
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function site(t: Test, flags: string[]): Site {
  const dir = t.testdir({});
  const s: Site = {
    dir, out: join(dir, 'out'), jmsIn: join(dir, 'jms_in'), jmsOut: join(dir, 'jms_out'),
    flags, last: null, pids: new Tracked(), groups: new Tracked(), clockFile: join(dir, 'clock'),
  };
  fs.writeFileSync(s.clockFile, '0\n');
  t.teardown(() => {
    for (const pgid of s.groups.same()) {
      if (groupMembers(pgid).length === 0) continue;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    for (const pid of s.pids.same()) {
      if (!isAlive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  });
  return s;
}

/** Starts a jms_coord on the site (no waiting); teardown stops it if it still runs. */
export interface LaunchOptions {
  out?: string;
  jmsIn?: string;
  jmsOut?: string;
  /** More environment for the coordinator (and so its pools), e.g. JMS_FAILPOINTS. */
  env?: Record<string, string>;
}

export function spawnCoord(t: Test, s: Site, over: LaunchOptions = {}): Instance {
  const args = [COORD, '-l', over.out ?? s.out, '-w', over.jmsOut ?? s.jmsOut, '-r', over.jmsIn ?? s.jmsIn, ...s.flags];
  const child = spawn(process.execPath, args, { cwd: s.dir, env: testEnv({ JMS_CLOCK_FILE: s.clockFile, ...over.env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (x: string) => (log += x));
  child.stderr?.setEncoding('utf8').on('data', (x: string) => (log += x));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  stopOnTeardown(t, child, exited);
  return { child, pid: child.pid ?? -1, log: () => log, exited };
}

/** Starts a coordinator on the site and waits until it serves. */
export async function launch(t: Test, s: Site, over: LaunchOptions = {}): Promise<Instance> {
  const c = spawnCoord(t, s, over);
  s.last = c;
  await waitFor('the coordinator to serve', () => c.log().includes('serving on') || c.child.exitCode !== null);
  if (c.child.exitCode !== null) throw new Error(`jms_coord exited ${c.child.exitCode}: ${c.log()}`);
  return c;
}

/** kill -9 of a coordinator; resolves once it is reaped. */
export async function crash(c: Instance): Promise<void> {
  c.child.kill('SIGKILL');
  const how = await c.exited;
  if (how.signal !== 'SIGKILL') throw new Error(`the coordinator ended otherwise: ${JSON.stringify(how)}`);
}

export function consoleRun(s: Site, line: string): Promise<RunResult> {
  return run(process.execPath, [CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut, ...line.split(' ')], { cwd: s.dir });
}

/** The answer of a one-shot console command, which must succeed. */
export async function ok(s: Site, line: string): Promise<string> {
  const r = await consoleRun(s, line);
  if (r.code !== 0) throw new Error(`'${line}' failed (${r.code}): ${r.stderr}\ncoordinator log:\n${s.last?.log() ?? ''}`);
  return r.stdout.trimEnd();
}

/** Submits a job that must start; tracks its process group and its pool for teardown. */
export async function submitJob(s: Site, command: string): Promise<{ jobId: number; pid: number; pool: number }> {
  const job = submitted(await ok(s, `submit ${command}`));
  s.groups.add(job.pid);
  const pool = procStat(job.pid)?.ppid ?? -1;
  if (pool > 1) s.pids.add(pool);
  return { ...job, pool };
}

/** Clean shutdown through a console; the coordinator must exit 0. */
export async function shutdown(t: Test, s: Site, c: Instance, answer: RegExp): Promise<void> {
  t.match(await ok(s, 'shutdown'), answer, 'the shutdown answer');
  t.same(await c.exited, { code: 0, signal: null }, 'the coordinator exits 0');
}

/** Moves the site's coordinator clock forward by `ms` (every coordinator on it sees it within 50 ms). */
export function advanceClock(s: Site, ms: number): void {
  const now = Number(fs.readFileSync(s.clockFile, 'utf8').trim());
  fs.writeFileSync(`${s.clockFile}.new`, `${now + ms}\n`);
  fs.renameSync(`${s.clockFile}.new`, s.clockFile);
}

/**
 * Waits until the coordinator's clock has moved at least `ms` past job `jobId`'s
 * submission: `status-all <sec>` lists only jobs submitted that recently by its clock.
 */
export async function clockPast(s: Site, jobId: number, ms: number): Promise<void> {
  const sec = Math.floor(ms / 1000) - 1;
  await waitFor(`the coordinator's clock to move ${ms} ms past JobID ${jobId}'s submission`, async () => {
    const text = await ok(s, `status-all ${sec}`);
    return !text.split('\n').some((line) => new RegExp(`^\\d+\\. JobID ${jobId} `).test(line));
  }, 5000, 50);
}
