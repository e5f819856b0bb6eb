// One throughput run of JMS: a fresh coordinator, N submits replayed by `jms_console -o`,
// timed until the last job has ended, and the CPU each process spent on them: the
// console, the coordinator, the pools (their own work) and the jobs.

import fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobBrief } from '../../protocol/messages.js';
import { poolReports, ownCpuMs, reapedCpuMs } from './cpu.js';
import { batch, CONSOLE_JS, exitWithin, now, spawnTracked, startCoord, stopCoord, tail, tempDir, type Coord } from './lib.js';
import { N, POLL_MS, RUN_TIMEOUT_MS } from './settings.js';

/** CPU per job, ms, by process. */
export interface CpuPerJob {
  console: number;
  coord: number;
  /** The pools' own work: start-up, job directories, spawning, reaping, frames, exit. */
  pools: number;
  jobs: number;
  /** How the pools started their jobs (posix_spawn / child_process), with pool counts. */
  spawners: string;
  /** Something the numbers do not cover, or '' when they cover all of it. */
  caveat: string;
}

export interface Sample {
  sec: number;
  /** For JMS: when the replaying console exited, and the polls after it. */
  submitSec?: number;
  tailMs?: number;
  polls?: number;
  cpu?: CpuPerJob;
  /** For tsp: CPU per job (ms) of its clients, its server and the jobs (with tsp's process for each). */
  tsp?: { clients: number; server: number; jobs: number };
}

/** Waits until every job has finished; returns when that was seen and how many polls it took. */
async function waitAllFinished(conn: Coord['conn'], n: number, deadline: number): Promise<{ at: number; polls: number }> {
  for (let polls = 1; ; polls += 1) {
    const active = await batch(conn, { kind: 'show-active' });
    const seen = now();
    if (active.jobs.length === 0) {
      const finished = await batch(conn, { kind: 'show-finished' });
      if (finished.jobs.length >= n) {
        const bad = finished.jobs.filter((j: JobBrief) => j.outcome !== 'succeeded');
        if (bad.length > 0) throw new Error(`${bad.length} job(s) did not exit 0, e.g. JobID ${bad[0]?.jobId}`);
        return { at: seen, polls };
      }
    }
    if (now() > deadline) throw new Error(`jobs still unfinished after ${Math.round(RUN_TIMEOUT_MS / 1000)} s`);
    await sleep(POLL_MS);
  }
}

export interface JmsRun {
  /** Where the coordinator's directory (output path, journal, FIFOs) is made. */
  parent: string;
  opsFile: string;
  p: number;
  extra: readonly string[];
  env: NodeJS.ProcessEnv;
}

export async function runJms(o: JmsRun): Promise<Sample> {
  const t = tempDir(o.parent, `jms-n${o.p}-`);
  const env = { ...o.env, JMS_CPU_REPORT: '1' };
  try {
    const c = await startCoord({ dir: t.dir, jobsPool: o.p, extra: o.extra, env });
    let timing: Omit<Sample, 'cpu'>;
    let consoleMs: number;
    let coordMs: number;
    let coordLifeMs: number;
    const reaped0 = reapedCpuMs();
    try {
      const outPath = join(t.dir, 'console.out');
      const errPath = join(t.dir, 'console.err');
      const outFd = fs.openSync(outPath, 'w');
      const errFd = fs.openSync(errPath, 'w');
      const coord0 = ownCpuMs(c.pid);
      const t0 = now();
      const consoleProc = spawnTracked(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, '-o', o.opsFile], {
        stdio: ['ignore', outFd, errFd], env: o.env,
      });
      fs.closeSync(outFd);
      fs.closeSync(errFd);
      const ex = await exitWithin(consoleProc, RUN_TIMEOUT_MS, 'jms_console -o');
      const submitted = now();
      consoleMs = reapedCpuMs() - reaped0;
      if (ex.code !== 0) throw new Error(`jms_console exited ${ex.code ?? ex.signal}: ${tail(errPath, 2)}`);
      const done = await waitAllFinished(c.conn, N, t0 + RUN_TIMEOUT_MS);
      coordMs = ownCpuMs(c.pid) - coord0;
      coordLifeMs = ownCpuMs(c.pid);
      const answers = (fs.readFileSync(outPath, 'utf8').match(/^JobID: \d+, (PID: \d+|Queued)/gm) ?? []).length;
      if (answers !== N) throw new Error(`jms_console printed ${answers} submit answers for ${N} submits: ${tail(errPath, 2)}`);
      timing = { sec: (done.at - t0) / 1000, submitSec: (submitted - t0) / 1000, tailMs: done.at - submitted, polls: done.polls };
    } finally {
      await stopCoord(c);
    }
    // Everything under the coordinator, now reaped: itself, its pools, their jobs.
    const treeMs = reapedCpuMs() - reaped0 - consoleMs;
    const pools = poolReports(c.logPath);
    const caveats: string[] = [];
    if (pools.jobs !== N) caveats.push(`pools reported ${pools.jobs} of ${N} jobs`);
    if (pools.ticks) caveats.push('jobs\' CPU in clock ticks (no addon)');
    const cpu: CpuPerJob = {
      console: consoleMs / N,
      coord: coordMs / N,
      pools: (treeMs - coordLifeMs - pools.jobsMs) / N,
      jobs: pools.jobsMs / N,
      spawners: [...pools.spawners].map(([k, n]) => `${k} (${n} pools)`).join(', '),
      caveat: caveats.join('; '),
    };
    return { ...timing, cpu };
  } finally {
    t.remove();
  }
}
