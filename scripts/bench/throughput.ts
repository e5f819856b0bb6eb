// The throughput section: N jobs through JMS and each comparator, runs interleaved, one
// row per configuration, and the CPU per job of each process of the JMS runs (and tsp's).

import fs from 'node:fs';
import { join } from 'node:path';
import { runNodeBaseline, runNodePerPool, runXargs } from './comparators.js';
import { runJms, type Sample } from './jms-run.js';
import { COORD_JS, median, message, progress, run } from './lib.js';
import { cpuRows } from './cpu-rows.js';
import { fmtRate, fmtRatio, footnote, row, verdict } from './report.js';
import { JOB, JOB_ARGV, N, NEC, POLL_MS, ROWS, RUNS } from './settings.js';
import { benchTmpfs } from './tmpfs.js';
import { findTsp, runTsp } from './tsp.js';

async function hasNoJournalFlag(): Promise<boolean> {
  const help = await run(process.execPath, [COORD_JS, '--help']);
  return help.stdout.includes('--no-journal');
}

export interface Config {
  key: string;
  section: string;
  name: string;
  p: number;
  kind: 'jms' | 'node' | 'xargs' | 'tsp';
  run: () => Promise<Sample>;
}

/** The targets of issue 13 on JMS rows: the row's key, the tsp row it is compared with, the ratio it must reach. */
const TSP_TARGETS: ReadonlyMap<string, { tsp: string; ratio: number }> = new Map([
  ['jms50', { tsp: 'tsp50', ratio: 1.0 }],
  ['jms50-tmpfs', { tsp: 'tsp50-tmpfs', ratio: 1.1 }],
  ['jms5', { tsp: 'tsp5', ratio: 0.35 }],
]);

function configs(root: string, files: { ops: string; lines: string }, tsp: { path: string } | { skip: string }, tmp: { dir: string } | { skip: string }, noJournal: boolean): Config[] {
  const envNoNec: NodeJS.ProcessEnv = { ...process.env };
  delete envNoNec.NODE_EXTRA_CA_CERTS;
  const jms = (parent: string, p: number, extra: readonly string[], env: NodeJS.ProcessEnv) => () => runJms({ parent, opsFile: files.ops, p, extra, env });
  const out: Config[] = [];
  for (const p of [50, 5]) {
    out.push({ key: `node${p}`, section: 'throughput', kind: 'node', p, name: `-n ${p}: Node baseline (spawn, ≤ ${p} at once)`, run: () => runNodeBaseline(p) });
    out.push({ key: `xargs${p}`, section: 'throughput', kind: 'xargs', p, name: `-n ${p}: xargs -P ${p}`, run: () => runXargs(files.lines, p) });
    out.push({
      key: `floor${p}`, section: 'throughput', kind: 'node', p, name: `-n ${p}: floor of the design (a fresh Node process per ${p} jobs, only spawning)`,
      run: () => runNodePerPool(p, envNoNec),
    });
    if ('path' in tsp) out.push({ key: `tsp${p}`, section: 'throughput', kind: 'tsp', p, name: `-n ${p}: task-spooler (tsp -S ${p})`, run: () => runTsp(root, tsp.path, p) });
    out.push({ key: `jms${p}`, section: 'throughput', kind: 'jms', p, name: `-n ${p}: JMS (jms_console -o)`, run: jms(root, p, [], process.env) });
    if (p !== 50) continue;
    if ('dir' in tmp) {
      if ('path' in tsp) out.push({ key: 'tsp50-tmpfs', section: 'tmpfs', kind: 'tsp', p, name: '-n 50: task-spooler, TMPDIR on tmpfs', run: () => runTsp(tmp.dir, tsp.path, p) });
      out.push({ key: 'jms50-tmpfs', section: 'tmpfs', kind: 'jms', p, name: '-n 50: JMS, output path on tmpfs', run: jms(tmp.dir, p, [], process.env) });
    }
    out.push({
      key: 'jms50-cp', section: 'spawn', kind: 'jms', p, name: '-n 50: JMS, jobs started by child_process.spawn (JMS_SPAWN=child_process)',
      run: jms(root, p, [], { ...process.env, JMS_SPAWN: 'child_process' }),
    });
    if (noJournal) out.push({ key: 'jms50-nojournal', section: 'cost of safety', kind: 'jms', p, name: '-n 50: JMS, durable records off (--no-journal)', run: jms(root, p, ['--no-journal'], process.env) });
    if (NEC !== undefined) out.push({ key: 'jms50-nonec', section: 'environment', kind: 'jms', p, name: '-n 50: JMS with NODE_EXTRA_CA_CERTS unset', run: jms(root, p, [], envNoNec) });
  }
  return ROWS === null ? out : out.filter((c) => ROWS?.has(c.key));
}

export async function throughput(root: string): Promise<void> {
  const files = { ops: join(root, 'ops.txt'), lines: join(root, 'lines.txt') };
  fs.writeFileSync(files.ops, `submit ${JOB}\n`.repeat(N));
  fs.writeFileSync(files.lines, 'x\n'.repeat(N));
  const tsp = await findTsp();
  const tmp = benchTmpfs(root);
  const noJournal = await hasNoJournalFlag();
  const all = configs(root, files, tsp, tmp, noJournal);

  const samples = new Map<string, Sample[]>(all.map((c) => [c.key, []]));
  const errors = new Map<string, string[]>(all.map((c) => [c.key, []]));
  for (let r = 1; r <= RUNS; r += 1) {
    for (const c of all) {
      try {
        const s = await c.run();
        samples.get(c.key)?.push(s);
        const extra = s.submitSec === undefined ? '' : ` (console done at ${s.submitSec.toFixed(2)} s, last finish seen ${Math.round(s.tailMs ?? 0)} ms later, ${s.polls ?? 0} poll(s))`;
        const cpu = s.cpu === undefined ? '' : `; CPU/job ms: console ${s.cpu.console.toFixed(3)}, coordinator ${s.cpu.coord.toFixed(3)}, pools ${s.cpu.pools.toFixed(3)}, jobs ${s.cpu.jobs.toFixed(3)}`;
        progress(`throughput run ${r}/${RUNS}: ${c.name}: ${N} jobs in ${s.sec.toFixed(2)} s = ${Math.round(N / s.sec)} jobs/s${extra}${cpu}`);
      } catch (err) {
        errors.get(c.key)?.push(message(err));
        progress(`throughput run ${r}/${RUNS}: ${c.name}: ERROR ${message(err)}`);
      }
    }
  }
  rows(all, samples, errors);
  cpuRows(all.filter((c) => c.kind === 'jms' || c.kind === 'tsp'), samples);
  if ('skip' in tsp) row({ section: 'throughput', name: '-n 50 / -n 5: task-spooler', result: 'skipped', notes: tsp.skip });
  if ('skip' in tmp) row({ section: 'tmpfs', name: '-n 50 on tmpfs', result: 'skipped', notes: tmp.skip });
  if (!noJournal) row({ section: 'cost of safety', name: '-n 50: JMS, durable records off', result: 'n/a', notes: 'this jms_coord has no --no-journal option (see --help)' });
  footnote(
    `Throughput: jobs/s = N / seconds from starting the measured command to the last job's end. JMS: a fresh coordinator per run (already accepting consoles, no pool yet, default --max-pools 16), timed from starting \`jms_console -o ops\` (N × \`submit ${JOB}\`, stdin /dev/null, output to a file and checked for N answers) until the harness's own console connection, polling every ${POLL_MS} ms once the replaying console has exited, sees \`show-active\` empty and N jobs in \`show-finished\`, all exited 0 (so a number can be up to one poll late; nothing polls while the console submits). Node baseline: \`node dist/scripts/bench/baseline.js N P ${JOB_ARGV.join(' ')}\` (child_process.spawn, ≤ P running, stdio ignored). xargs: \`xargs -P P -I{} ${JOB_ARGV.join(' ')}\` fed N lines. tsp: a private server (own TS_SOCKET and TMPDIR in a fresh directory beside JMS's), \`tsp -S P\`, then a bash loop running \`tsp ${JOB_ARGV.join(' ')}\` N times, timed until \`tsp -l\` (polled every ${POLL_MS} ms) lists no queued or running job; tsp keeps each job's output in a file, as JMS keeps a directory per job. The ratio column is each row's jobs/s over the Node baseline's at the same P; a target's ratio is the row's median over the tsp row's median.`,
    'Floor of the design: N/P processes of the Node baseline, each spawning P jobs, as many at once as the machine has cores, started without NODE_EXTRA_CA_CERTS (as pools are); no coordinator, console, journal or job directories. JMS must pay at least this, because a pool is a Node process that takes at most jobs_pool jobs over its life.',
    'JMS\'s own bound on jobs running at once is jobs_pool × --max-pools (50 × 16 at -n 50, 5 × 16 at -n 5); the comparators run at most P = jobs_pool at once. At -n 5 JMS starts a new pool (a Node process) every 5 jobs, N/5 pools per run.',
    `tmpfs rows: the JMS output path (so its job directories and its journal) and tsp's TMPDIR and socket on ${'dir' in tmp ? tmp.how : 'no tmpfs'}; every other row has them under the header's temporary directory, on disk.`,
  );
}

function rows(all: readonly Config[], samples: Map<string, Sample[]>, errors: Map<string, string[]>): void {
  const rate = (key: string): number => median((samples.get(key) ?? []).map((s) => N / s.sec));
  const runsOf = (key: string): string => (samples.get(key) ?? []).map((s) => Math.round(N / s.sec)).join(', ');
  for (const c of all) {
    const mine = rate(c.key);
    const s = samples.get(c.key) ?? [];
    const e = errors.get(c.key) ?? [];
    let notes = `runs: ${runsOf(c.key) || 'none'}${e.length === 0 ? '' : `; ${e.length} failed run(s): ${e[0] ?? ''}`}`;
    let target = '';
    let verdictText = '';
    if (c.kind === 'jms') {
      notes += `; console exited at ${median(s.map((x) => x.submitSec ?? Number.NaN)).toFixed(2)} s, last finish seen ${Math.round(median(s.map((x) => x.tailMs ?? Number.NaN)))} ms after (median)`;
    }
    const goal = TSP_TARGETS.get(c.key);
    if (goal !== undefined) {
      const tspRate = rate(goal.tsp);
      const perRound = s.map((x, i) => {
        const t = samples.get(goal.tsp)?.[i];
        return t === undefined ? 'n/a' : fmtRatio(t.sec / x.sec);
      });
      target = `≥ ${goal.ratio.toFixed(2)}× tsp (${all.find((x) => x.key === goal.tsp)?.name ?? goal.tsp})`;
      verdictText = Number.isFinite(tspRate) ? `${verdict(mine / tspRate >= goal.ratio)} (${fmtRatio(mine / tspRate)})` : 'n/a (no tsp)';
      notes += `; vs tsp by round: ${perRound.join(', ')}`;
    }
    if (c.key === 'jms50-cp') notes += `; the default (posix_spawn) -n 50 row runs at ${fmtRatio(rate('jms50') / mine)} of this rate`;
    if (c.key === 'jms50-nojournal') notes += `; with durable records on (the -n 50 JMS row): ${fmtRatio(rate('jms50') / mine)} of this rate`;
    if (c.key === 'jms50-nonec') notes += `; as-is (with it set) runs at ${fmtRatio(rate('jms50') / mine)} of this rate`;
    row({ section: c.section, name: c.name, result: fmtRate(mine), ratio: fmtRatio(mine / rate(`node${c.p}`)), target, verdict: verdictText, notes });
  }
}
