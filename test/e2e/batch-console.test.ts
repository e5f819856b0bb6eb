// The console's batch commands against a real coordinator on this machine, one-shot as a
// script runs them: submit-batch of a real file (a build, a staged file, a 2 × 2 matrix, a
// save folder), show-batches, status-batch, pull --include/--exclude/--dry into the console's
// directory, export-log, kill-batch; a bad batch file refused line by line with nothing sent;
// and submit's --after, --retries, --priority, --begin and --on-exit as status and info show them.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CONSOLE, run, startCoord, type Coord } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

const USER = os.userInfo().username;

const SWEEP = `name: sw
defaults: {retries: 1}
build: "echo built > tool"
save: results
jobs:
  - name: mesh
    command: "mkdir -p results && cat input.msh $JMS_BUILD_DIR/tool > results/out.msh"
    files: [{path: case/base.msh, as: input.msh}]
  - name: solve
    command: "mkdir -p results/tmp && echo {re} {grid} > results/r.csv && touch results/tmp/x.csv && test {re} != 2"
    after: [mesh]
    matrix: {re: [1, 2], grid: [coarse, fine]}
`;

/** One-shot with its words as given (a quoted value stays one argument, as a shell passes it). */
function oneShot(c: Coord, args: readonly string[]): ReturnType<typeof run> {
  return run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, ...args], { cwd: c.dir });
}

async function batchDone(c: Coord, name: string): Promise<string> {
  return waitFor(`batch ${name} to be done`, async () => {
    const r = await c.ok(`status-batch ${name}`);
    return r.includes('State: done') ? r : undefined;
  }, 30_000, 100);
}

t.test('submit-batch, show-batches, status-batch, pull, export-log from the console', async (t) => {
  const c = await startCoord(t);
  fs.mkdirSync(join(c.dir, 'lab', 'case'), { recursive: true });
  fs.writeFileSync(join(c.dir, 'lab', 'sweep.yaml'), SWEEP);
  fs.writeFileSync(join(c.dir, 'lab', 'case', 'base.msh'), 'mesh\n');
  t.equal(await c.ok('submit-batch lab/sweep.yaml'), `Batch ${USER}/sw: 6 jobs, JobID 1-6 (1 of them a build)`, "the namespace is the user's");
  const status = await batchDone(c, 'sw');
  t.match(status, new RegExp(`^Batch: ${USER}/sw\nState: done\n`), 'status-batch heads with the batch');
  t.match(status, /\nJobs: 5 \(0 queued, 0 active, 0 suspended, 5 finished\)\nOutcomes: 3 succeeded, 2 failed\nBuilds: local succeeded \(JobID 1\)\n/);
  t.match(status, /Not succeeded:\n {2}JobID 5 solve\[re=2,grid=coarse\]: failed \(exit code 1\)\n {2}JobID 6 solve\[re=2,grid=fine\]: failed \(exit code 1\)\n/);
  t.match(status, new RegExp(`\nArchive: ${c.out}/archive/${USER}/sw$`));
  t.equal(await c.ok('show-batches'), `Batches:\n1. ${USER}/sw done: 5 jobs: 3 succeeded, 2 failed`);

  const dry = await c.ok('pull sw --include \\.csv$ --dry');
  t.match(dry, /\(--dry: nothing was copied\)$/);
  t.notOk(fs.existsSync(join(c.dir, 'sw')), '--dry copies nothing');
  const pulled = await c.ok('pull sw --include \\.csv$ --include ^mesh/results/ --exclude /tmp/');
  t.strictSame(pulled.split('\n'), [
    './sw/mesh/results/out.msh (11 bytes)',
    './sw/solve[re=1,grid=coarse]/results/r.csv (9 bytes)',
    './sw/solve[re=1,grid=fine]/results/r.csv (7 bytes)',
    './sw/solve[re=2,grid=coarse]/results/r.csv (9 bytes)',
    './sw/solve[re=2,grid=fine]/results/r.csv (7 bytes)',
    `Pulled 5 files (43 bytes) of ${USER}/sw into ./sw`,
  ]);
  t.equal(fs.readFileSync(join(c.dir, 'sw', 'mesh', 'results', 'out.msh'), 'utf8'), 'mesh\nbuilt\n', 'the staged file and the build were there');
  t.equal(fs.readFileSync(join(c.dir, 'sw', 'solve[re=2,grid=fine]', 'results', 'r.csv'), 'utf8'), '2 fine\n');
  t.notOk(fs.existsSync(join(c.dir, 'sw', 'solve[re=1,grid=fine]', 'results', 'tmp')), 'excluded files are not pulled');
  const json = await c.ok(`--json pull ${USER}/sw --include stdout_2$ --to elsewhere`);
  t.match(JSON.parse(json) as unknown, { batch: `${USER}/sw`, into: join(c.dir, 'elsewhere'), dry: false, files: [{ path: 'mesh/stdout_2' }] });
  // --to -: a tar stream on standard output, as over ssh (`ssh coordhost jms_console pull … --to - | tar -x`).
  const tarFile = join(c.dir, 'sw.tar');
  const streamed = await run('/bin/sh', ['-c', `"${process.execPath}" "${CONSOLE}" -w "${c.jmsIn}" -r "${c.jmsOut}" pull sw --include '\\.csv$' --exclude /tmp/ --to - > "${tarFile}"`], { cwd: c.dir });
  t.equal(streamed.code, 0, `pull --to - succeeded: ${streamed.stderr}`);
  const listed = await run('tar', ['-t', '-f', tarFile], { cwd: c.dir });
  t.same(listed.stdout.trim().split('\n').sort(), fs.readdirSync(join(c.dir, 'sw')).filter((n) => n.startsWith('solve')).map((n) => `${n}/results/r.csv`).sort(), 'the tar holds exactly the chosen files');
  const unpacked = join(c.dir, 'unpacked');
  fs.mkdirSync(unpacked);
  await run('tar', ['-x', '-f', tarFile, '-C', unpacked], { cwd: c.dir });
  t.equal(fs.readFileSync(join(unpacked, 'solve[re=2,grid=fine]', 'results', 'r.csv'), 'utf8'), '2 fine\n', 'and unpacks to the same bytes');

  const log = (await c.ok('export-log sw --format tsv')).split('\n');
  t.equal(log[0], 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand');
  const rows = log.slice(1).map((l) => l.split('\t'));
  t.strictSame(rows.map((r) => [r[0], r[1], r[6]]), [['1', 'local', '0'], ['2', 'local', '0'], ['3', 'local', '0'], ['4', 'local', '0'],
    ['5', 'local', '1'], ['5', 'local', '1'], ['6', 'local', '1'], ['6', 'local', '1']], 'a row per run: the retried jobs twice');
  t.ok(rows.every((r) => r.length === 9 && /^ *\d+\.\d{3}$/.test(r[2] ?? '') && /^ *\d+\.\d{3}$/.test(r[3] ?? '')), 'times with three decimals');
  t.match(await c.ok('show-finished --long'), /\n5\. JobID 5 failed \(exit code 1\); batch \S+\/sw job solve\[re=2,grid=coarse\]; 2 attempts \(earlier: failed\)/);
  t.match(await c.ok('info 5'), /\nRetries: 1 \(1 used\)\nAttempt 1: failed \(exit code 1\) on local, directory \//);
});

t.test('a bad batch file: every mistake with its line, exit status 1, nothing submitted', async (t) => {
  const c = await startCoord(t);
  fs.writeFileSync(join(c.dir, 'bad.yaml'), 'name: sw 1\njobs:\n  - name: a\n    command: "true"\n    after: [b]\n    files: [nothere.txt]\n');
  const r = await c.cmd('submit-batch bad.yaml');
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  t.ok(lines.length >= 4, `each mistake a line:\n${r.stderr}`);
  t.ok(lines.slice(0, -1).every((l) => /^jms_console: error: bad\.yaml:\d+: \S+: /.test(l)), 'each with the file, line and field');
  t.match(r.stderr, /bad\.yaml:1: name:/);
  t.match(r.stderr, /bad\.yaml:5: jobs\[0\]\.after/);
  t.match(r.stderr, /bad\.yaml:6: jobs\[0\]\.files/);
  t.match(lines.at(-1), /^jms_console: error: bad\.yaml has \d+ mistakes, so nothing was submitted; fix them and submit the file again\.$/);
  t.equal(await c.ok('show-batches'), 'Batches:', 'no batch was made');
  t.notMatch(await c.ok('status-all'), /JobID/, 'and no job');
});

t.test("submit's --after, --retries, --priority, --begin, --on-exit; kill-batch", async (t) => {
  const c = await startCoord(t);
  const hookOut = join(c.dir, 'hook.txt');
  const held = await oneShot(c, ['submit', '--begin', '+2h', '--priority', '-3', '--on-exit', `'env | grep ^JMS_ | sort > ${hookOut}'`, 'echo', 'late']);
  t.equal(held.stdout, 'JobID: 1, Queued (position 1)\n', held.stderr);
  t.match(await c.ok('status 1'), /^JobID 1 Status: Queued \(held until .* \(--begin\)\)$/);
  t.equal(await c.ok('submit --after 1 --retries 1 exit 3'), 'JobID: 2, Queued (position 1)', 'priority 0 goes before -3');
  t.equal(await c.ok('status 2'), 'JobID 2 Status: Queued (waiting for JobID 1 to succeed)');
  const info = await c.ok('info 1');
  t.match(info, /\nPriority: -3\nBegin: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  c.advance(2 * 3600_000 + 1000);
  await waitFor('JobID 2 to have run twice', async () => ((await c.ok('info 2')).includes('Status: Finished') ? true : undefined), 20_000, 100);
  t.match(await c.ok('info 2'), /\nAfter: JobID 1 \(must succeed first\)\nRetries: 1 \(1 used\)\nAttempt 1: failed \(exit code 3\) on local/);
  const hook = await waitFor('the hook to have run', () => (fs.existsSync(hookOut) && fs.readFileSync(hookOut, 'utf8').includes('JMS_OUTCOME') ? fs.readFileSync(hookOut, 'utf8') : undefined));
  t.match(hook, /^JMS_JOB_ID=1$/m);
  t.match(hook, /^JMS_OUTCOME=succeeded$/m);
  const shown = await waitFor('info to show the hook done', async () => {
    const i = await c.ok('info 1');
    return i.includes(': done') ? i : undefined;
  });
  t.match(shown, /\nExit hook \(any\): env \| grep \^JMS_ \| sort > \S+hook\.txt: done \(exit code 0\)/);
  const bad = await c.cmd('submit --retries 101 true');
  t.equal(bad.code, 1);
  t.equal(bad.stderr, "jms_console: error: '101' is not a number of retries; give --retries a whole number from 0 to 100, e.g. 'submit --retries 2 make'.\n");

  fs.writeFileSync(join(c.dir, 'k.yaml'), 'name: k\njobs:\n  - name: a\n    command: "sleep 60"\n  - name: b\n    command: "true"\n    after: [a]\n');
  t.equal(await c.ok('submit-batch k.yaml'), `Batch ${USER}/k: 2 jobs, JobID 3-4`);
  await waitFor('JobID 3 to run', async () => ((await c.ok('status 3')).includes('Active') ? true : undefined));
  // Its queued jobs leave the queue before its running ones are killed: b is cancelled, never dependency-failed.
  const killed = await c.ok('kill-batch k');
  t.equal(killed, `Killed batch ${USER}/k: removed 1 queued job from the queue, sent the kill signal to 1 running job`);
  const st = await batchDone(c, 'k');
  t.match(st, /Outcomes: 1 killed, 1 cancelled/);
  const none = await c.cmd('status-batch nope');
  t.equal(none.code, 1);
  t.match(none.stderr, /^jms_console: error: there is no batch 'nope'/);
});
