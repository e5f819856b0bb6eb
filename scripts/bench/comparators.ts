// The comparators of the throughput section that are not JMS or task-spooler: the Node
// baseline (spawn only), the floor of the design (a fresh Node process per P jobs) and
// xargs -P.

import fs from 'node:fs';
import os from 'node:os';
import { POOL_NODE_FLAGS } from '../../protocol/quick-start.js';
import type { Sample } from './jms-run.js';
import { BASELINE_JS, exitWithin, now, spawnTracked } from './lib.js';
import { JOB_ARGV, N, RUN_TIMEOUT_MS } from './settings.js';

export async function runNodeBaseline(p: number): Promise<Sample> {
  const t0 = now();
  const child = spawnTracked(process.execPath, [BASELINE_JS, String(N), String(p), ...JOB_ARGV], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'the Node baseline');
  if (ex.code !== 0) throw new Error(`the Node baseline exited ${ex.code ?? ex.signal}`);
  return { sec: (now() - t0) / 1000 };
}

/**
 * What JMS's design cannot go below: a fresh Node process (as a pool is) for every P jobs,
 * each doing nothing but spawning them, as many at once as there are cores, and nothing
 * else: no coordinator, no console, no files. Started as pools are: without
 * NODE_EXTRA_CA_CERTS, with a pool's V8 flags (protocol/quick-start.ts).
 */
export async function runNodePerPool(p: number, env: NodeJS.ProcessEnv): Promise<Sample> {
  const t0 = now();
  let next = 0;
  const total = Math.ceil(N / p);
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const jobs = Math.min(p, N - i * p);
      const child = spawnTracked(process.execPath, [...POOL_NODE_FLAGS, BASELINE_JS, String(jobs), String(p), ...JOB_ARGV], { stdio: ['ignore', 'ignore', 'inherit'], env });
      const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'a baseline process');
      if (ex.code !== 0) throw new Error(`a baseline process exited ${ex.code ?? ex.signal}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, os.availableParallelism()) }, worker));
  return { sec: (now() - t0) / 1000 };
}

export async function runXargs(linesFile: string, p: number): Promise<Sample> {
  const fd = fs.openSync(linesFile, 'r');
  const t0 = now();
  // -I{}: one line, one run; the line itself is not used (no {} in the command).
  const child = spawnTracked('xargs', ['-P', String(p), '-I{}', ...JOB_ARGV], { stdio: [fd, 'ignore', 'inherit'] });
  fs.closeSync(fd);
  const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'xargs');
  if (ex.code !== 0) throw new Error(`xargs exited ${ex.code ?? ex.signal}`);
  return { sec: (now() - t0) / 1000 };
}
