// Unit tests for protocol/batch.ts: a batch read from a file survives the trip through JSON
// and parseBatchSpec unchanged, and every malformed batch is an `{ invalid: <sentence> }`
// value, never a throw.

import t from 'tap';
import { parseBatchFile } from '../../console/batch-file.js';
import { type BatchSpec, parseBatchSpec, relativePathError } from '../../protocol/batch.js';
import { findCycle } from '../../protocol/batch-graph.js';

const FILE = `name: sweep-1
namespace: alice
needs: [openfoam]
notify: "mail -s done alice"
defaults: {timeout: 2h, retries: 1, priority: -2}
build: "make -C src"
save: results/out
keep: true
windows: mon-fri 19:00-08:00, sat-sun
suspend_outside: true
on_exit: {dependency-failed: "echo dep", 0: "echo ok"}
jobs:
  - name: mesh
    command: "./mesh.sh"
    files: [{path: /etc/hostname, as: input/host}]
    begin: 2026-12-24 22:00
    on_exit: "echo any"
  - name: solve
    command: "./solve.sh {re} {grid}"
    after: [mesh]
    needs: [gpu]
    matrix: {re: [100, 1000, 10000], grid: [coarse, fine]}
`;

function spec(): BatchSpec {
  const got = parseBatchFile(FILE, 'b.yaml', '/', () => 'file');
  if ('errors' in got) throw new Error(got.errors.join('\n'));
  return got;
}

/** A copy of the spec's JSON with `edit` applied to it. */
function edited(edit: (b: Record<string, unknown>, jobs: Record<string, unknown>[]) => void): unknown {
  const b: unknown = JSON.parse(JSON.stringify(spec()));
  if (typeof b !== 'object' || b === null || !('jobs' in b) || !Array.isArray(b.jobs)) throw new Error('not a batch');
  const record: Record<string, unknown> = Object.fromEntries(Object.entries(b));
  const jobs: Record<string, unknown>[] = b.jobs.map((j: unknown) => (typeof j === 'object' && j !== null ? Object.fromEntries(Object.entries(j)) : {}));
  edit(record, jobs);
  record['jobs'] = jobs;
  return record;
}

t.test('a batch read from its file crosses the wire unchanged', async (t) => {
  const b = spec();
  t.equal(b.jobs.length, 7);
  t.strictSame(parseBatchSpec(JSON.parse(JSON.stringify(b)) as unknown), b);
  t.strictSame(parseBatchSpec(edited(() => undefined)), b, 'the edit helper changes nothing by itself');
});

t.test('rejections: one sentence each', async (t) => {
  const cases: [string, unknown, string][] = [
    ['not an object', [1], 'a batch must be a JSON object'],
    ['no name', edited((b) => delete b['name']), "'name' must be a string"],
    ['a name with /', edited((b) => (b['name'] = 'a/b')), "'name' must be a batch name (letters, digits, '.', '_', '-')"],
    ['a namespace with /', edited((b) => (b['namespace'] = 'a/b')), "'namespace' must be a word without '/'"],
    ['a tag with a space', edited((b) => (b['needs'] = ['a b'])), "'needs' must hold tags (letters, digits, '.', '_', '-')"],
    ['an empty notify', edited((b) => (b['notify'] = ' ')), "'notify' must be a command"],
    ['save outside', edited((b) => (b['save'] = 'a/../../x')), "'save' must stay inside the working directory (no '..')"],
    ['keep not a boolean', edited((b) => (b['keep'] = 'yes')), "'keep' must be one of true, false"],
    ['bad windows', edited((b) => (b['windows'] = 'weekdays')), "'windows' must be run windows such as mon-fri 19:00-08:00, sat-sun"],
    ['suspendOutside without windows', edited((b) => (b['windows'] = null)), "'suspendOutside' needs 'windows'"],
    ['an exit case that does not exist', edited((b) => (b['onExit'] = [{ when: 'crashed', command: 'x' }])), "'when' must be one of succeeded, failed, killed, timed-out, lost, cancelled, dependency-failed, any"],
    ['an exit code out of range', edited((b) => (b['onExit'] = [{ when: { exitCode: 256 }, command: 'x' }])), "'exitCode' must be between 0 and 255"],
    ['no jobs', edited((_b, jobs) => jobs.splice(0)), "'jobs' must be a list of 1 to 10000 jobs"],
    ['a job name with a space', edited((_b, jobs) => (jobs[0] = { ...jobs[0], name: 'a b' })), "jobs[0]: 'name' must be a job name (letters, digits, '.', '_', '-', and a matrix's [key=value,…])"],
    ['a job name with a slash in its matrix', edited((_b, jobs) => (jobs[1] = { ...jobs[1], name: 'solve[re=../x]' })), "jobs[1]: 'name' must be a job name (letters, digits, '.', '_', '-', and a matrix's [key=value,…])"],
    ['two jobs of one name', edited((_b, jobs) => (jobs[2] = { ...jobs[2], name: 'mesh' })), "'jobs' must have names unique in the batch"],
    ['after an unknown job', edited((_b, jobs) => (jobs[0] = { ...jobs[0], after: ['nope'] })), "job 'mesh' is after 'nope', which is not a job of the batch"],
    ['a cycle', edited((_b, jobs) => (jobs[0] = { ...jobs[0], after: ['solve[re=100,grid=fine]'] })), 'the jobs wait for each other in a cycle: mesh -> solve[re=100,grid=fine] -> mesh'],
    ['a relative from', edited((_b, jobs) => (jobs[0] = { ...jobs[0], files: [{ from: 'etc/x', as: 'x' }] })), "jobs[0]: 'files[0].from' must be an absolute path"],
    ['an as outside', edited((_b, jobs) => (jobs[0] = { ...jobs[0], files: [{ from: '/x', as: '../x' }] })), "jobs[0]: 'files[0].as' must stay inside the working directory (no '..')"],
    ['a zero timeout', edited((_b, jobs) => (jobs[0] = { ...jobs[0], timeoutSec: 0 })), "jobs[0]: 'timeoutSec' must be between 1 and 8640000"],
    ['too many retries', edited((_b, jobs) => (jobs[0] = { ...jobs[0], retries: 101 })), "jobs[0]: 'retries' must be between 0 and 100"],
    ['a priority too low', edited((_b, jobs) => (jobs[0] = { ...jobs[0], priority: -1001 })), "jobs[0]: 'priority' must be between -1000 and 1000"],
    ['a bad begin', edited((_b, jobs) => (jobs[0] = { ...jobs[0], begin: 'soon' })), "jobs[0]: 'begin' must be a begin time such as 22:00, +2h or 2026-12-24"],
    ['a NUL in a command', edited((_b, jobs) => (jobs[0] = { ...jobs[0], command: 'a\0b' })), "jobs[0]: 'command' must be a command"],
    ['after not a list', edited((_b, jobs) => (jobs[0] = { ...jobs[0], after: 'mesh' })), "jobs[0]: 'after' must be a list of job names"],
  ];
  for (const [what, value, reason] of cases) t.strictSame(parseBatchSpec(value), { invalid: reason }, what);
});

t.test('relative paths inside a directory', async (t) => {
  for (const ok of ['results', 'a/b', './a', 'a/./b', 'a..b', '.hidden']) t.equal(relativePathError(ok), null, `'${ok}'`);
  t.equal(relativePathError('/abs'), 'must be relative to the working directory, not absolute');
  t.equal(relativePathError('a/../b'), "must stay inside the working directory (no '..')");
  t.equal(relativePathError('.'), 'must name something inside the working directory, not the directory itself');
  t.equal(relativePathError('./'), 'must name something inside the working directory, not the directory itself');
  t.equal(relativePathError(''), 'must be a relative path');
});

t.test('findCycle: none, self, long chains without recursion', async (t) => {
  const graph = (edges: Record<string, string[]>) => (n: string): string[] => edges[n] ?? [];
  t.equal(findCycle(['a', 'b', 'c'], graph({ b: ['a'], c: ['a', 'b'] })), null, 'a diamond is no cycle');
  t.strictSame(findCycle(['a'], graph({ a: ['a'] })), ['a', 'a']);
  t.strictSame(findCycle(['a', 'b', 'c'], graph({ a: ['b'], b: ['c'], c: ['b'] })), ['b', 'c', 'b'], 'the cycle only, not the path to it');
  t.equal(findCycle(['a'], graph({ a: ['zz'] })), null, 'unknown names are ignored');
  const n = 100_000;
  const names = Array.from({ length: n }, (_, i) => `j${i}`);
  const chain = (name: string): string[] => (name === 'j0' ? [] : [`j${Number(name.slice(1)) - 1}`]);
  t.equal(findCycle(names.slice().reverse(), chain), null, `a chain of ${n} jobs: no stack overflow`);
  t.strictSame(findCycle(names, (name) => (name === 'j0' ? [`j${n - 1}`] : chain(name)))?.length, n + 1, 'and a cycle through all of them');
});
