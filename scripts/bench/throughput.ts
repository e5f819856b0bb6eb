// The throughput section: N jobs through JMS and each comparator, runs interleaved, one row per configuration.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobBrief } from '../../protocol/messages.js';
import {
  BASELINE_JS, batch, CONSOLE_JS, COORD_JS, exitWithin, median, message, now, progress, run, spawnTracked, startCoord, stopCoord,
  tail, tempDir, type Coord,
} from './lib.js';
import { fmtRate, fmtRatio, footnote, row, verdict } from './report.js';
import { JOB, JOB_ARGV, N, NEC, POLL_MS, RUN_TIMEOUT_MS, RUNS } from './settings.js';
import { findTsp, runTsp } from './tsp.js';

interface Sample {
  sec: number;
  /** For JMS: when the replaying console exited, and the polls after it. */
  submitSec?: number;
  tailMs?: number;
  polls?: number;
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

async function runJms(root: string, opsFile: string, p: number, extra: readonly string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const t = tempDir(root, `jms-n${p}-`);
  try {
    const c = await startCoord({ dir: t.dir, jobsPool: p, extra, env });
    try {
      const outPath = join(t.dir, 'console.out');
      const errPath = join(t.dir, 'console.err');
      const outFd = fs.openSync(outPath, 'w');
      const errFd = fs.openSync(errPath, 'w');
      const t0 = now();
      const consoleProc = spawnTracked(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, '-o', opsFile], {
        stdio: ['ignore', outFd, errFd], env,
      });
      fs.closeSync(outFd);
      fs.closeSync(errFd);
      const ex = await exitWithin(consoleProc, RUN_TIMEOUT_MS, 'jms_console -o');
      const submitted = now();
      if (ex.code !== 0) throw new Error(`jms_console exited ${ex.code ?? ex.signal}: ${tail(errPath, 2)}`);
      const done = await waitAllFinished(c.conn, N, t0 + RUN_TIMEOUT_MS);
      const answers = (fs.readFileSync(outPath, 'utf8').match(/^JobID: \d+, (PID: \d+|Queued)/gm) ?? []).length;
      if (answers !== N) throw new Error(`jms_console printed ${answers} submit answers for ${N} submits: ${tail(errPath, 2)}`);
      return { sec: (done.at - t0) / 1000, submitSec: (submitted - t0) / 1000, tailMs: done.at - submitted, polls: done.polls };
    } finally {
      await stopCoord(c);
    }
  } finally {
    t.remove();
  }
}

async function runNodeBaseline(p: number): Promise<Sample> {
  const t0 = now();
  const child = spawnTracked(process.execPath, [BASELINE_JS, String(N), String(p), ...JOB_ARGV], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'the Node baseline');
  if (ex.code !== 0) throw new Error(`the Node baseline exited ${ex.code ?? ex.signal}`);
  return { sec: (now() - t0) / 1000 };
}

/**
 * What JMS's design cannot go below: a fresh Node process (as a pool is) for every P jobs,
 * each doing nothing but spawning them, as many at once as there are cores, and nothing
 * else: no coordinator, no console, no files. Started without NODE_EXTRA_CA_CERTS, as pools are.
 */
async function runNodePerPool(p: number, env: NodeJS.ProcessEnv): Promise<Sample> {
  const t0 = now();
  let next = 0;
  const total = Math.ceil(N / p);
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const jobs = Math.min(p, N - i * p);
      const child = spawnTracked(process.execPath, [BASELINE_JS, String(jobs), String(p), ...JOB_ARGV], { stdio: ['ignore', 'ignore', 'inherit'], env });
      const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'a baseline process');
      if (ex.code !== 0) throw new Error(`a baseline process exited ${ex.code ?? ex.signal}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, os.availableParallelism()) }, worker));
  return { sec: (now() - t0) / 1000 };
}

async function runXargs(linesFile: string, p: number): Promise<Sample> {
  const fd = fs.openSync(linesFile, 'r');
  const t0 = now();
  // -I{}: one line, one run; the line itself is not used (no {} in the command).
  const child = spawnTracked('xargs', ['-P', String(p), '-I{}', ...JOB_ARGV], { stdio: [fd, 'ignore', 'inherit'] });
  fs.closeSync(fd);
  const ex = await exitWithin(child, RUN_TIMEOUT_MS, 'xargs');
  if (ex.code !== 0) throw new Error(`xargs exited ${ex.code ?? ex.signal}`);
  return { sec: (now() - t0) / 1000 };
}

async function hasNoJournalFlag(): Promise<boolean> {
  const help = await run(process.execPath, [COORD_JS, '--help']);
  return help.stdout.includes('--no-journal');
}

interface Config {
  key: string;
  section: string;
  name: string;
  p: number;
  kind: 'jms' | 'node' | 'xargs' | 'tsp';
  run: () => Promise<Sample>;
  notes?: string;
}

export async function throughput(root: string): Promise<void> {
  const opsFile = join(root, 'ops.txt');
  fs.writeFileSync(opsFile, `submit ${JOB}\n`.repeat(N));
  const linesFile = join(root, 'lines.txt');
  fs.writeFileSync(linesFile, 'x\n'.repeat(N));
  const tsp = await findTsp();
  const noJournal = await hasNoJournalFlag();
  const envNoNec: NodeJS.ProcessEnv = { ...process.env };
  delete envNoNec.NODE_EXTRA_CA_CERTS;

  const configs: Config[] = [];
  for (const p of [50, 5]) {
    configs.push({ key: `node${p}`, section: 'throughput', kind: 'node', p, name: `-n ${p}: Node baseline (spawn, ≤ ${p} at once)`, run: () => runNodeBaseline(p) });
    configs.push({ key: `xargs${p}`, section: 'throughput', kind: 'xargs', p, name: `-n ${p}: xargs -P ${p}`, run: () => runXargs(linesFile, p) });
    configs.push({
      key: `floor${p}`, section: 'throughput', kind: 'node', p, name: `-n ${p}: floor of the design (a fresh Node process per ${p} jobs, only spawning)`,
      run: () => runNodePerPool(p, envNoNec),
    });
    if ('path' in tsp) configs.push({ key: `tsp${p}`, section: 'throughput', kind: 'tsp', p, name: `-n ${p}: task-spooler (tsp -S ${p})`, run: () => runTsp(root, tsp.path, p) });
    configs.push({ key: `jms${p}`, section: 'throughput', kind: 'jms', p, name: `-n ${p}: JMS (jms_console -o)`, run: () => runJms(root, opsFile, p, [], process.env) });
    if (p === 50 && noJournal) {
      configs.push({ key: 'jms50-nojournal', section: 'cost of safety', kind: 'jms', p, name: '-n 50: JMS, durable records off (--no-journal)', run: () => runJms(root, opsFile, p, ['--no-journal'], process.env) });
    }
    if (p === 50 && NEC !== undefined) {
      configs.push({ key: 'jms50-nonec', section: 'environment', kind: 'jms', p, name: '-n 50: JMS with NODE_EXTRA_CA_CERTS unset', run: () => runJms(root, opsFile, p, [], envNoNec) });
    }
  }

  const samples = new Map<string, Sample[]>(configs.map((c) => [c.key, []]));
  const errors = new Map<string, string[]>(configs.map((c) => [c.key, []]));
  for (let r = 1; r <= RUNS; r += 1) {
    for (const c of configs) {
      try {
        const s = await c.run();
        samples.get(c.key)?.push(s);
        const extra = s.submitSec === undefined ? '' : ` (console done at ${s.submitSec.toFixed(2)} s, last finish seen ${Math.round(s.tailMs ?? 0)} ms later, ${s.polls ?? 0} poll(s))`;
        progress(`throughput run ${r}/${RUNS}: ${c.name}: ${N} jobs in ${s.sec.toFixed(2)} s = ${Math.round(N / s.sec)} jobs/s${extra}`);
      } catch (err) {
        errors.get(c.key)?.push(message(err));
        progress(`throughput run ${r}/${RUNS}: ${c.name}: ERROR ${message(err)}`);
      }
    }
  }

  const rate = (key: string): number => median((samples.get(key) ?? []).map((s) => N / s.sec));
  const runsOf = (key: string): string => (samples.get(key) ?? []).map((s) => Math.round(N / s.sec)).join(', ');
  const errorsOf = (key: string): string => {
    const e = errors.get(key) ?? [];
    return e.length === 0 ? '' : `; ${e.length} failed run(s): ${e[0] ?? ''}`;
  };
  for (const c of configs) {
    const mine = rate(c.key);
    const base = rate(`node${c.p}`);
    const s = samples.get(c.key) ?? [];
    let notes = `runs: ${runsOf(c.key) || 'none'}${errorsOf(c.key)}`;
    let target = '';
    let verdictText = '';
    if (c.kind === 'jms') {
      notes += `; console exited at ${median(s.map((x) => x.submitSec ?? Number.NaN)).toFixed(2)} s, last finish seen ${Math.round(median(s.map((x) => x.tailMs ?? Number.NaN)))} ms after (median)`;
    }
    if (c.key === 'jms50') {
      const tspRate = rate('tsp50');
      target = '≥ 0.70× Node baseline; > tsp -S 50';
      const parts = [`${verdict(mine >= 0.7 * base)} (${fmtRatio(mine / base)})`];
      parts.push('path' in tsp ? `${verdict(mine > tspRate)} (tsp ${fmtRate(tspRate)})` : 'tsp n/a');
      verdictText = parts.join('; ');
    }
    if (c.key === 'jms50-nojournal') notes += `; with durable records on (the -n 50 JMS row): ${fmtRatio(rate('jms50') / mine)} of this rate`;
    if (c.key === 'jms50-nonec') notes += `; as-is (with it set) runs at ${fmtRatio(rate('jms50') / mine)} of this rate`;
    row({ section: c.section, name: c.name, result: fmtRate(mine), ratio: fmtRatio(mine / base), target, verdict: verdictText, notes });
  }
  if ('skip' in tsp) {
    row({ section: 'throughput', name: '-n 50 / -n 5: task-spooler', result: 'skipped', notes: tsp.skip });
  }
  if (!noJournal) {
    row({ section: 'cost of safety', name: '-n 50: JMS, durable records off', result: 'n/a', notes: 'this jms_coord has no --no-journal option (see --help)' });
  }
  footnote(
    `Throughput: jobs/s = N / seconds from starting the measured command to the last job's end. JMS: a fresh coordinator per run (already accepting consoles, no pool yet, default --max-pools 16), timed from starting \`jms_console -o ops\` (N × \`submit ${JOB}\`, stdin /dev/null, output to a file and checked for N answers) until the harness's own console connection, polling every ${POLL_MS} ms once the replaying console has exited, sees \`show-active\` empty and N jobs in \`show-finished\`, all exited 0 (so a number can be up to one poll late; nothing polls while the console submits). Node baseline: \`node dist/scripts/bench/baseline.js N P ${JOB_ARGV.join(' ')}\` (child_process.spawn, ≤ P running, stdio ignored). xargs: \`xargs -P P -I{} ${JOB_ARGV.join(' ')}\` fed N lines. tsp: a private server (own TS_SOCKET), \`tsp -S P\`, then a bash loop running \`tsp ${JOB_ARGV.join(' ')}\` N times, timed until \`tsp -l\` (polled every ${POLL_MS} ms) lists no queued or running job; tsp keeps each job's output in a file, as JMS keeps a directory per job. The ratio column is each row's jobs/s over the Node baseline's at the same P.`,
    'Floor of the design: N/P processes of the Node baseline, each spawning P jobs, as many at once as the machine has cores, started without NODE_EXTRA_CA_CERTS (as pools are); no coordinator, console, journal or job directories. JMS must pay at least this, because a pool is a Node process that takes at most jobs_pool jobs over its life.',
    'JMS\'s own bound on jobs running at once is jobs_pool × --max-pools (50 × 16 at -n 50, 5 × 16 at -n 5); the comparators run at most P = jobs_pool at once. At -n 5 JMS starts a new pool (a Node process) every 5 jobs, N/5 pools per run.',
  );
}
