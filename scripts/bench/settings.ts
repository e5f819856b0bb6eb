// The harness's settings: BENCH_* environment variables (checked once, at start-up) and fixed constants.

import os from 'node:os';

function intSetting(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min) {
    process.stderr.write(`bench: ${name} must be a whole number ≥ ${min}, not '${raw}'\n`);
    process.exit(2);
  }
  return v;
}

export const N = intSetting('BENCH_N', 5000);
export const RUNS = intSetting('BENCH_RUNS', 3);
export const STATUS_REQS = intSetting('BENCH_STATUS_REQS', 10_000);
export const SCALE_JOBS = intSetting('BENCH_SCALE_JOBS', 100_000);
export const POLL_MS = intSetting('BENCH_POLL_MS', 25);
export const RUN_TIMEOUT_MS = intSetting('BENCH_RUN_TIMEOUT_S', 600) * 1000;
export const SECTIONS = new Set((process.env.BENCH_ONLY ?? 'throughput,startup,latency,scale').split(',').map((s) => s.trim()));
/** Only these throughput rows (their keys: node50, tsp50, jms50, jms50-tmpfs, jms50-cp, …), for development; null: all. */
export const ROWS = process.env.BENCH_ROWS === undefined || process.env.BENCH_ROWS === '' ? null : new Set(process.env.BENCH_ROWS.split(',').map((s) => s.trim()));
export const TSP_MODE = process.env.BENCH_TSP ?? 'auto';
export const TMP_PARENT = process.env.BENCH_TMP ?? os.tmpdir();
export const NEC = process.env.NODE_EXTRA_CA_CERTS;

/** The job every throughput row runs. A pool runs it as `/bin/sh -c <job>`; so do the others. */
export const JOB = '/bin/true';
export const JOB_ARGV = ['/bin/sh', '-c', JOB] as const;
/** Warm-up requests before the timed status round trips. */
export const STATUS_WARMUP = 1000;
/** Samples of submit→answer with a new pool (each one waits for the previous pool to exit). */
export const COLD_SAMPLES = 10;
export const WARM_PER_COLD = 20;
