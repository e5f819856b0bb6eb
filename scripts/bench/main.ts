// `make bench`: measures JMS on this machine and prints one markdown table (stdout),
// every row measured in the same run; progress goes to stderr.
//
//   throughput  N trivial jobs replayed by `jms_console -o`, timed until the last one has
//               finished, at -n 50 and -n 5, next to a Node baseline (spawn, at most P at
//               once), xargs -P P and task-spooler (tsp -S P), P = jobs_pool
//   safety      the -n 50 row with durable records off (--no-journal), when it exists
//   env         the -n 50 row with NODE_EXTRA_CA_CERTS unset (when it is set)
//   tmpfs       the -n 50 JMS and tsp rows with the output path (tsp: TMPDIR) on a tmpfs
//   spawn       the -n 50 JMS row with jobs started by child_process.spawn (JMS_SPAWN)
//   cpu         CPU per job of each process of every JMS row (console, coordinator,
//               pools' own, jobs) and of tsp's (clients, server)
//   startup     one-shot `jms_console status 1` against `node -e 0`; 1,000 submits from
//               a script, one command each or one process for all
//   latency     `status <id>` round trip (p50, p99 of BENCH_STATUS_REQS requests); submit
//               to answer when a new pool must start and when one is reused
//   scale       with BENCH_SCALE_JOBS finished jobs on record: coordinator RSS, start-up,
//               status-all and show-finished times; RSS of a live pool
//
// Settings (environment): BENCH_N (5000), BENCH_RUNS (3), BENCH_STATUS_REQS (10000),
// BENCH_SCALE_JOBS (100000), BENCH_POLL_MS (25), BENCH_ONLY (throughput,startup,latency,scale),
// BENCH_ROWS (only these throughput rows, by key: jms50, tsp50, jms50-tmpfs, …),
// BENCH_TSP (auto: install from Debian when missing | no-install | skip),
// BENCH_TMP (os.tmpdir()), BENCH_RUN_TIMEOUT_S (600), BENCH_LABEL (what is measured).
//
// This file starts the run, calls each section in turn and prints the table; the settings
// are in settings.ts, the sections in throughput.ts (with tsp.ts), latency.ts and scale.ts,
// the table in report.ts, the header lines in machine.ts.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BASELINE_JS, cleanupAll, CONSOLE_JS, COORD_JS, now, onCleanup, progress } from './lib.js';
import { latency } from './latency.js';
import { describeMachine } from './machine.js';
import { fmtMs, hasRows, printTable } from './report.js';
import { scale } from './scale.js';
import { startup } from './startup.js';
import { N, RUNS, SECTIONS, TMP_PARENT } from './settings.js';
import { throughput } from './throughput.js';

async function main(): Promise<void> {
  for (const f of [COORD_JS, CONSOLE_JS, BASELINE_JS]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: build first (make build)`);
  }
  // One exit listener per Connection (it removes its FIFOs): more than the default 10.
  process.setMaxListeners(0);
  fs.mkdirSync(TMP_PARENT, { recursive: true });
  const root = fs.mkdtempSync(join(TMP_PARENT, 'jms-bench-'));
  onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
  header.push(...describeMachine(root));
  const [load1Start] = os.loadavg();
  if ((load1Start ?? 0) > 1) progress(`the 1-minute load average is ${load1Start?.toFixed(2)}: other processes compete for the CPU, numbers will be pessimistic`);
  const t0 = now();
  progress(`N=${N}, runs=${RUNS}, sections: ${[...SECTIONS].join(',')}; temporary files in ${root}`);
  if (SECTIONS.has('throughput')) await throughput(root);
  if (SECTIONS.has('startup')) await startup(root);
  if (SECTIONS.has('latency')) await latency(root);
  if (SECTIONS.has('scale')) await scale(root);
  const [load1End] = os.loadavg();
  header.push(`- the whole benchmark took ${fmtMs(now() - t0)}; 1-minute load average ${load1Start?.toFixed(2)} at the start, ${load1End?.toFixed(2)} at the end (above ~0.5 other processes competed for the ${os.cpus().length} cores and the numbers are pessimistic)`);
  printTable(header);
}

/** The header lines, kept here so that an interrupted run can still print what it has. */
const header: string[] = [];

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    progress(`${sig}: cleaning up`);
    cleanupAll();
    if (hasRows()) printTable([...header, `- INTERRUPTED by ${sig}: only the rows finished so far`]);
    process.exit(130);
  });
}

main().then(
  () => {
    cleanupAll();
    process.exit(0);
  },
  (err: unknown) => {
    progress(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    cleanupAll();
    process.exit(1);
  },
);
