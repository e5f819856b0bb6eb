// `make bench`: measures JMS on this machine and prints one markdown table (stdout),
// every row measured in the same run; progress goes to stderr.
//
//   throughput  N trivial jobs replayed by `jms_console -o`, timed until the last one has
//               finished, at -n 50 and -n 5, next to a Node baseline (spawn, at most P at
//               once), xargs -P P and task-spooler (tsp -S P), P = jobs_pool
//   safety      the -n 50 row with durable records off (--no-journal), when it exists
//   env         the -n 50 row with NODE_EXTRA_CA_CERTS unset (when it is set)
//   latency     `status <id>` round trip (p50, p99 of BENCH_STATUS_REQS requests); submit
//               to answer when a new pool must start and when one is reused
//   scale       with BENCH_SCALE_JOBS finished jobs on record: coordinator RSS, start-up,
//               status-all and show-finished times; RSS of a live pool
//
// Settings (environment): BENCH_N (5000), BENCH_RUNS (3), BENCH_STATUS_REQS (10000),
// BENCH_SCALE_JOBS (100000), BENCH_POLL_MS (25), BENCH_ONLY (throughput,latency,scale),
// BENCH_TSP (auto: install from Debian when missing | no-install | skip),
// BENCH_TMP (os.tmpdir()), BENCH_RUN_TIMEOUT_S (600), BENCH_LABEL (what is measured).

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobView } from '../../protocol/messages.js';
import {
  ask, BASELINE_JS, batch, cleanupAll, CONSOLE_JS, COORD_JS, exitWithin, median, message, now, onCleanup,
  percentile, procCpuMs, procStatusKb, progress, pssKb, ROOT, run, spawnTracked, startCoord, stopCoord, tail, tempDir,
  writeFinishedJournal, type Coord,
} from './lib.js';

// --- settings ----------------------------------------------------------------------

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

const N = intSetting('BENCH_N', 5000);
const RUNS = intSetting('BENCH_RUNS', 3);
const STATUS_REQS = intSetting('BENCH_STATUS_REQS', 10_000);
const SCALE_JOBS = intSetting('BENCH_SCALE_JOBS', 100_000);
const POLL_MS = intSetting('BENCH_POLL_MS', 25);
const RUN_TIMEOUT_MS = intSetting('BENCH_RUN_TIMEOUT_S', 600) * 1000;
const SECTIONS = new Set((process.env.BENCH_ONLY ?? 'throughput,latency,scale').split(',').map((s) => s.trim()));
const TSP_MODE = process.env.BENCH_TSP ?? 'auto';
const TMP_PARENT = process.env.BENCH_TMP ?? os.tmpdir();
const NEC = process.env.NODE_EXTRA_CA_CERTS;

/** The job every throughput row runs. A pool runs it as `/bin/sh -c <job>`; so do the others. */
const JOB = '/bin/true';
const JOB_ARGV = ['/bin/sh', '-c', JOB] as const;
/** Warm-up requests before the timed status round trips. */
const STATUS_WARMUP = 1000;
/** Samples of submit→answer with a new pool (each one waits for the previous pool to exit). */
const COLD_SAMPLES = 10;
const WARM_PER_COLD = 20;

// --- the table ---------------------------------------------------------------------

interface Row {
  section: string;
  name: string;
  result: string;
  ratio: string;
  target: string;
  verdict: string;
  notes: string;
}

const rows: Row[] = [];
const footnotes: string[] = [];

function row(r: Partial<Row> & Pick<Row, 'section' | 'name' | 'result'>): void {
  rows.push({ ratio: '', target: '', verdict: '', notes: '', ...r });
}

const verdict = (ok: boolean): string => (ok ? 'pass' : '**FAIL**');
const fmtRate = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)} jobs/s` : 'n/a');
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 10) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
const fmtMb = (kb: number | null): string => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);

// --- the machine -------------------------------------------------------------------

function describeMachine(tmpRoot: string): string[] {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: keep 'unknown'.
  }
  const sh = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no', '--', 'protocol', 'coord', 'pool', 'console']);
  const changed = dirty === '' ? '' : ` + uncommitted changes to ${dirty.split('\n').map((l) => l.slice(3)).join(', ')}`;
  const label = process.env.BENCH_LABEL;
  const jms = `${commit === '' ? 'no git commit found' : `commit ${commit}${changed}`}${label ? ` (${label})` : ''}; dist/ as built`;
  const fsType = sh('stat', ['-f', '-c', '%T', tmpRoot]) || 'unknown';
  return [
    `- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}; node ${process.version}`,
    `- date: ${new Date().toISOString()}`,
    `- JMS measured: ${jms}`,
    `- N = ${N} jobs per throughput run, median of ${RUNS} run(s) each, runs interleaved row by row; job: \`${JOB}\`, which a pool runs as \`${JOB_ARGV.join(' ')}\` — every comparator runs exactly that argv, one exec of /bin/sh per job`,
    `- temporary files under ${tmpRoot} (file system: ${fsType}); the journal's fdatasync cost depends on it`,
    `- NODE_EXTRA_CA_CERTS: ${NEC === undefined ? 'not set' : `set (${NEC}); every Node process (console, coordinator, pools, baseline) starts with it unless a row says otherwise`}`,
  ];
}

// --- throughput --------------------------------------------------------------------

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
        const bad = finished.jobs.filter((j: JobView) => !(j.result?.kind === 'exited' && j.result.code === 0));
        if (bad.length > 0) throw new Error(`${bad.length} job(s) did not exit 0, e.g. ${JSON.stringify(bad[0]?.result)}`);
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

async function runTsp(root: string, tsp: string, p: number): Promise<Sample> {
  const t = tempDir(root, `tsp-s${p}-`);
  // A private server: its own socket; its output files (one per job, as JMS keeps one
  // directory per job) under the temporary directory; every finished job kept listed.
  const env = { ...process.env, TS_SOCKET: join(t.dir, 'socket'), TMPDIR: t.dir, TS_MAXFINISHED: String(N + 100) };
  const kill = (): void => void spawnSync(tsp, ['-K'], { env, stdio: 'ignore', timeout: 10_000 });
  const unregister = onCleanup(kill);
  try {
    const slots = await run(tsp, ['-S', String(p)], { env });
    if (slots.code !== 0) throw new Error(`tsp -S ${p} failed: ${slots.stderr.trim()}`);
    const t0 = now();
    // The usual way to queue jobs with tsp: one client run per job, from a shell loop.
    const submit = spawnTracked('bash', ['-c', `for ((i = 0; i < ${N}; i++)); do "$0" ${JOB_ARGV.join(' ')} >/dev/null || exit 1; done`, tsp], {
      stdio: ['ignore', 'ignore', 'inherit'], env,
    });
    const ex = await exitWithin(submit, RUN_TIMEOUT_MS, 'queueing with tsp');
    if (ex.code !== 0) throw new Error(`queueing with tsp failed (${ex.code ?? ex.signal})`);
    for (;;) {
      const list = await run(tsp, ['-l'], { env });
      const seen = now();
      const s = tspStates(list.stdout);
      if (s.unfinished === 0) {
        if (s.finished !== N) throw new Error(`tsp lists ${s.finished} finished jobs, not ${N}`);
        if (s.failed > 0) throw new Error(`${s.failed} tsp job(s) did not exit 0`);
        return { sec: (seen - t0) / 1000 };
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
async function findTsp(): Promise<{ path: string } | { skip: string }> {
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

async function throughput(root: string): Promise<void> {
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
  footnotes.push(
    `Throughput: jobs/s = N / seconds from starting the measured command to the last job's end. JMS: a fresh coordinator per run (already accepting consoles, no pool yet, default --max-pools 16), timed from starting \`jms_console -o ops\` (N × \`submit ${JOB}\`, stdin /dev/null, output to a file and checked for N answers) until the harness's own console connection, polling every ${POLL_MS} ms once the replaying console has exited, sees \`show-active\` empty and N jobs in \`show-finished\`, all exited 0 (so a number can be up to one poll late; nothing polls while the console submits). Node baseline: \`node dist/scripts/bench/baseline.js N P ${JOB_ARGV.join(' ')}\` (child_process.spawn, ≤ P running, stdio ignored). xargs: \`xargs -P P -I{} ${JOB_ARGV.join(' ')}\` fed N lines. tsp: a private server (own TS_SOCKET), \`tsp -S P\`, then a bash loop running \`tsp ${JOB_ARGV.join(' ')}\` N times, timed until \`tsp -l\` (polled every ${POLL_MS} ms) lists no queued or running job; tsp keeps each job's output in a file, as JMS keeps a directory per job. The ratio column is each row's jobs/s over the Node baseline's at the same P.`,
    'JMS\'s own bound on jobs running at once is jobs_pool × --max-pools (50 × 16 at -n 50, 5 × 16 at -n 5); the comparators run at most P = jobs_pool at once. At -n 5 JMS starts a new pool (a Node process) every 5 jobs, N/5 pools per run.',
  );
}

// --- latency -----------------------------------------------------------------------

async function statusLatency(root: string): Promise<{ p50: number; p99: number; max: number }> {
  const t = tempDir(root, 'status-');
  try {
    const c = await startCoord({ dir: t.dir, jobsPool: 10 });
    try {
      const sub = await ask(c.conn, { kind: 'submit', command: JOB });
      if (sub.kind !== 'submitted' && sub.kind !== 'queued') throw new Error(`submit answered ${JSON.stringify(sub)}`);
      const jobId = sub.jobId;
      for (let i = 0; ; i += 1) {
        const st = await ask(c.conn, { kind: 'status', jobId });
        if (st.kind === 'status' && st.job.status === 'finished') break;
        if (i > 1000) throw new Error('the job did not finish');
        await sleep(10);
      }
      for (let i = 0; i < STATUS_WARMUP; i += 1) await c.conn.request({ kind: 'status', jobId });
      const lat = new Array<number>(STATUS_REQS);
      for (let i = 0; i < STATUS_REQS; i += 1) {
        const t0 = now();
        const reply = await c.conn.request({ kind: 'status', jobId });
        lat[i] = now() - t0;
        if (reply.kind !== 'status') throw new Error(`status answered ${JSON.stringify(reply)}`);
      }
      lat.sort((a, b) => a - b);
      return { p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat[lat.length - 1] ?? Number.NaN };
    } finally {
      await stopCoord(c);
    }
  } finally {
    t.remove();
  }
}

async function submitLatency(root: string, env: NodeJS.ProcessEnv): Promise<{ cold: number[]; warm: number[] }> {
  const t = tempDir(root, 'submit-');
  try {
    // -n 1000: one pool takes every job; --pool-idle 100: it exits 100 ms after its last job.
    const c = await startCoord({ dir: t.dir, jobsPool: 1000, extra: ['--pool-idle', '100'], env });
    try {
      const cold: number[] = [];
      const warm: number[] = [];
      const submit = async (): Promise<number> => {
        const t0 = now();
        const r = await ask(c.conn, { kind: 'submit', command: JOB });
        const ms = now() - t0;
        if (r.kind !== 'submitted') throw new Error(`submit answered ${JSON.stringify(r)}`);
        return ms;
      };
      for (let i = 0; i < COLD_SAMPLES; i += 1) {
        const deadline = now() + 20_000;
        while ((await batch(c.conn, { kind: 'show-pools' })).pools.length > 0) {
          if (now() > deadline) throw new Error('the idle pool did not exit');
          await sleep(20);
        }
        cold.push(await submit());
        for (let j = 0; j < WARM_PER_COLD; j += 1) warm.push(await submit());
      }
      return { cold, warm };
    } finally {
      await stopCoord(c);
    }
  } finally {
    t.remove();
  }
}

async function latency(root: string): Promise<void> {
  const p50s: number[] = [];
  const p99s: number[] = [];
  const maxes: number[] = [];
  for (let r = 1; r <= RUNS; r += 1) {
    try {
      const s = await statusLatency(root);
      p50s.push(s.p50);
      p99s.push(s.p99);
      maxes.push(s.max);
      progress(`latency run ${r}/${RUNS}: status round trip p50 ${fmtMs(s.p50)}, p99 ${fmtMs(s.p99)}, max ${fmtMs(s.max)}`);
    } catch (err) {
      progress(`latency run ${r}/${RUNS}: ERROR ${message(err)}`);
    }
  }
  const runs = (xs: number[]): string => `runs: ${xs.map((x) => x.toFixed(3)).join(', ') || 'none'} ms`;
  const p50 = median(p50s);
  const p99 = median(p99s);
  row({ section: 'latency', name: `status <id> round trip, p50 (${STATUS_REQS} requests)`, result: fmtMs(p50), target: '≤ 0.3 ms', verdict: p50s.length > 0 ? verdict(p50 <= 0.3) : 'n/a', notes: runs(p50s) });
  row({ section: 'latency', name: `status <id> round trip, p99 (${STATUS_REQS} requests)`, result: fmtMs(p99), target: '≤ 2 ms', verdict: p99s.length > 0 ? verdict(p99 <= 2) : 'n/a', notes: `${runs(p99s)}; max ${fmtMs(Math.max(...maxes))}` });

  const envs: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
  if (NEC !== undefined) {
    const e: NodeJS.ProcessEnv = { ...process.env };
    delete e.NODE_EXTRA_CA_CERTS;
    envs.push([', NODE_EXTRA_CA_CERTS unset', e]);
  }
  for (const [suffix, env] of envs) {
    try {
      const s = await submitLatency(root, env);
      const warmSorted = [...s.warm].sort((a, b) => a - b);
      progress(`latency: submit→answer, new pool${suffix}: median ${fmtMs(median(s.cold))}; pool reused: median ${fmtMs(median(s.warm))}`);
      row({ section: suffix === '' ? 'latency' : 'environment', name: `submit → answer, a new pool must start${suffix}`, result: `${fmtMs(median(s.cold))} median`, notes: `${s.cold.length} samples, min ${fmtMs(Math.min(...s.cold))}, max ${fmtMs(Math.max(...s.cold))}` });
      if (suffix === '') {
        row({ section: 'latency', name: 'submit → answer, pool already running', result: `${fmtMs(median(s.warm))} median`, notes: `${s.warm.length} samples, p99 ${fmtMs(percentile(warmSorted, 99))}, max ${fmtMs(warmSorted[warmSorted.length - 1] ?? Number.NaN)}` });
      }
    } catch (err) {
      progress(`latency: submit→answer${suffix}: ERROR ${message(err)}`);
      row({ section: 'latency', name: `submit → answer${suffix}`, result: 'error', notes: message(err) });
    }
  }
  footnotes.push(
    `Latency: from the harness's own connection (console/connection.ts, the console's client), one request at a time. status: a fresh coordinator per run with one finished job, ${STATUS_WARMUP} warm-up requests, then ${STATUS_REQS} timed; p50 and p99 are nearest-rank, the row shows the median over ${RUNS} run(s). submit: \`-n 1000 --pool-idle 100\`; ${COLD_SAMPLES} times: wait until \`show-pools\` is empty, time one \`submit ${JOB}\` (a pool is started; the answer carries the job's pid, so it comes once the job runs), then time ${WARM_PER_COLD} more submits that the same pool takes.`,
  );
}

// --- scale -------------------------------------------------------------------------

async function scale(root: string): Promise<void> {
  const t = tempDir(root, 'scale-');
  try {
    const out = join(t.dir, 'out');
    fs.mkdirSync(out, { mode: 0o700 });
    const g0 = now();
    const bytes = writeFinishedJournal(out, SCALE_JOBS, os.userInfo().username);
    progress(`scale: wrote a journal of ${SCALE_JOBS} finished jobs (${(bytes / 2 ** 20).toFixed(1)} MB) in ${fmtMs(now() - g0)}`);
    const c = await startCoord({ dir: t.dir, jobsPool: 50, readyTimeoutMs: 300_000 });
    try {
      await sleep(500);
      const rssStart = procStatusKb(c.pid, 'VmRSS');
      progress(`scale: coordinator ready in ${fmtMs(c.startupMs)}, RSS ${fmtMb(rssStart)}`);
      const timed = async (kind: 'status-all' | 'show-finished'): Promise<{ times: number[]; firstItem: number[]; coordCpu: number[]; ownCpu: number[] }> => {
        const times: number[] = [];
        const firstItem: number[] = [];
        const coordCpu: number[] = [];
        const ownCpu: number[] = [];
        for (let r = 0; r < RUNS; r += 1) {
          let count = 0;
          let first = Number.NaN;
          const cpu0 = procCpuMs(c.pid);
          const own0 = process.cpuUsage();
          const t0 = now();
          const onItem = (): void => {
            if (count === 0) first = now() - t0;
            count += 1;
          };
          const last = await ask(c.conn, kind === 'status-all' ? { kind, sinceSec: null } : { kind }, 120_000, onItem);
          times.push(now() - t0);
          const own = process.cpuUsage(own0);
          ownCpu.push((own.user + own.system) / 1000);
          coordCpu.push(procCpuMs(c.pid) - cpu0);
          firstItem.push(first);
          if (last.kind !== 'end' || count !== SCALE_JOBS) throw new Error(`${kind} gave ${count} items (${last.kind}), not ${SCALE_JOBS}`);
        }
        progress(`scale: ${kind} of ${SCALE_JOBS} jobs: ${times.map(fmtMs).join(', ')} (first item after ${firstItem.map(fmtMs).join(', ')})`);
        return { times, firstItem, coordCpu, ownCpu };
      };
      const statusAll = await timed('status-all');
      const showFinished = await timed('show-finished');
      const rssAfter = procStatusKb(c.pid, 'VmRSS');
      const hwm = procStatusKb(c.pid, 'VmHWM');
      // The one-shot console, its output to a file (a pipe may lose lines: see the notes).
      const oneShot: number[] = [];
      const outFile = join(t.dir, 'status-all.txt');
      const countLines = (text: string): number => text.split('\n').filter((l) => l !== '').length;
      for (let r = 0; r < RUNS; r += 1) {
        const fd = fs.openSync(outFile, 'w');
        const t0 = now();
        const child = spawnTracked(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], { stdio: ['ignore', fd, 'inherit'] });
        fs.closeSync(fd);
        const ex = await exitWithin(child, 120_000, 'jms_console status-all');
        oneShot.push(now() - t0);
        const lines = countLines(fs.readFileSync(outFile, 'utf8'));
        if (ex.code !== 0 || lines !== SCALE_JOBS) throw new Error(`jms_console status-all exited ${ex.code ?? ex.signal} with ${lines} lines`);
      }
      const piped = await run(process.execPath, [CONSOLE_JS, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], { timeoutMs: 120_000 });
      const pipedLines = countLines(piped.stdout);
      progress(`scale: jms_console status-all (one-shot, to a file): ${oneShot.map(fmtMs).join(', ')}; to a pipe: ${pipedLines} lines`);
      const k = SCALE_JOBS.toLocaleString('en-US');
      const mb = (kb: number | null): number => (kb ?? Number.POSITIVE_INFINITY) / 1024;
      row({ section: 'scale', name: `coordinator start-up with ${k} finished jobs on record`, result: fmtMs(c.startupMs), notes: `spawn to first accepted console; replays a ${(bytes / 2 ** 20).toFixed(1)} MB journal of ${4 * SCALE_JOBS} records` });
      row({ section: 'scale', name: `coordinator RSS, ${k} finished jobs, after start-up`, result: fmtMb(rssStart), target: '≤ 150 MB', verdict: verdict(mb(rssStart) <= 150), notes: 'VmRSS 0.5 s after it accepted the first console' });
      row({ section: 'scale', name: `coordinator RSS, ${k} finished jobs, after the queries below`, result: fmtMb(rssAfter), target: '≤ 150 MB', verdict: verdict(mb(rssAfter) <= 150), notes: `peak (VmHWM) ${fmtMb(hwm)}` });
      const batchNotes = (b: { times: number[]; firstItem: number[]; coordCpu: number[]; ownCpu: number[] }): string =>
        `runs: ${b.times.map(fmtMs).join(', ')}; medians: first item after ${fmtMs(median(b.firstItem))}, CPU used by the coordinator ${fmtMs(median(b.coordCpu))} and by the harness's client (decoding the frames) ${fmtMs(median(b.ownCpu))}`;
      row({ section: 'scale', name: `status-all, ${k} jobs (request to end frame)`, result: fmtMs(median(statusAll.times)), target: '≤ 300 ms', verdict: verdict(median(statusAll.times) <= 300), notes: batchNotes(statusAll) });
      row({ section: 'scale', name: `show-finished, ${k} jobs (request to end frame)`, result: fmtMs(median(showFinished.times)), notes: batchNotes(showFinished) });
      const pipeNote = pipedLines === SCALE_JOBS
        ? `to a pipe read by the harness: all ${k} lines arrived`
        : `**to a pipe read by the harness only ${pipedLines.toLocaleString('en-US')} of ${k} lines arrived** (exit ${piped.code ?? piped.signal}): the console exits before its stdout has drained`;
      row({ section: 'scale', name: `\`jms_console status-all\` one-shot, ${k} jobs, output to a file`, result: fmtMs(median(oneShot)), notes: `whole process: Node start, handshake, ${k} lines rendered; runs: ${oneShot.map(fmtMs).join(', ')}; ${pipeNote}` });
    } finally {
      await stopCoord(c);
    }
  } catch (err) {
    progress(`scale: ERROR ${message(err)}`);
    row({ section: 'scale', name: `${SCALE_JOBS} finished jobs on record`, result: 'error', notes: message(err) });
  } finally {
    t.remove();
  }
  await poolRss(root);
  footnotes.push(
    `Scale: the harness writes \`<path>/.jms/journal\` with ${SCALE_JOBS} finished jobs (new, dispatched, started, exited 0: the records a real run leaves; pids that cannot exist, directories that do not) and starts a coordinator on it. Request times are from sending the request to receiving the \`end\` frame on the harness's connection, every item decoded; the median of ${RUNS}. RSS and PSS are read from /proc (VmRSS, smaps_rollup); MB = 2^20 bytes.`,
  );
}

async function poolRss(root: string): Promise<void> {
  const t = tempDir(root, 'pools-');
  try {
    // -n 1: each `sleep 30` gets its own pool, so three live pools to average over.
    const c = await startCoord({ dir: t.dir, jobsPool: 1 });
    try {
      const idleCoord = procStatusKb(c.pid, 'VmRSS');
      for (let i = 0; i < 3; i += 1) {
        const r = await ask(c.conn, { kind: 'submit', command: 'sleep 30' });
        if (r.kind !== 'submitted') throw new Error(`submit answered ${JSON.stringify(r)}`);
      }
      await sleep(500);
      const pools = (await batch(c.conn, { kind: 'show-pools' })).pools;
      if (pools.length === 0) throw new Error('show-pools lists no pool');
      const rss = pools.map((p) => procStatusKb(p.pid, 'VmRSS') ?? Number.NaN);
      const pss = pools.map((p) => pssKb(p.pid) ?? Number.NaN);
      const withPools = procStatusKb(c.pid, 'VmRSS');
      progress(`scale: pool RSS ${rss.map((k) => fmtMb(k)).join(', ')}; PSS ${pss.map((k) => fmtMb(k)).join(', ')}`);
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      row({ section: 'scale', name: 'RSS per live pool (one running job each)', result: fmtMb(mean(rss)), notes: `mean of ${pools.length} pools; PSS ${fmtMb(mean(pss))} (shared pages split); coordinator RSS ${fmtMb(idleCoord)} idle, ${fmtMb(withPools)} with them` });
    } finally {
      await stopCoord(c);
    }
  } catch (err) {
    progress(`scale: pool RSS: ERROR ${message(err)}`);
    row({ section: 'scale', name: 'RSS per live pool', result: 'error', notes: message(err) });
  } finally {
    t.remove();
  }
}

// --- main --------------------------------------------------------------------------

function printTable(header: string[]): void {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const out: string[] = ['# JMS benchmark', '', ...header, ''];
  out.push('| section | measurement | result | vs Node baseline | target | verdict | notes |');
  out.push('|---|---|---|---|---|---|---|');
  const order = ['throughput', 'cost of safety', 'latency', 'scale', 'environment'];
  const sorted = [...rows].sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  for (const r of sorted) out.push(`| ${[r.section, r.name, r.result, r.ratio, r.target, r.verdict, r.notes].map(cell).join(' | ')} |`);
  out.push('');
  footnotes.forEach((f, i) => out.push(`${i + 1}. ${f}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

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
    if (rows.length > 0) printTable([...header, `- INTERRUPTED by ${sig}: only the rows finished so far`]);
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
