// Staging a batch job's files, for real: a pool (`node pool/main.js`, started through the
// LocalLauncher and driven frame by frame, no coordinator) copies each `stage` entry into
// the job's directory before its command starts, and the command, run in its job
// directory (`inJobDir`), reads them. A copy that cannot be made, or a name that would
// leave the job directory, is the job's start failure with one line naming the file, and
// leaves no directory behind; the pool answers pings while it copies, and a job still
// staging when the pool is told to end does not start.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LocalLauncher } from '../../coord/pools/local.js';
import { readLedger } from '../../protocol/ledger-files.js';
import { openOwnDir, type OwnDir } from '../../protocol/own-dir.js';
import { drivePool, type DrivenPool } from '../helpers/pool-driver.js';

interface Bed {
  dir: string;
  out: OwnDir;
  ledgers: OwnDir;
  pool: DrivenPool;
}

async function bed(t: Test): Promise<Bed> {
  const dir = t.testdir({ src: { 'base.msh': 'mesh v1\n' }, elsewhere: {} });
  const out = openOwnDir(join(dir, 'out'), { create: true });
  const ledgers = openOwnDir(join(dir, 'out', '.jms', 'pools'), { create: true });
  t.teardown(() => {
    out.close();
    ledgers.close();
  });
  const pool = await drivePool(t, new LocalLauncher(out, ledgers));
  return { dir, out, ledgers, pool };
}

/** What the job directory root holds besides .jms: job directories and hidden first names. */
function leftInOut(b: Bed): string[] {
  return fs.readdirSync(b.out.path).filter((n) => n !== '.jms').sort();
}

async function startFailure(t: Test, b: Bed, jobId: number, stage: { src: string; as: string }[]): Promise<string> {
  b.pool.send({ kind: 'run', jobId, command: 'echo should not run', inJobDir: true, stage });
  const failed = await b.pool.next('start-failed', jobId);
  t.notOk(b.pool.events.some((e) => e.kind === 'started' && e.jobId === jobId), `job ${jobId} never started`);
  return failed.reason;
}

t.test('a file under a new name and a folder recursively, read by the job in its job directory', async (t) => {
  const b = await bed(t);
  const caseDir = join(b.dir, 'src', 'case dir');
  fs.mkdirSync(join(caseDir, 'sub'), { recursive: true });
  fs.writeFileSync(join(caseDir, 'run.sh'), '#!/bin/sh\necho solved\n', { mode: 0o750 });
  fs.chmodSync(join(caseDir, 'run.sh'), 0o750);
  fs.writeFileSync(join(caseDir, 'sub', 'deep.txt'), 'deep\n');
  fs.symlinkSync('sub/deep.txt', join(caseDir, 'link'));
  fs.symlinkSync('/nonexistent/target', join(caseDir, 'dangling'));
  const base = join(b.dir, 'src', 'base.msh');
  const command = [
    'stat -c %i .', 'cat input.msh', 'cat "my case/sub/deep.txt"', 'readlink "my case/link"', 'readlink "my case/dangling"',
    'stat -c %a "my case/run.sh"', '"./my case/run.sh"', 'cat nested/deeper/b.msh', 'ls',
  ].join('; ');
  // A cwd that exists: inJobDir wins over it.
  b.pool.send({
    kind: 'run', jobId: 1, command, cwd: join(b.dir, 'elsewhere'), inJobDir: true,
    stage: [{ src: base, as: 'input.msh' }, { src: caseDir, as: 'my case' }, { src: base, as: 'nested/deeper/b.msh' }],
  });
  const started = await b.pool.next('started', 1);
  t.equal(started.cwd, started.dir, 'the started event says it runs in its job directory');
  t.match(started.dir, new RegExp(`^${b.out.path}/jms_[^/]+_1_${started.pid}_\\d{8}_\\d{6}$`));
  t.match(await b.pool.next('exited', 1), { code: 0, signal: null });
  const stdout = fs.readFileSync(join(started.dir, 'stdout_1'), 'utf8');
  t.equal(stdout, [
    String(fs.statSync(started.dir).ino), 'mesh v1', 'deep', 'sub/deep.txt', '/nonexistent/target', '750', 'solved', 'mesh v1',
    'input.msh', 'my case', 'nested', 'stderr_1', 'stdout_1', '',
  ].join('\n'), 'the job ran in its job directory (its inode: the name may still have been the first one) and saw every staged file: new names, a folder whole with its links as links, the mode kept, parents made');
  t.equal(fs.readFileSync(join(started.dir, 'stderr_1'), 'utf8'), '');
  t.ok(fs.lstatSync(join(started.dir, 'my case', 'link')).isSymbolicLink(), 'a link stays a link');
  t.equal(fs.readFileSync(base, 'utf8'), 'mesh v1\n', 'the source is untouched');
  t.same(leftInOut(b).filter((n) => n.startsWith('.jms_starting')), [], 'the first name\'s link is gone once it ended');
});

t.test('a source that is missing: no start, the reason names the file, nothing left, the pool goes on', async (t) => {
  const b = await bed(t);
  const missing = join(b.dir, 'src', 'nope.msh');
  const reason = await startFailure(t, b, 2, [{ src: join(b.dir, 'src', 'base.msh'), as: 'first' }, { src: missing, as: 'input.msh' }]);
  t.equal(reason, `cannot stage ${missing} as input.msh: no such file or directory`);
  t.same(leftInOut(b), [], 'its half-made directory is gone (the first file had been copied into it)');
  const ledger = readLedger(b.ledgers, b.pool.key);
  t.match(ledger?.jobs.get(2), { starting: true, started: null, end: { kind: 'start-failed', reason } }, 'the ledger has its start and its failure');
  b.pool.send({ kind: 'run', jobId: 3, command: 'echo next', inJobDir: true, stage: [{ src: join(b.dir, 'src', 'base.msh'), as: 'in' }] });
  t.match(await b.pool.next('exited', 3), { code: 0 }, 'the next job runs');
});

t.test('names that would leave the job directory or clobber its output are refused', async (t) => {
  const b = await bed(t);
  const base = join(b.dir, 'src', 'base.msh');
  const cases: [{ src: string; as: string }, string][] = [
    [{ src: base, as: '../escaped' }, `cannot stage ${base} as ../escaped: the name goes up with '..'`],
    [{ src: base, as: 'a/../../escaped' }, `cannot stage ${base} as a/../../escaped: the name goes up with '..'`],
    [{ src: base, as: '/tmp/escaped' }, `cannot stage ${base} as /tmp/escaped: the name is an absolute path`],
    [{ src: base, as: '.' }, `cannot stage ${base} as .: the name names the directory itself`],
    [{ src: base, as: 'stdout_15' }, `cannot stage ${base} as stdout_15: the name is one of the job's output files`],
    [{ src: 'src/base.msh', as: 'x' }, 'cannot stage src/base.msh as x: its source is not an absolute path'],
  ];
  let jobId = 10; // the fifth case is job 15: its own stdout_15
  for (const [entry, want] of cases) {
    jobId += 1;
    t.equal(await startFailure(t, b, jobId, [entry]), want, entry.as);
  }
  t.same(leftInOut(b), [], 'no directory is left');
  t.notOk(fs.existsSync(join(b.out.path, '..', 'escaped')), 'nothing was written outside');
});

t.test('the pool answers pings while it copies; told to end meanwhile, the job does not start', async (t) => {
  const b = await bed(t);
  const many = join(b.dir, 'many');
  fs.mkdirSync(many);
  const chunk = Buffer.alloc(32 * 1024, 7);
  for (let i = 0; i < 400; i += 1) fs.writeFileSync(join(many, `f${i}`), chunk);
  const t0 = Date.now();
  b.pool.send({ kind: 'run', jobId: 20, command: 'ls many | wc -l', inJobDir: true, stage: [{ src: many, as: 'many' }] });
  b.pool.send({ kind: 'ping', seq: 99 });
  await b.pool.next('pong');
  const pongAt = Date.now() - t0;
  await b.pool.next('started', 20);
  const startedAt = Date.now() - t0;
  const order = b.pool.events.map((e) => e.kind).filter((k) => k === 'pong' || k === 'started');
  t.same(order, ['pong', 'started'], 'the pong came while the files were being copied, before the start');
  t.comment(`pong after ${pongAt} ms, started after ${startedAt} ms (400 files of 32 KB staged)`);
  const started = await b.pool.next('started', 20);
  await b.pool.next('exited', 20);
  t.equal(fs.readFileSync(join(started.dir, 'stdout_20'), 'utf8'), '400\n');

  b.pool.send({ kind: 'run', jobId: 21, command: 'echo should not run', inJobDir: true, stage: [{ src: many, as: 'many' }] });
  b.pool.send({ kind: 'terminate' });
  const failed = await b.pool.next('start-failed', 21);
  t.equal(failed.reason, 'the pool was told to end its jobs before its files were staged');
  await b.pool.next('bye');
  const kinds = b.pool.events.map((e) => e.kind);
  t.ok(kinds.lastIndexOf('start-failed') < kinds.indexOf('bye'), 'bye only once the staging job had ended');
  t.same(leftInOut(b).filter((n) => !n.startsWith('jms_')), [], 'its half-made directory is gone');
  t.equal(leftInOut(b).length, 1, 'only the first job\'s directory is there');
});
