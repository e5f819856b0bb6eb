// The cost of one job spawn on each pool/spawn path, measured from inside a Node process
// that holds a pool-sized heap: N `/bin/sh -c /bin/true` jobs, P at a time, stdout and
// stderr on /dev/null, for each spawner in turn over interleaved rounds; prints one
// markdown table of medians (stdout), progress on stderr.
//
//   node dist/scripts/bench/spawn.js
//
// Settings (environment): BENCH_SPAWN_N (2000), BENCH_SPAWN_P (50), BENCH_SPAWN_RUNS (3),
// BENCH_SPAWN_HEAP_MB (40: live JavaScript heap held during the runs).
//
// Columns: wall time per job (first spawn to last exit, over N); the process's own CPU
// per job (process.cpuUsage, user + system: the spawn, the reaping, the callbacks); the
// jobs' CPU per job (cutime + cstime of /proc/self/stat: reaped children, so the fork or
// clone and exec of each job show there).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { childProcessSpawner } from '../../pool/spawn/child-process.js';
import { loadAddon, nativeSpawner } from '../../pool/spawn/native.js';
import type { JobSpawner } from '../../pool/spawn/index.js';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 1) {
    process.stderr.write(`bench-spawn: ${name} must be a whole number ≥ 1, not '${raw}'\n`);
    process.exit(2);
  }
  return v;
}

const N = setting('BENCH_SPAWN_N', 2000);
const P = setting('BENCH_SPAWN_P', 50);
const RUNS = setting('BENCH_SPAWN_RUNS', 3);
const HEAP_MB = setting('BENCH_SPAWN_HEAP_MB', 40);
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface Sample {
  wallMs: number;
  ownCpuMs: number;
  jobsCpuMs: number;
}

/** Reaped children's CPU so far (ms), from cutime and cstime of /proc/self/stat. */
function childrenCpuMs(): number {
  const text = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / CLK_TCK;
}

/** n jobs through spawner, at most p at once; resolves with the per-job costs. */
function runJobs(spawner: JobSpawner, n: number, p: number, fd: number, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const kids0 = childrenCpuMs();
    const next = (): void => {
      while (started - done < p && started < n) {
        started += 1;
        const r = spawner.spawn({ command: '/bin/true', env, stdoutFd: fd, stderrFd: fd }, (e) => {
          if (e.code !== 0) return reject(new Error(`a job ended with ${JSON.stringify(e)}`));
          done += 1;
          if (done < n) return next();
          const cpu = process.cpuUsage(cpu0);
          resolve({
            wallMs: (performance.now() - t0) / n,
            ownCpuMs: (cpu.user + cpu.system) / 1000 / n,
            jobsCpuMs: (childrenCpuMs() - kids0) / n,
          });
        });
        if ('error' in r) return reject(new Error(r.error));
      }
    };
    next();
  });
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Live, reachable heap until heapUsed is HEAP_MB: 1 KiB strings, each its own allocation. */
function ballast(): string[] {
  const held: string[] = [];
  while (process.memoryUsage().heapUsed < HEAP_MB * 2 ** 20) {
    for (let i = 0; i < 1024; i += 1) held.push(`${held.length}:`.padEnd(1024, 'x'));
  }
  return held;
}

async function main(): Promise<void> {
  const held = ballast();
  const loaded = loadAddon();
  const spawners: JobSpawner[] = [childProcessSpawner()];
  if ('addon' in loaded) spawners.unshift(nativeSpawner(loaded.addon));
  else process.stderr.write(`bench-spawn: posix_spawn not measured: ${'missing' in loaded ? loaded.missing : loaded.unusable}\n`);
  const fd = fs.openSync('/dev/null', 'w');
  const env = { ...process.env };
  const samples = new Map<string, Sample[]>(spawners.map((s) => [s.kind, []]));
  for (const s of spawners) await runJobs(s, Math.min(N, 200), P, fd, env); // warm-up
  for (let round = 0; round < RUNS; round += 1) {
    const order = round % 2 === 0 ? spawners : [...spawners].reverse();
    for (const s of order) {
      const sample = await runJobs(s, N, P, fd, env);
      samples.get(s.kind)?.push(sample);
      process.stderr.write(`bench-spawn: round ${round + 1} ${s.kind}: ${(1000 / sample.wallMs).toFixed(0)} jobs/s\n`);
    }
  }
  const mem = process.memoryUsage();
  const [load] = os.loadavg();
  console.log(`- ${N} jobs \`/bin/sh -c /bin/true\`, ${P} at a time, medians of ${RUNS} interleaved rounds; ${os.cpus().length} cores, load ${load?.toFixed(2)}`);
  console.log(`- this process: heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MB (${held.length} strings held), RSS ${(mem.rss / 2 ** 20).toFixed(0)} MB; NODE_EXTRA_CA_CERTS ${process.env['NODE_EXTRA_CA_CERTS'] === undefined ? 'unset' : 'set'} (irrelevant here)`);
  console.log('');
  console.log('| spawner | jobs/s | wall per job | own CPU per job | jobs\' CPU per job |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const s of spawners) {
    const xs = samples.get(s.kind) ?? [];
    const wall = median(xs.map((x) => x.wallMs));
    const row = [s.kind, (1000 / wall).toFixed(0), `${wall.toFixed(3)} ms`, `${median(xs.map((x) => x.ownCpuMs)).toFixed(3)} ms`, `${median(xs.map((x) => x.jobsCpuMs)).toFixed(3)} ms`];
    console.log(`| ${row.join(' | ')} |`);
  }
  fs.closeSync(fd);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-spawn: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
