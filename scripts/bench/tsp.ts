// The task-spooler comparator: finding (or installing) tsp and timing N jobs through a private tsp server.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ownCpuMs, reapedCpuMs, treeCpuMs } from './cpu.js';
import type { Sample } from './jms-run.js';
import { exitWithin, message, now, onCleanup, progress, run, spawnTracked, tempDir } from './lib.js';
import { JOB_ARGV, N, POLL_MS, RUN_TIMEOUT_MS, TSP_MODE } from './settings.js';

/** tsp's states of its jobs (`tsp -l`: ID State Output E-Level Times Command). */
function tspStates(listing: string): { unfinished: number; finished: number; failed: number } {
  let unfinished = 0;
  let finished = 0;
  let failed = 0;
  for (const line of listing.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const state = f[1];
    if (state === undefined) continue;
    if (state === 'finished') {
      finished += 1;
      // Finished lines: ID finished OUTPUT E-LEVEL TIMES COMMAND…
      if (f[3] !== '0') failed += 1;
    } else if (state !== 'skipped') {
      unfinished += 1;
    }
  }
  return { unfinished, finished, failed };
}

/** The tsp server serving `socket` (a daemon of its own, found by its environment), or null. */
function tspServer(socket: string): number | null {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() !== 'tsp') continue;
      const state = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.[0];
      if (state === 'Z') continue;
      if (fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`TS_SOCKET=${socket}`)) return Number(name);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return null;
}

/**
 * N jobs through a private tsp server whose socket and output files are under `parent`
 * (the disk, or a tmpfs); CPU per job: the clients (the submitting loop), the server's own
 * and its reaped children's (the jobs, each with the process tsp forks for it).
 */
export async function runTsp(parent: string, tsp: string, p: number): Promise<Sample> {
  const t = tempDir(parent, `tsp-s${p}-`);
  // A private server: its own socket; its output files (one per job, as JMS keeps one
  // directory per job) under the temporary directory; every finished job kept listed.
  const env = { ...process.env, TS_SOCKET: join(t.dir, 'socket'), TMPDIR: t.dir, TS_MAXFINISHED: String(N + 100) };
  const kill = (): void => void spawnSync(tsp, ['-K'], { env, stdio: 'ignore', timeout: 10_000 });
  const unregister = onCleanup(kill);
  try {
    const slots = await run(tsp, ['-S', String(p)], { env });
    if (slots.code !== 0) throw new Error(`tsp -S ${p} failed: ${slots.stderr.trim()}`);
    const server = tspServer(env.TS_SOCKET);
    const server0 = server === null ? Number.NaN : ownCpuMs(server);
    const tree0 = server === null ? Number.NaN : treeCpuMs(server);
    const reaped0 = reapedCpuMs();
    const t0 = now();
    // The usual way to queue jobs with tsp: one client run per job, from a shell loop.
    const submit = spawnTracked('bash', ['-c', `for ((i = 0; i < ${N}; i++)); do "$0" ${JOB_ARGV.join(' ')} >/dev/null || exit 1; done`, tsp], {
      stdio: ['ignore', 'ignore', 'inherit'], env,
    });
    const ex = await exitWithin(submit, RUN_TIMEOUT_MS, 'queueing with tsp');
    if (ex.code !== 0) throw new Error(`queueing with tsp failed (${ex.code ?? ex.signal})`);
    const clientsMs = reapedCpuMs() - reaped0;
    for (;;) {
      const list = await run(tsp, ['-l'], { env });
      const seen = now();
      const s = tspStates(list.stdout);
      if (s.unfinished === 0) {
        if (s.finished !== N) throw new Error(`tsp lists ${s.finished} finished jobs, not ${N}`);
        if (s.failed > 0) throw new Error(`${s.failed} tsp job(s) did not exit 0`);
        const ownMs = server === null ? Number.NaN : ownCpuMs(server) - server0;
        const jobsMs = server === null ? Number.NaN : treeCpuMs(server) - tree0 - ownMs;
        return { sec: (seen - t0) / 1000, tsp: { clients: clientsMs / N, server: ownMs / N, jobs: jobsMs / N } };
      }
      if (now() - t0 > RUN_TIMEOUT_MS) throw new Error('tsp jobs still unfinished at the deadline');
      await sleep(POLL_MS);
    }
  } finally {
    kill();
    unregister();
    t.remove();
  }
}

/** Finds tsp, installing Debian's task-spooler when missing (BENCH_TSP=auto). */
export async function findTsp(): Promise<{ path: string } | { skip: string }> {
  const which = async (): Promise<string | null> => {
    const r = await run('sh', ['-c', 'command -v tsp']);
    return r.code === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : null;
  };
  if (TSP_MODE === 'skip') return { skip: 'skipped (BENCH_TSP=skip)' };
  const found = await which();
  if (found !== null) return { path: found };
  if (TSP_MODE !== 'auto') return { skip: 'tsp is not installed (and BENCH_TSP forbids installing it)' };
  if (process.getuid?.() !== 0) return { skip: 'tsp is not installed, and installing Debian\'s task-spooler needs root' };
  progress('tsp missing: installing Debian\'s task-spooler (apt-get update; apt-get install -y task-spooler)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    const update = await run('apt-get', ['update'], { env, timeoutMs: 300_000 });
    if (update.code !== 0) return { skip: `tsp not installed: apt-get update failed (${update.stderr.trim().split('\n').pop() ?? ''})` };
    const install = await run('apt-get', ['install', '-y', '--no-install-recommends', 'task-spooler'], { env, timeoutMs: 300_000 });
    if (install.code !== 0) return { skip: `tsp not installed: apt-get install task-spooler failed (${install.stderr.trim().split('\n').pop() ?? ''})` };
  } catch (err) {
    return { skip: `tsp not installed: ${message(err)}` };
  }
  const installed = await which();
  return installed === null ? { skip: 'task-spooler installed but no tsp command found' } : { path: installed };
}
