// End-to-end tests for scripts/jms_script.sh: runs the real script on fixture output directories
// (job dirs among decoys, under a path with a space) and compares whole stdout, stderr and exit code.

import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The compiled file is dist/test/e2e/script.test.js; the repository root is three levels up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts', 'jms_script.sh');
const USAGE_FIRST_LINE = 'usage: jms_script.sh -l <path> -c <command>';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(...args: string[]): Run {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Job dirs of the fixture: job id -> name and the bytes of each file it holds. */
const JOBS: ReadonlyArray<{ id: number; name: string; files: Readonly<Record<string, number>> }> = [
  { id: 3, name: 'jms_alice_3_4103_20170331_175000', files: { stdout_3: 3000, stderr_3: 0 } },
  { id: 7, name: 'jms_bob_smith_7_4107_20170331_175010', files: { stdout_7: 50000, stderr_7: 1 } },
  // 8 and 40 hold the same entries, so du gives them the same size: the tie goes by job id.
  { id: 8, name: 'jms_alice_8_4108_20170331_175020', files: { data: 777 } },
  { id: 12, name: 'jms_alice_12_4112_20170331_175030', files: { stdout_12: 100, stderr_12: 10 } },
  { id: 25, name: 'jms_alice_25_4125_20170401_080000', files: { stdout_25: 0, stderr_25: 0 } },
  { id: 40, name: 'jms_carol_40_4140_20170401_090000', files: { data: 777 } },
];

/** Everything under the output dir that is not a job dir: none of it may be listed or touched. */
const DECOYS = [
  '.jms_starting_7_123',
  'jms_alice_5_4105_20170331_175000.bak',
  'jms_alice_5_4105_2017033_175000',
  'jms_alice_98_4198_20170331_175000',
  'jms_alice_99_4199_20170331_175000',
  'jms_coord.log',
  'jms_in',
  'jms_notes',
  'jms_5_4105_20170331_175000',
  'notes',
].sort();

interface Fixture {
  out: string;
  /** Real directory outside `out` that the job-named symlink points at. */
  elsewhere: string;
}

/** Builds "<root>/job output" holding the JOBS dirs and every DECOY; root is a fresh t.testdir(). */
function makeFixture(root: string): Fixture {
  const out = join(root, 'job output');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(out);
  mkdirSync(elsewhere);
  writeFileSync(join(elsewhere, 'precious'), 'keep me');
  for (const job of JOBS) {
    mkdirSync(join(out, job.name));
    for (const [file, bytes] of Object.entries(job.files)) {
      writeFileSync(join(out, job.name, file), 'x'.repeat(bytes));
    }
  }
  writeFileSync(join(out, 'jms_coord.log'), 'coordinator log\n');
  execFileSync('mkfifo', [join(out, 'jms_in')]);
  for (const dir of ['notes', 'jms_notes', '.jms_starting_7_123', 'jms_alice_5_4105_2017033_175000',
    'jms_5_4105_20170331_175000', 'jms_alice_5_4105_20170331_175000.bak']) {
    mkdirSync(join(out, dir));
    writeFileSync(join(out, dir, 'stdout_5'), 'not a job dir');
  }
  writeFileSync(join(out, 'jms_alice_98_4198_20170331_175000'), 'a file named like a job dir');
  symlinkSync(elsewhere, join(out, 'jms_alice_99_4199_20170331_175000'));
  return { out, elsewhere };
}

function du(dir: string): string {
  const bytes = execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0];
  if (bytes === undefined) throw new Error(`du printed nothing for ${dir}`);
  return bytes;
}

function nameOf(id: number): string {
  const job = JOBS.find((j) => j.id === id);
  if (job === undefined) throw new Error(`no fixture job ${id}`);
  return job.name;
}

function lines(rows: readonly string[]): string {
  return rows.map((r) => `${r}\n`).join('');
}

const BY_ID = [3, 7, 8, 12, 25, 40];
const BY_SIZE = [25, 12, 8, 40, 3, 7];

t.test('list prints every job dir, by job id, and nothing else', async (t) => {
  const { out } = makeFixture(t.testdir());
  const want = lines(BY_ID.map((id) => `${out}/${nameOf(id)}`));
  t.same(run('-l', out, '-c', 'list'), { code: 0, stdout: want, stderr: '' });
  t.same(run('-l', `${out}/`, '-c', 'list'), { code: 0, stdout: want, stderr: '' }, 'trailing slash');
  t.same(run('-l', `${out}//`, '-c', 'list'), { code: 0, stdout: want, stderr: '' }, 'two slashes');
});

t.test('size prints du -sb bytes, ascending, ties by job id', async (t) => {
  const { out } = makeFixture(t.testdir());
  const row = (id: number): string => `${du(join(out, nameOf(id)))}\t${out}/${nameOf(id)}`;
  const sizes = BY_SIZE.map((id) => Number(du(join(out, nameOf(id)))));
  t.same(sizes, [...sizes].sort((a, b) => a - b), 'fixture sizes ascend in BY_SIZE order');
  t.equal(sizes[2], sizes[3], 'fixture jobs 8 and 40 tie');
  t.same(run('-l', out, '-c', 'size'), { code: 0, stdout: lines(BY_SIZE.map(row)), stderr: '' });
  t.same(run('-l', out, '-c', 'size', '2'), { code: 0, stdout: lines([row(3), row(7)]), stderr: '' },
    'size 2: the two largest, ascending');
  t.same(run('-l', out, '-c', 'size', '3'), { code: 0, stdout: lines([row(40), row(3), row(7)]),
    stderr: '' }, 'size 3 keeps the later of the tied pair');
  t.same(run('-l', out, '-c', 'size', '100'), { code: 0, stdout: lines(BY_SIZE.map(row)), stderr: '' },
    'n beyond the count prints all');
});

t.test('flags in any order', async (t) => {
  const { out } = makeFixture(t.testdir());
  const list = run('-l', out, '-c', 'list');
  const size2 = run('-l', out, '-c', 'size', '2');
  t.equal(list.code, 0);
  t.equal(size2.code, 0);
  t.same(run('-c', 'list', '-l', out), list);
  t.same(run('-c', 'size', '2', '-l', out), size2);
  t.same(run('-c', 'size', '-l', out), run('-l', out, '-c', 'size'));
});

t.test('purge removes exactly the job dirs and spares every decoy', async (t) => {
  const { out, elsewhere } = makeFixture(t.testdir());
  t.same(run('-c', 'purge', '-l', out), { code: 0, stdout: 'Removed 6 job directories\n', stderr: '' });
  t.same(readdirSync(out).sort(), DECOYS, 'only the decoys are left');
  const link = join(out, 'jms_alice_99_4199_20170331_175000');
  t.ok(lstatSync(link).isSymbolicLink(), 'the job-named symlink is still a symlink');
  t.equal(readlinkSync(link), elsewhere, 'pointing where it did');
  t.same(readdirSync(elsewhere), ['precious'], 'the symlink target is untouched');
  t.equal(readFileSync(join(elsewhere, 'precious'), 'utf8'), 'keep me');
  t.equal(readFileSync(join(out, 'jms_notes', 'stdout_5'), 'utf8'), 'not a job dir');
  t.equal(readFileSync(join(out, '.jms_starting_7_123', 'stdout_5'), 'utf8'), 'not a job dir');
  t.ok(lstatSync(join(out, 'jms_alice_98_4198_20170331_175000')).isFile(), 'the job-named file stays');
  t.ok(lstatSync(join(out, 'jms_in')).isFIFO(), 'the FIFO stays');
  t.same(run('-l', out, '-c', 'list'), { code: 0, stdout: '', stderr: '' }, 'list is then empty');
  t.same(run('-l', out, '-c', 'purge'), { code: 0, stdout: 'Removed 0 job directories\n', stderr: '' },
    'a second purge removes nothing');
  t.same(readdirSync(out).sort(), DECOYS, 'decoys still there');
});

t.test('no job dirs: empty list and size, purge removes 0', async (t) => {
  const out = join(t.testdir(), 'empty dir');
  mkdirSync(out);
  mkdirSync(join(out, 'jms_notes'));
  t.same(run('-l', out, '-c', 'list'), { code: 0, stdout: '', stderr: '' });
  t.same(run('-l', out, '-c', 'size'), { code: 0, stdout: '', stderr: '' });
  t.same(run('-l', out, '-c', 'size', '3'), { code: 0, stdout: '', stderr: '' });
  t.same(run('-l', out, '-c', 'purge'), { code: 0, stdout: 'Removed 0 job directories\n', stderr: '' });
  t.same(readdirSync(out), ['jms_notes']);
});

t.test('usage errors exit 2 with one line on stderr: what went wrong, then what to type', async (t) => {
  const dir = t.testdir();
  const P = 'jms_script.sh';
  const hint = (cmd: string): string => `for example '${P} -l ${dir} -c ${cmd}'.`;
  const cases: ReadonlyArray<{ args: string[]; reason: string }> = [
    { args: [], reason: `-l <path> is missing; for example '${P} -l jms_output -c list'.` },
    { args: ['-c', 'size'], reason: `-l <path> is missing; for example '${P} -l jms_output -c size'.` },
    { args: ['-l', dir], reason: `-c <command> is missing; ${hint('list')}` },
    { args: ['-l'], reason: `-l needs a path; for example '${P} -l jms_output -c list'.` },
    { args: ['-l', dir, '-c'], reason: `-c needs a command (list, size [n] or purge); ${hint('list')}` },
    { args: ['-l', dir, '-c', 'remove'], reason: `there is no command 'remove' (the commands are list, size [n] and purge); ${hint('list')}` },
    { args: ['-l', dir, '-c', 'size', 'x'], reason: `n must be a positive whole number, not 'x'; ${hint('size 3')}` },
    { args: ['-l', dir, '-c', 'size', '0'], reason: `n must be a positive whole number, not '0'; ${hint('size 3')}` },
    { args: ['-l', dir, '-c', 'size', '2.5'], reason: `n must be a positive whole number, not '2.5'; ${hint('size 3')}` },
    { args: ['-c', 'size', '-3', '-l', dir], reason: `n must be a positive whole number, not '-3'; ${hint('size 3')}` },
    { args: ['-l', dir, '-c', 'list', '-x'], reason: `there is no option '-x'; '${P} --help' shows the usage.` },
    { args: ['-x', '-l', dir, '-c', 'list'], reason: `there is no option '-x'; '${P} --help' shows the usage.` },
    { args: ['-l', dir, '-c', 'list', 'extra'], reason: `unexpected argument 'extra'; '${P} --help' shows the usage.` },
    { args: ['-l', dir, '-c', 'size', '2', '3'], reason: `unexpected argument '3'; '${P} --help' shows the usage.` },
    { args: ['-l', dir, '-l', dir, '-c', 'list'], reason: '-l is given twice; give one path.' },
    { args: ['-l', dir, '-c', 'list', '-c', 'purge'], reason: '-c is given twice; give one command.' },
    { args: ['-l', dir, '-c', 'list', '--include-running'], reason: `--include-running goes with purge only; ${hint('purge --include-running')}` },
  ];
  for (const { args, reason } of cases) {
    t.same(run(...args), { code: 2, stdout: '', stderr: `${P}: error: ${reason}\n` },
      `args: ${args.length === 0 ? '(none)' : args.map((a) => (a === dir ? '<dir>' : a)).join(' ')}`);
  }
  const spaced = join(dir, 'a b');
  t.same(run('-l', spaced), { code: 2, stdout: '', stderr: `${P}: error: -c <command> is missing; for example '${P} -l jms_output -c list'.\n` },
    'a path that cannot be typed back as it is gives the usual one in the hint');
});

t.test("size's n may come after any flag", async (t) => {
  const { out } = makeFixture(t.testdir());
  const two = run('-l', out, '-c', 'size', '2');
  t.equal(two.code, 0);
  t.same(run('-c', 'size', '-l', out, '2'), two, '-c size -l <path> 2');
  t.same(run('2', '-c', 'size', '-l', out), two, '2 -c size -l <path>');
});

t.test('-h prints the usage on stdout', async (t) => {
  const r = run('-h');
  t.equal(r.code, 0);
  t.equal(r.stderr, '');
  t.equal(r.stdout.split('\n')[0], USAGE_FIRST_LINE);
});

t.test('a missing path or a file fails with exit 1 and one line, for every command', async (t) => {
  const root = t.testdir();
  const missing = join(root, 'no such dir');
  const file = join(root, 'a file');
  writeFileSync(file, 'x');
  for (const command of [['list'], ['size'], ['size', '2'], ['purge']]) {
    t.same(run('-l', missing, '-c', ...command),
      { code: 1, stdout: '', stderr: `jms_script.sh: error: there is no directory ${missing}; give -l the coordinator's output directory (its -l).\n` },
      `${command.join(' ')} on a missing path`);
    t.same(run('-c', ...command, '-l', file),
      { code: 1, stdout: '', stderr: `jms_script.sh: error: -l names ${file}, which is not a directory; give -l the coordinator's output directory (its -l).\n` },
      `${command.join(' ')} on a file`);
  }
  t.notOk(existsSync(missing), 'purge did not create the missing path');
  t.equal(readFileSync(file, 'utf8'), 'x', 'the file is untouched');
});
