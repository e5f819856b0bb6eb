// The start-up section: a one-shot `jms_console status 1` against `node -e 0`, both as a
// user runs them (the installed command, package.json's "bin", run through its #! line;
// NODE_EXTRA_CA_CERTS unset, as users have it, and as this machine has it), and 1,000
// submits from a script: one jms_console run per job, against one run reading them all.

import fs from 'node:fs';
import { join } from 'node:path';
import { reapedCpuMs } from './cpu.js';
import { ask, exitWithin, median, message, now, progress, ROOT, spawnTracked, startCoord, stopCoord, tempDir, type Coord } from './lib.js';
import { fmtMs, footnote, row, verdict } from './report.js';
import { JOB, NEC, RUNS } from './settings.js';

/** One-shot samples per round, each command in turn. */
const SAMPLES = 20;
const SUBMITS = 1000;

/** The command `make install` and npm put on PATH as jms_console. */
function installedConsole(): string {
  const pkg: unknown = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')) as unknown;
  const bin = typeof pkg === 'object' && pkg !== null && 'bin' in pkg && typeof pkg.bin === 'object' && pkg.bin !== null && 'jms_console' in pkg.bin ? pkg.bin.jms_console : null;
  if (typeof bin !== 'string') throw new Error('package.json has no bin.jms_console');
  return join(ROOT, bin);
}

interface Timed {
  wallMs: number;
  cpuMs: number;
}

/** Runs argv to its end (stdout to /dev/null), timed: wall from spawn to reaped, CPU of it and its children. */
async function timed(argv: readonly string[], env: NodeJS.ProcessEnv, stdin: 'ignore' | number = 'ignore'): Promise<Timed> {
  const [cmd = '', ...args] = argv;
  const cpu0 = reapedCpuMs();
  const t0 = now();
  const child = spawnTracked(cmd, args, { stdio: [stdin, 'ignore', 'pipe'], env });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const ex = await exitWithin(child, 600_000, argv.join(' ').slice(0, 60));
  const wallMs = now() - t0;
  if (ex.code !== 0) throw new Error(`${argv.join(' ').slice(0, 80)} exited ${ex.code ?? ex.signal}: ${stderr.trim().split('\n').pop() ?? ''}`);
  return { wallMs, cpuMs: reapedCpuMs() - cpu0 };
}

function envOf(nec: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!nec) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Median wall and CPU per run of each command over SAMPLES interleaved runs. */
async function oneShots(cmds: ReadonlyArray<readonly string[]>, env: NodeJS.ProcessEnv): Promise<Timed[]> {
  const all: Timed[][] = cmds.map(() => []);
  for (let i = 0; i < SAMPLES; i += 1) {
    for (const [k, argv] of cmds.entries()) all[k]?.push(await timed(argv, env));
  }
  // CPU comes in clock ticks: the mean over the samples, not a median of 10 ms steps.
  return all.map((xs) => ({ wallMs: median(xs.map((x) => x.wallMs)), cpuMs: xs.reduce((a, x) => a + x.cpuMs, 0) / xs.length }));
}

/** 1,000 submits by a bash script: one jms_console per job, or one jms_console reading them all on stdin. */
async function submits(c: Coord, consoleBin: string, env: NodeJS.ProcessEnv, form: 'one-shot' | 'stdin'): Promise<Timed> {
  const fifo = `-w ${c.jmsIn} -r ${c.jmsOut}`;
  const script = form === 'one-shot'
    ? `for ((i = 0; i < ${SUBMITS}; i++)); do "$0" ${fifo} submit ${JOB} || exit 1; done`
    : `for ((i = 0; i < ${SUBMITS}; i++)); do echo "submit ${JOB}"; done | "$0" ${fifo}`;
  return timed(['bash', '-c', script, consoleBin], env);
}

export async function startup(root: string): Promise<void> {
  const consoleBin = installedConsole();
  const t = tempDir(root, 'startup-');
  try {
    const c = await startCoord({ dir: t.dir, jobsPool: 50 });
    try {
      const first = await ask(c.conn, { kind: 'submit', command: JOB });
      if (first.kind !== 'submitted') throw new Error(`submit answered ${JSON.stringify(first)}`);
      const status = [consoleBin, '-w', c.jmsIn, '-r', c.jmsOut, 'status', String(first.jobId)];
      const node0 = [process.execPath, '-e', '0'];
      const rounds: { user: Timed[]; here: Timed[]; oneShot: Timed; stdin: Timed }[] = [];
      for (let r = 1; r <= RUNS; r += 1) {
        const user = await oneShots([node0, status], envOf(false));
        const here = NEC === undefined ? user : await oneShots([node0, status], envOf(true));
        const oneShot = await submits(c, consoleBin, envOf(false), 'one-shot');
        const stdin = await submits(c, consoleBin, envOf(false), 'stdin');
        rounds.push({ user, here, oneShot, stdin });
        progress(`start-up run ${r}/${RUNS}: node -e 0 ${fmtMs(user[0]?.wallMs ?? NaN)}, jms_console status ${fmtMs(user[1]?.wallMs ?? NaN)} (NODE_EXTRA_CA_CERTS unset); ${SUBMITS} submits: one-shot ${fmtMs(oneShot.wallMs)}, one process ${fmtMs(stdin.wallMs)}`);
      }
      report(rounds, consoleBin);
    } finally {
      await stopCoord(c);
    }
  } catch (err) {
    progress(`start-up: ERROR ${message(err)}`);
    row({ section: 'start-up', name: 'one-shot commands', result: 'error', notes: message(err) });
  } finally {
    t.remove();
  }
}

function report(rounds: ReadonlyArray<{ user: Timed[]; here: Timed[]; oneShot: Timed; stdin: Timed }>, consoleBin: string): void {
  const med = (f: (r: (typeof rounds)[number]) => number): number => median(rounds.map(f));
  const runs = (f: (r: (typeof rounds)[number]) => number): string => rounds.map((r) => fmtMs(f(r))).join(', ');
  const nodeWall = med((r) => r.user[0]?.wallMs ?? NaN);
  const consoleWall = med((r) => r.user[1]?.wallMs ?? NaN);
  const cpuNote = (k: number, pick: 'user' | 'here'): string => `CPU ${fmtMs(med((r) => r[pick][k]?.cpuMs ?? NaN))}`;
  row({ section: 'start-up', name: '`node -e 0`, NODE_EXTRA_CA_CERTS unset (as users run it)', result: fmtMs(nodeWall), notes: `wall, median of ${SAMPLES} per round; rounds: ${runs((r) => r.user[0]?.wallMs ?? NaN)}; ${cpuNote(0, 'user')}` });
  row({
    section: 'start-up', name: '`jms_console status 1` one-shot, NODE_EXTRA_CA_CERTS unset (as users run it)', result: fmtMs(consoleWall),
    target: '≤ 1.5× `node -e 0`', verdict: `${verdict(consoleWall <= 1.5 * nodeWall)} (${(consoleWall / nodeWall).toFixed(2)}×)`,
    notes: `${consoleBin.replace(`${ROOT}/`, '')} run through its #! line, as installed; rounds: ${runs((r) => r.user[1]?.wallMs ?? NaN)}; ${cpuNote(1, 'user')}`,
  });
  if (NEC !== undefined) {
    const n = med((r) => r.here[0]?.wallMs ?? NaN);
    const s = med((r) => r.here[1]?.wallMs ?? NaN);
    row({ section: 'environment', name: '`node -e 0` / `jms_console status 1`, NODE_EXTRA_CA_CERTS set (this machine)', result: `${fmtMs(n)} / ${fmtMs(s)}`, notes: `${(s / n).toFixed(2)}×; ${cpuNote(0, 'here')} / ${cpuNote(1, 'here')}` });
  }
  const one = med((r) => r.oneShot.wallMs);
  const many = med((r) => r.stdin.wallMs);
  row({ section: 'start-up', name: `${SUBMITS} submits from a script, one \`jms_console submit\` each`, result: fmtMs(one), notes: `${fmtMs(one / SUBMITS)} per submit; rounds: ${runs((r) => r.oneShot.wallMs)}; CPU ${fmtMs(med((r) => r.oneShot.cpuMs))}` });
  row({
    section: 'start-up', name: `${SUBMITS} submits from a script, one \`jms_console\` reading them on stdin`, result: fmtMs(many),
    target: '≥ 5× faster than one each', verdict: `${verdict(one / many >= 5)} (${(one / many).toFixed(1)}×)`,
    notes: `\`… | jms_console\`: ${fmtMs(many / SUBMITS)} per submit; rounds: ${runs((r) => r.stdin.wallMs)}; CPU ${fmtMs(med((r) => r.stdin.cpuMs))}`,
  });
  footnote(
    `Start-up: a coordinator at -n 50 with one finished job; per round, ${SAMPLES} runs of \`node -e 0\` and of the installed \`jms_console -w … -r … status 1\` in turn (spawned by the harness, stdout to /dev/null; wall from spawn to exit, CPU = the reaped process's user + system, the mean of the runs), the median of each, then the same with NODE_EXTRA_CA_CERTS set; then ${SUBMITS} submits of \`${JOB}\` by bash: \`for …; do jms_console -w … -r … submit ${JOB}; done\` and \`for …; do echo "submit ${JOB}"; done | jms_console -w … -r …\`, each timed to the script's end (every submit answered, so every job started); NODE_EXTRA_CA_CERTS unset. Rows show the median over ${RUNS} rounds.`,
  );
}
