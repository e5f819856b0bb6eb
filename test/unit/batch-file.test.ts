// Unit tests for console/batch-file.ts: the batch file of issue 12 read as is into a
// BatchSpec, matrices expanded and named, values shell-quoted, `after` resolved, exit hooks,
// defaults, staged files looked up on the real disk (a test directory), and every kind of
// mistake reported with its line and wording.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { type Exists, parseBatchFile, shellWord } from '../../console/batch-file.js';
import type { BatchJobSpec, BatchSpec } from '../../protocol/batch.js';

const exists: Exists = (p) => {
  try {
    return statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
};

/** A test directory holding the files the batches stage. */
function site(t: Test): string {
  return t.testdir({ case: { 'base.msh': 'mesh\n', 'notes.txt': 'n\n' }, data: { 'a.csv': '1\n' } });
}

function batch(t: Test, text: string, dir = site(t)): BatchSpec {
  const got = parseBatchFile(text, 'sweep.yaml', dir, exists);
  if ('errors' in got) throw new Error(`expected a valid batch, got:\n${got.errors.join('\n')}`);
  return got;
}

function errors(t: Test, text: string, dir = site(t)): string[] {
  const got = parseBatchFile(text, 'sweep.yaml', dir, exists);
  return 'errors' in got ? got.errors : ['(no errors)'];
}

const EXAMPLE = `name: sweep-1
namespace: alice
needs: [openfoam]
notify: "mail -s done alice"       # optional
defaults: {timeout: 2h, retries: 1}
build: "make -C src"
save: results                        # kept from each job's working directory
jobs:
  - name: mesh
    command: "./mesh.sh"
    files: [{path: case/base.msh, as: input.msh}]
  - name: solve
    command: "./solve.sh {re} {grid}"
    after: [mesh]
    matrix: {re: [100, 1000, 10000], grid: [coarse, fine]}
`;

function job(name: string, command: string, more: Partial<BatchJobSpec> = {}): BatchJobSpec {
  return { name, command, needs: [], after: [], files: [], timeoutSec: 7200, retries: 1, priority: 0, begin: null, onExit: [], ...more };
}

t.test("issue 12's example is accepted as it is", async (t) => {
  const dir = site(t);
  const solve = (re: string, grid: string): BatchJobSpec => job(`solve[re=${re},grid=${grid}]`, `./solve.sh ${re} ${grid}`, { after: ['mesh'] });
  t.strictSame(batch(t, EXAMPLE, dir), {
    needs: ['openfoam'], notify: 'mail -s done alice', build: 'make -C src', save: 'results', keep: false, onExit: [],
    name: 'sweep-1', namespace: 'alice', windows: null, suspendOutside: false,
    jobs: [
      job('mesh', './mesh.sh', { files: [{ from: join(dir, 'case/base.msh'), as: 'input.msh' }] }),
      solve('100', 'coarse'), solve('100', 'fine'), solve('1000', 'coarse'), solve('1000', 'fine'), solve('10000', 'coarse'), solve('10000', 'fine'),
    ],
  });
});

t.test('matrices: product in key order, names by value, values shell-quoted', async (t) => {
  const b = batch(t, `name: m
jobs:
  - name: run
    command: "./run {in} --msg {msg} --n={n} \${HOME} {} {x"
    matrix:
      n: [1.50, 0x1F, true]
      in: [data/a.csv, "it's here"]
      msg: ["a b", ""]
`);
  t.equal(b.jobs.length, 12, '3 × 2 × 2 jobs');
  t.strictSame(b.jobs.slice(0, 4).map((j) => [j.name, j.command]), [
    ['run[n=1.50,in=data_a.csv,msg=a_b]', "./run data/a.csv --msg 'a b' --n=1.50 ${HOME} {} {x"],
    ['run[n=1.50,in=data_a.csv,msg=]', "./run data/a.csv --msg '' --n=1.50 ${HOME} {} {x"],
    ['run[n=1.50,in=it_s_here,msg=a_b]', "./run 'it'\\''s here' --msg 'a b' --n=1.50 ${HOME} {} {x"],
    ['run[n=1.50,in=it_s_here,msg=]', "./run 'it'\\''s here' --msg '' --n=1.50 ${HOME} {} {x"],
  ], 'the first key varies slowest; numbers keep their written form; ${HOME} and {} are the shell\'s');
  t.strictSame(b.jobs.map((j) => j.name.split(',')[0]).filter((x, i, a) => a.indexOf(x) === i), ['run[n=1.50', 'run[n=0x1F', 'run[n=true']);
  t.strictSame(['plain', 'a/b=c:d+e-f.g_h', "it's", 'two words', '', '$x', 'a;b', '*'].map(shellWord), [
    'plain', 'a/b=c:d+e-f.g_h', "'it'\\''s'", "'two words'", "''", "'$x'", "'a;b'", "'*'",
  ], 'shellWord quotes all but plain words');
});

t.test('after: names, a matrix name for all its jobs, one expansion, a single name', async (t) => {
  const b = batch(t, `name: deps
jobs:
  - {name: prep, command: p}
  - {name: solve, command: "s {k}", matrix: {k: [1, 2]}, after: prep}
  - {name: post1, command: q, after: ["solve[k=1]"]}
  - {name: report, command: r, after: [solve, post1, prep, solve]}
`);
  t.strictSame(b.jobs.map((j) => [j.name, j.after]), [
    ['prep', []],
    ['solve[k=1]', ['prep']],
    ['solve[k=2]', ['prep']],
    ['post1', ['solve[k=1]']],
    ['report', ['solve[k=1]', 'solve[k=2]', 'post1', 'prep']],
  ]);
});

t.test('defaults, job values over them, files, begin, exit hooks, windows', async (t) => {
  const dir = site(t);
  const b = batch(t, `name: full
needs: gpu, cuda
defaults: {timeout: 90m, retries: 2, priority: 5}
keep: true
windows: MON-FRI 19:00-08:00,sat-sun
suspend_outside: true
on_exit: "echo batch"
jobs:
  - name: a
    command: x
    timeout: 30
    retries: 0
    priority: -3
    begin: "22:00"
    needs: [big]
    files: [case/notes.txt, case, {path: data/a.csv, as: in/a.csv}]
    on_exit: {failed: "echo f", 2: "echo two", TIMED-OUT: "echo t", any: "echo any"}
  - name: b
    command: y
    begin: +2h
`, dir);
  t.match(b, { needs: ['gpu', 'cuda'], keep: true, windows: 'mon-fri 19:00-08:00, sat-sun', suspendOutside: true, onExit: [{ when: 'any', command: 'echo batch' }] });
  t.strictSame(b.jobs[0], {
    name: 'a', command: 'x', needs: ['big'], after: [], timeoutSec: 30, retries: 0, priority: -3, begin: '22:00',
    files: [{ from: join(dir, 'case/notes.txt'), as: 'notes.txt' }, { from: join(dir, 'case'), as: 'case' }, { from: join(dir, 'data/a.csv'), as: 'in/a.csv' }],
    onExit: [{ when: 'failed', command: 'echo f' }, { when: { exitCode: 2 }, command: 'echo two' }, { when: 'timed-out', command: 'echo t' }, { when: 'any', command: 'echo any' }],
  });
  t.match(b.jobs[1], { timeoutSec: 5400, retries: 2, priority: 5, begin: '+2h', onExit: [] });
  const abs = batch(t, `name: abs\njobs:\n  - {name: a, command: x, files: ["${join(dir, 'case/base.msh')}"]}\n`);
  t.strictSame(abs.jobs[0]?.files, [{ from: join(dir, 'case/base.msh'), as: 'base.msh' }], 'an absolute path is taken as it is');
});

t.test('limits: 10,000 jobs at most', async (t) => {
  const values = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  const ok = batch(t, `name: big\njobs:\n  - {name: a, command: "x {i} {j}", matrix: {i: ${values(100)}, j: ${values(100)}}}\n`);
  t.equal(ok.jobs.length, 10_000, '100 × 100 is allowed');
  t.strictSame(errors(t, `name: big\njobs:\n  - {name: a, command: "x {i} {j}", matrix: {i: ${values(100)}, j: ${values(100)}}}\n  - {name: b, command: y}\n`), [
    'sweep.yaml:3: jobs: expand to 10001 jobs, more than the limit of 10000; split the batch into several files.',
  ]);
  t.strictSame(errors(t, `name: huge\njobs:\n  - {name: a, command: "x {i} {j} {k}", matrix: {i: ${values(1000)}, j: ${values(1000)}, k: ${values(1000)}}}\n`), [
    'sweep.yaml:3: jobs: expand to 1000000000 jobs, more than the limit of 10000; split the batch into several files.',
  ], 'a huge product is refused before anything is expanded');
});
