// Unit tests for how the batch commands' lines become requests or actions
// (console/batch-commands.ts) and for submit's options of issue 12 (console/submit-extras.ts
// through console/commands.ts): the good forms, and each mistake's exact one-line error.
// Batch files are real files in a test directory.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { readBatchFile } from '../../console/batch-read.js';
import { findCommand, type Parsed } from '../../console/commands.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function parse(name: string, rest: string): Parsed {
  const spec = findCommand(name);
  if (spec === undefined) throw new Error(`no command '${name}'`);
  return spec.parse(rest);
}

function errorOf(t: Test, got: Parsed, what: string): string {
  t.ok('error' in got, `${what}: an error`);
  return 'error' in got ? got.error : '';
}

/** The submit request's fields that issue 12 added, or null when the line is not a submit. */
function extras(got: Parsed): Record<string, unknown> | null {
  if (!('kind' in got) || got.kind !== 'submit') return null;
  const { after, retries, priority, begin, onExit, command } = got;
  return { command, ...(after === undefined ? {} : { after }), ...(retries === undefined ? {} : { retries }), ...(priority === undefined ? {} : { priority }),
    ...(begin === undefined ? {} : { begin }), ...(onExit === undefined ? {} : { onExit }) };
}

t.test('submit: --after, --retries, --priority, --begin, --on-exit', async (t) => {
  t.strictSame(extras(parse('submit', '--after 3,4 make')), { command: 'make', after: [3, 4] });
  t.strictSame(extras(parse('submit', '--after=3 --after 4,3 make')), { command: 'make', after: [3, 4] }, 'repeated: the union, each once');
  t.strictSame(extras(parse('submit', '--retries 2 make')), { command: 'make', retries: 2 });
  t.strictSame(extras(parse('submit', '--retries 0 make')), { command: 'make', retries: 0 });
  t.strictSame(extras(parse('submit', '--priority -5 make')), { command: 'make', priority: -5 }, 'a negative priority');
  t.strictSame(extras(parse('submit', '--priority=1000 make')), { command: 'make', priority: 1000 });
  t.strictSame(extras(parse('submit', '--begin 22:00 make')), { command: 'make', begin: '22:00' });
  t.strictSame(extras(parse('submit', '--begin +2h make')), { command: 'make', begin: '+2h' }, 'sent as written');
  t.strictSame(extras(parse('submit', "--begin '2026-12-24 22:00' make")), { command: 'make', begin: '2026-12-24 22:00' }, 'a quoted value with a space');
  t.strictSame(extras(parse('submit', '--on-exit ./notify.sh make')), { command: 'make', onExit: [{ when: 'any', command: './notify.sh' }] });
  t.strictSame(extras(parse('submit', '--on-exit "mail -s done me" --on-exit \'echo x\' sleep 1')),
    { command: 'sleep 1', onExit: [{ when: 'any', command: 'mail -s done me' }, { when: 'any', command: 'echo x' }] }, 'two hooks, in order, quotes taken off');
  t.strictSame(extras(parse('submit', '--timeout 1h --after 2 --retries 1 --priority 3 -- --x')),
    { command: '--x', after: [2], retries: 1, priority: 3 }, 'with the old options and --');
  t.strictSame(extras(parse('submit', 'echo --after 3')), { command: 'echo --after 3' }, 'after the job starts, it is the job');
  const plain = parse('submit', 'make');
  for (const k of ['after', 'retries', 'priority', 'begin', 'onExit']) t.notOk(k in plain, `no ${k} key without its option`);
  const env = parse('submit', "--env 'MODE=a b' make");
  t.strictSame('kind' in env && env.kind === 'submit' ? env.setEnv : null, { MODE: 'a b' }, '--env takes a quoted value too');
});

t.test('submit: mistakes in the new options, each one line', async (t) => {
  const cases: [string, string][] = [
    ['--after x make', "'x' is not a JobID; give --after JobIDs separated by commas, e.g. 'submit --after 3,4 make'."],
    ['--after 3,0 make', "'0' is not a JobID; give --after JobIDs separated by commas, e.g. 'submit --after 3,4 make'."],
    ['--after , make', "',' is not a JobID; give --after JobIDs separated by commas, e.g. 'submit --after 3,4 make'."],
    ['--after', "--after needs JobIDs separated by commas; for example 'submit --after 3,4 make'."],
    ['--retries -1 make', "'-1' is not a number of retries; give --retries a whole number from 0 to 100, e.g. 'submit --retries 2 make'."],
    ['--retries 101 make', "'101' is not a number of retries; give --retries a whole number from 0 to 100, e.g. 'submit --retries 2 make'."],
    ['--retries two make', "'two' is not a number of retries; give --retries a whole number from 0 to 100, e.g. 'submit --retries 2 make'."],
    ['--retries=', "--retries needs a number of retries; for example 'submit --retries 2 make'."],
    ['--priority 1001 make', "'1001' is not a priority; give --priority a whole number from -1000 to 1000 (higher starts first), e.g. 'submit --priority 10 make'."],
    ['--priority 1.5 make', "'1.5' is not a priority; give --priority a whole number from -1000 to 1000 (higher starts first), e.g. 'submit --priority 10 make'."],
    ['--priority', "--priority needs a number; for example 'submit --priority 10 make'."],
    ['--begin soon make', "'soon' is not a begin time; write a time of day such as 22:00, a delay such as +2h or +1h30m, or a date such as 2026-12-24 or 2026-12-24 22:00 (local time; add Z or +01:00 for another zone)."],
    ['--begin 25:00 make', "'25:00' is not a time of day (00:00 to 23:59); write a time of day such as 22:00, a delay such as +2h or +1h30m, or a date such as 2026-12-24 or 2026-12-24 22:00 (local time; add Z or +01:00 for another zone)."],
    ['--begin', "--begin needs a time; for example 'submit --begin 22:00 make' or 'submit --begin +2h make'."],
    ['--on-exit', "--on-exit needs a command; for example 'submit --on-exit ./notify.sh make' or 'submit --on-exit \"mail -s done me\" make'."],
    ["--on-exit '' make", "--on-exit needs a command; for example 'submit --on-exit ./notify.sh make' or 'submit --on-exit \"mail -s done me\" make'."],
    ["--on-exit 'mail -s x make", "the value of --on-exit opens a quote (') that the line does not close; close it, e.g. '--on-exit \"a b\"'."],
  ];
  for (const [line, want] of cases) t.equal(errorOf(t, parse('submit', line), line), want, `submit ${line}`);
  const far = errorOf(t, parse('submit', '--begin +400d make'), 'a year ahead');
  t.match(far, /more than a year ahead/, 'a begin time past a year is refused here already');
});

t.test('show-batches, status-batch, kill-batch', async (t) => {
  t.strictSame(parse('show-batches', ''), { kind: 'show-batches' });
  t.equal(errorOf(t, parse('show-batches', 'x'), 'show-batches x'), "show-batches takes no arguments; type just 'show-batches'.");
  t.strictSame(parse('status-batch', 'sweep-1'), { kind: 'status-batch', batch: 'sweep-1' });
  t.strictSame(parse('status-batch', ' alice/sweep-1 '), { kind: 'status-batch', batch: 'alice/sweep-1' });
  t.strictSame(parse('kill-batch', 'alice/sweep-1'), { kind: 'kill-batch', batch: 'alice/sweep-1' });
  t.equal(errorOf(t, parse('kill-batch', ''), 'kill-batch'),
    "kill-batch takes the name of one batch; for example 'kill-batch sweep-1' or 'kill-batch alice/sweep-1' ('show-batches' lists them).");
  t.equal(errorOf(t, parse('status-batch', 'a b'), 'two words'),
    "status-batch takes the name of one batch; for example 'status-batch sweep-1' or 'status-batch alice/sweep-1' ('show-batches' lists them).");
  t.equal(errorOf(t, parse('status-batch', 'a/b/c'), 'a/b/c'),
    "'a/b/c' is not a batch name; give status-batch a batch as submit-batch printed it (name or namespace/name), e.g. 'status-batch sweep-1'; 'show-batches' lists them.");
});

t.test('pull: forms', async (t) => {
  const got = parse('pull', 'alice/sweep-1 --include \\.csv$ --include=^mesh/ --exclude tmp --to out --dry');
  if (!('kind' in got) || got.kind !== 'pull') {
    t.fail('a pull action');
    return;
  }
  t.equal(got.batch, 'alice/sweep-1');
  t.equal(got.to, 'out');
  t.equal(got.dry, true);
  t.strictSame(got.include.map(String), ['/\\.csv$/', '/^mesh\\//'], 'both includes, as regular expressions');
  t.strictSame(got.exclude.map(String), ['/tmp/']);
  const plain = parse('pull', 'sweep-1');
  t.match(plain, { kind: 'pull', batch: 'sweep-1', to: null, include: [], exclude: [], dry: false }, 'defaults');
  const quoted = parse('pull', "sweep-1 --include '\\.csv$'");
  t.strictSame('kind' in quoted && quoted.kind === 'pull' ? quoted.include.map(String) : null, ['/\\.csv$/'], 'quotes around a regular expression are taken off');
});

t.test('pull: mistakes', async (t) => {
  const example = "for example 'pull sweep-1 --include \\.csv$ --to results'";
  const cases: [string, string][] = [
    ['', `pull needs a batch; ${example} ('show-batches' lists them).`],
    ['--dry', `pull needs a batch; ${example} ('show-batches' lists them).`],
    ['a b', `pull takes one batch, not 'a' and 'b'; ${example}.`],
    ['a --to', `--to needs a value; ${example}.`],
    ['a --include', `--include needs a value; ${example}.`],
    ['a --force', `pull has no option '--force' (it has --to, --include, --exclude and --dry); ${example}.`],
    ['a --include (', "'(' is not a regular expression (/(/: Unterminated group); give --include a JavaScript regular expression matched against each file's path in the archive, e.g. '--include \\.csv$'."],
    ['a/b/c', "'a/b/c' is not a batch name; give pull a batch as submit-batch printed it (name or namespace/name), e.g. 'pull sweep-1'; 'show-batches' lists them."],
  ];
  for (const [line, want] of cases) t.equal(errorOf(t, parse('pull', line), line), want, `pull ${line}`);
});

t.test('export-log: forms and mistakes', async (t) => {
  t.strictSame(parse('export-log', 'sweep-1'), { kind: 'export-log', batch: 'sweep-1' });
  t.strictSame(parse('export-log', 'alice/sweep-1 --format tsv'), { kind: 'export-log', batch: 'alice/sweep-1' });
  t.strictSame(parse('export-log', '--format=tsv all'), { kind: 'export-log', batch: null }, 'all: every job');
  const example = "for example 'export-log sweep-1 --format tsv' or 'export-log all'";
  const cases: [string, string][] = [
    ['', `export-log needs a batch, or all; ${example}.`],
    ['a --format csv', `'csv' is not a format export-log writes; it writes only tsv (GNU parallel's --joblog format), ${example}.`],
    ['a --format', `--format needs a format; ${example}.`],
    ['a b', `export-log takes one batch, or all; ${example}.`],
    ['a -n 3', `export-log has no option '-n' (it has --format tsv); ${example}.`],
  ];
  for (const [line, want] of cases) t.equal(errorOf(t, parse('export-log', line), line), want, `export-log ${line}`);
});

const FILE = `name: sweep-1
needs: [openfoam]
defaults: {timeout: 2h, retries: 1}
jobs:
  - name: mesh
    command: "./mesh.sh"
    files: [{path: case/base.msh, as: input.msh}]
  - name: solve
    command: "./solve.sh {re}"
    after: [mesh]
    matrix: {re: [100, 1000]}
`;

t.test('submit-batch: a file read, its files relative to its folder, the namespace the user', async (t) => {
  const dir = t.testdir({ lab: { 'sweep.yaml': FILE, case: { 'base.msh': 'm\n' } } });
  const got = readBatchFile('lab/sweep.yaml', dir);
  if (!('kind' in got)) {
    t.fail(`a batch, not: ${got.error}`);
    return;
  }
  t.equal(got.file, join(dir, 'lab/sweep.yaml'));
  t.equal(got.spec.namespace, os.userInfo().username, "a file without namespace: gets the console user's name");
  t.equal(got.spec.jobs.length, 3);
  t.strictSame(got.spec.jobs[0]?.files, [{ from: join(dir, 'lab/case/base.msh'), as: 'input.msh' }], 'staged files are found next to the file');
  t.equal(got.env['PATH'], process.env['PATH'], "the console's environment is taken");
  const own = t.testdir({ 'b.yaml': `namespace: lab\n${FILE.replace(/ {4}files.*\n/, '')}` });
  const named = readBatchFile(join(own, 'b.yaml'), '/');
  t.equal('kind' in named ? named.spec.namespace : null, 'lab', 'a namespace the file gives is kept');
});

t.test('submit-batch: every mistake on its own line, then one sentence; nothing to send', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'name: sweep 1\njobs:\n  - name: a\n    command: ""\n  - name: b\n    command: x\n    after: [c]\n' });
  const got = readBatchFile('bad.yaml', dir);
  t.notOk('kind' in got, 'no action');
  const lines = 'lines' in got ? got.lines ?? [] : [];
  t.ok(lines.length >= 3, `every mistake (${lines.length})`);
  t.ok(lines.every((l) => /^bad\.yaml:\d+: \S+/.test(l)), 'each names the file, its line and its field');
  t.match(lines.join('\n'), /bad\.yaml:1: name:/, 'the name on line 1');
  t.match(lines.join('\n'), /bad\.yaml:7: jobs\[1\]\.after/, 'the unknown job on line 7');
  t.equal('error' in got ? got.error : '', `bad.yaml has ${lines.length} mistakes, so nothing was submitted; fix them and submit the file again.`);
  const missing = parse('submit-batch', join(dir, 'none.yaml'));
  t.match(errorOf(t, missing, 'a missing file'), /^cannot read the batch file .*none\.yaml: there is no such file; give submit-batch a YAML batch file \('help submit-batch' says more\)\.$/);
  t.equal(errorOf(t, parse('submit-batch', ''), 'no file'), "submit-batch needs a batch file; give it one, e.g. submit-batch sweep.yaml ('help submit-batch' says more).");
  t.equal(errorOf(t, parse('submit-batch', '--dry x.yaml'), 'an option'), "submit-batch has no options, not '--dry'; give it just the batch file, e.g. submit-batch sweep.yaml.");
  t.equal(errorOf(t, parse('submit-batch', 'a.yaml b.yaml'), 'two files'), "submit-batch takes one batch file, not 2 words; give it one, e.g. submit-batch sweep.yaml.");
  const folder = readBatchFile('.', dir);
  t.equal('error' in folder ? folder.error : '', ". is a folder, not a batch file; give submit-batch a YAML batch file ('help submit-batch' says more).", 'a folder is not a batch file');
});

t.test("README's Batches example is a batch file that submit-batch accepts", async (t) => {
  const readme = fs.readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## Batches\n');
  const yaml = /```yaml\n([\s\S]*?)```/.exec(readme.slice(at));
  t.ok(at >= 0 && yaml !== null, 'the section and its example');
  const dir = t.testdir({ 'sweep.yaml': yaml?.[1] ?? '', 'mesh.sh': 'true\n', case: { 'base.msh': 'm\n' } });
  const got = readBatchFile('sweep.yaml', dir);
  if (!('kind' in got)) {
    t.fail(`refused: ${[...(got.lines ?? []), got.error].join('\n')}`);
    return;
  }
  t.equal(got.spec.jobs.length, 7, '1 + 3 × 2 jobs, as the README says');
  t.equal(`${got.spec.namespace}/${got.spec.name}`, 'alice/sweep-1');
  t.strictSame(got.spec.jobs.map((j) => j.name).slice(0, 3), ['mesh', 'solve[re=100,grid=coarse]', 'solve[re=100,grid=fine]']);
});
