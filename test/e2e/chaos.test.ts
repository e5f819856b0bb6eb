// Chaos: several consoles submit a mix of quick, sleeping, failing and printing jobs
// while the coordinator is SIGKILLed at random moments and restarted on the same path.
// Each job appends its unique tag to a side file. At the end every acknowledged job
// is on record with its expected exit code, no tag appears twice (nothing ran twice),
// no JobID has two directories, and no pool or job is left.
//
// Seeded: JMS_CHAOS_SEED=<n> replays a run (the seed is printed); JMS_CHAOS_ROUNDS=<n>
// sets the number of kills (default 6, about a minute); JMS_CHAOS_CONSOLES, the consoles.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { seeded } from '../helpers/seeded.js';
import { CONSOLE, run, type RunResult } from '../helpers/coord.js';
import { ledgers } from '../helpers/ledgers.js';
import { processesUnder } from '../helpers/proc.js';
import { crash, launch, ok, shutdown, site, type Site } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

const SEED = Number(process.env['JMS_CHAOS_SEED'] ?? Date.now() % 1_000_000);
const ROUNDS = Number(process.env['JMS_CHAOS_ROUNDS'] ?? 6);
const CONSOLES = Number(process.env['JMS_CHAOS_CONSOLES'] ?? 4);
const PER_ROUND = 16;

t.setTimeout(Math.max(120_000, ROUNDS * 30_000));


interface Planned {
  tag: string;
  command: string;
  code: number;
}

function plan(rnd: () => number, s: Site, tag: string): Planned {
  const code = rnd() < 0.3 ? 1 + Math.floor(rnd() * 9) : 0;
  const side = join(s.dir, 'side');
  const kinds = [
    'true',
    `sleep 0.${1 + Math.floor(rnd() * 8)}`,
    'seq 1 2000',
    `sleep 1.${Math.floor(rnd() * 5)}`,
  ];
  const body = kinds[Math.floor(rnd() * kinds.length)] ?? 'true';
  return { tag, code, command: `echo ${tag} >> ${side}; ${body}; exit ${code}` };
}

/** Lines in the journal (whole records written so far). */
function records(journal: string): number {
  try {
    let n = 0;
    for (const byte of fs.readFileSync(journal)) if (byte === 0x0a) n += 1;
    return n;
  } catch {
    return 0;
  }
}

/** The acknowledgements a piped console printed, in the order of its lines. */
function acks(r: RunResult): number[] {
  const out: number[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^JobID: (\d+), (PID: \d+|Queued \(position \d+\))$/.exec(line);
    if (m !== null) out.push(Number(m[1]));
  }
  return out;
}

t.test(`chaos: ${ROUNDS} coordinator kills under ${CONSOLES} consoles (seed ${SEED})`, async (t) => {
  t.comment(`seed ${SEED}: replay with JMS_CHAOS_SEED=${SEED}`);
  const rnd = seeded(SEED);
  const s = site(t, ['-n', '3', '--max-pools', '4', '--grace', '500']);
  const expected = new Map<number, Planned>();
  let sent = 0;
  let coord = await launch(t, s);
  for (let round = 0; round < ROUNDS; round++) {
    const batches = Array.from({ length: CONSOLES }, (_, c) => Array.from({ length: PER_ROUND }, (_, i) => plan(rnd, s, `r${round}c${c}j${i}`)));
    sent += CONSOLES * PER_ROUND;
    // Consoles start at random moments, so some are mid-stream when the coordinator dies.
    const consoles = batches.map((jobs) => new Promise<void>((resolve) => setTimeout(resolve, Math.floor(rnd() * 800)))
      .then(() => run(process.execPath, [CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut], {
        cwd: s.dir, input: jobs.map((j) => `submit ${j.command}\n`).join(''), timeoutMs: 60_000,
      })));
    let consolesDone = false;
    const all = Promise.all(consoles).finally(() => (consolesDone = true));
    // The kill lands after a random number of this round's records reached the journal:
    // anywhere from the first submits to the last ends, whatever the machine's speed.
    const journal = join(s.out, '.jms', 'journal');
    const base = records(journal);
    const killAfter = 1 + Math.floor(rnd() * CONSOLES * PER_ROUND * 3);
    await waitFor(`${killAfter} more journal records`, () => records(journal) >= base + killAfter || consolesDone, 60_000, 5);
    await crash(coord);
    const results = await all;
    results.forEach((r, c) => acks(r).forEach((id, i) => {
      const job = batches[c]?.[i];
      if (job !== undefined) expected.set(id, job);
    }));
    t.comment(`round ${round}: killed after ${killAfter} records; ${expected.size} acknowledged so far`);
    coord = await launch(t, s);
  }

  // Every job on record ends: polled, with a deadline that grows with the work left.
  const unfinished = async (): Promise<string[]> => (await ok(s, 'status-all')).split('\n').filter((l) => l !== '' && !l.endsWith('Finished'));
  const left = await unfinished();
  const settled = await waitFor(`the ${left.length} jobs still under way to end`, async () => (await unfinished()).length === 0, 30_000 + left.length * 200, 500)
    .then(() => true, () => false);
  if (!settled) {
    const stuck = (await unfinished()).slice(0, 5);
    for (const line of stuck) {
      const id = /JobID (\d+)/.exec(line)?.[1] ?? '0';
      t.comment(`still under way: ${await ok(s, `--json info ${id}`)}`);
    }
    t.comment(`coordinator log (tail):\n${coord.log().split('\n').slice(-40).join('\n')}`);
  }
  t.ok(settled, 'every job on record ends');
  const docs = new Map<number, Record<string, unknown>>();
  const finished = await ok(s, '--json show-finished --long');
  for (const line of finished.split('\n').filter((l) => l !== '')) {
    const doc: unknown = JSON.parse(line);
    if (typeof doc === 'object' && doc !== null && 'jobId' in doc && typeof doc.jobId === 'number') docs.set(doc.jobId, doc as Record<string, unknown>);
  }

  let lost = 0;
  let wrong = 0;
  for (const [id, job] of expected) {
    const doc = docs.get(id);
    const outcome = doc?.['outcome'];
    if (outcome === 'lost') lost += 1;
    if (doc === undefined || doc['exitCode'] !== job.code) {
      wrong += 1;
      t.fail(`JobID ${id} (${job.tag}) should have ended with exit code ${job.code}: ${JSON.stringify(doc ?? null)}`);
    }
  }
  const lines = fs.readFileSync(join(s.dir, 'side'), 'utf8').split('\n').filter((l) => l !== '');
  const twice = lines.filter((tag, i) => lines.indexOf(tag) !== i);
  const names = fs.readdirSync(s.out).map((n) => /^jms_.+_(\d+)_\d+_\d{8}_\d{6}$/.exec(n)?.[1]).filter((x) => x !== undefined);
  const twoDirs = names.filter((id, i) => names.indexOf(id) !== i);
  t.comment(`figures: ${sent} sent, ${expected.size} acknowledged, ${docs.size} on record, ${lost} acknowledged lost, ${wrong} wrong, ${twice.length} ran twice, ${twoDirs.length} with two directories`);
  t.equal(lost, 0, 'no acknowledged job is lost');
  t.equal(wrong, 0, 'every acknowledged job has its expected exit code');
  t.same(twice, [], 'no job ran twice');
  t.same(twoDirs, [], 'no JobID has two directories');
  t.ok([...expected.values()].every((j) => lines.includes(j.tag)), 'every acknowledged job ran');

  await shutdown(t, s, coord, /^Served \d+ jobs, 0 were still in progress$/);
  await waitFor('no process of the site to be left', () => processesUnder(s.dir).length === 0, 5000).catch(() => undefined);
  t.same(processesUnder(s.dir), [], 'no pool or job is left');
  t.same([...ledgers(s.out).keys()], [], 'no ledger is left');
});
