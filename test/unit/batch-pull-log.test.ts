// Unit tests for pull's choosing and copying (console/pull.ts, on a real archive folder in a
// test directory), export-log's rows (console/export-log.ts) and how submit-batch cuts a
// batch into parts (console/batch-send.ts).

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { splitParts } from '../../console/batch-send.js';
import { JOBLOG_HEADER, joblogJson, joblogLine, joblogRows } from '../../console/export-log.js';
import { copyFiles, defaultTarget, keyOfRoot, selectFiles, shownPath, sizeText } from '../../console/pull.js';
import type { ArchiveFile, JobView } from '../../protocol/messages.js';
import { BATCH_PART_BYTES } from '../../protocol/parse-batch.js';

const FILES: ArchiveFile[] = [
  { path: 'mesh/results/out.msh', size: 5 },
  { path: 'mesh/stdout_3', size: 3 },
  { path: 'solve[re=100]/results/a.csv', size: 4 },
  { path: 'solve[re=100]/results/tmp/b.csv', size: 6 },
  { path: 'solve[re=100]/stderr_4', size: 0 },
];

t.test('selectFiles: any include, then no exclude, on the path', async (t) => {
  const paths = (inc: RegExp[], exc: RegExp[]): string[] => selectFiles(FILES, inc, exc).map((f) => f.path);
  t.strictSame(paths([], []), FILES.map((f) => f.path), 'nothing given: every file');
  t.strictSame(paths([/\.csv$/], []), ['solve[re=100]/results/a.csv', 'solve[re=100]/results/tmp/b.csv']);
  t.strictSame(paths([/\.csv$/, /^mesh\//], [/\/tmp\//]), ['mesh/results/out.msh', 'mesh/stdout_3', 'solve[re=100]/results/a.csv']);
  t.strictSame(paths([], [/std(out|err)_/]), ['mesh/results/out.msh', 'solve[re=100]/results/a.csv', 'solve[re=100]/results/tmp/b.csv']);
  t.strictSame(paths([/\.csv$/g], []), ['solve[re=100]/results/a.csv', 'solve[re=100]/results/tmp/b.csv'], 'a /g expression matches each path afresh');
  t.strictSame(paths([/nothing/], []), []);
});

t.test('copyFiles: a real archive copied, paths kept, files replaced', async (t) => {
  const dir = t.testdir({
    archive: {
      mesh: { results: { 'out.msh': 'mesh\n' }, stdout_3: 'hi\n' },
      'solve[re=100]': { results: { 'a.csv': '1,2\n', tmp: { 'b.csv': 'tmp\n' } }, stderr_4: '' },
    },
    out: { mesh: { results: { 'out.msh': 'old contents\n' } } },
  });
  const root = join(dir, 'archive');
  const to = join(dir, 'out');
  const seen: string[] = [];
  const chosen = selectFiles(FILES, [/\.csv$/, /\.msh$/], [/tmp/]);
  const done = await copyFiles(root, chosen, to, (f) => seen.push(f.path));
  t.strictSame(done.failed, []);
  t.strictSame(seen, ['mesh/results/out.msh', 'solve[re=100]/results/a.csv'], 'each file told as it is copied');
  t.equal(done.bytes, 9);
  t.equal(fs.readFileSync(join(to, 'mesh/results/out.msh'), 'utf8'), 'mesh\n', 'a file already there is replaced');
  t.equal(fs.readFileSync(join(to, 'solve[re=100]/results/a.csv'), 'utf8'), '1,2\n', 'folders made as needed');
  t.notOk(fs.existsSync(join(to, 'solve[re=100]/results/tmp')), 'an excluded file is not copied');
  t.notOk(fs.existsSync(join(to, 'mesh/stdout_3')), 'nor one that matches no include');
});

t.test('copyFiles: a file that cannot be copied is told, the others still are', async (t) => {
  const dir = t.testdir({ archive: { a: { 'x.txt': 'x' }, b: { 'y.txt': 'y' } }, out: { a: 'a file where a folder must go' } });
  const files: ArchiveFile[] = [{ path: 'a/x.txt', size: 1 }, { path: 'gone.txt', size: 1 }, { path: 'b/y.txt', size: 1 }, { path: '../escape', size: 1 }];
  const done = await copyFiles(join(dir, 'archive'), files, join(dir, 'out'), () => undefined);
  t.strictSame(done.copied.map((f) => f.path), ['b/y.txt']);
  t.strictSame(done.failed.map((f) => f.path), ['a/x.txt', 'gone.txt', '../escape']);
  t.match(done.failed[0]?.why, /not a directory|exists/i, 'the reason is the system\'s');
  t.equal(done.failed[1]?.why, 'it is no longer in the archive');
  t.equal(done.failed[2]?.why, 'its path leaves the folder', 'a path out of the folder is refused, not followed');
  t.notOk(fs.existsSync(join(dir, 'escape')));
});

t.test('pull: names and sizes as shown', async (t) => {
  t.equal(keyOfRoot('/srv/out/archive/alice/sweep-1'), 'alice/sweep-1');
  t.equal(defaultTarget('alice/sweep-1'), './sweep-1');
  t.equal(defaultTarget('sweep-1'), './sweep-1');
  t.equal(shownPath('./sweep-1', 'mesh/out.msh'), './sweep-1/mesh/out.msh');
  t.equal(shownPath('results', 'mesh/out.msh'), 'results/mesh/out.msh');
  t.equal(shownPath('/tmp/r', 'a'), '/tmp/r/a');
  t.strictSame([0, 1, 512, 1024, 12 * 1024, 1536, 5 * 1024 * 1024, 3 * 1024 ** 3].map(sizeText),
    ['0 bytes', '1 byte', '512 bytes', '1.0 KB', '12 KB', '1.5 KB', '5.0 MB', '3.0 GB']);
});

const T0 = Date.UTC(2024, 4, 6, 9, 0, 0, 123);

function view(over: Partial<JobView>): JobView {
  return {
    jobId: 1, status: 'finished', command: 'echo', pid: null, poolPid: null, dir: null, runningForSec: null, submittedAt: T0, startedAt: T0,
    endedAt: T0 + 1500, result: { kind: 'exited', code: 0 }, timeoutSec: null, cwd: null, origin: null, pause: null, host: 'local', needs: [],
    waiting: null, batch: 'alice/s', name: 'a', kind: 'job', after: [], retries: 0, attempts: [], priority: 0, beginAt: null, hooks: [], archive: null,
    ...over,
  };
}

t.test('export-log: one row per run, earlier attempts first, as GNU parallel writes them', async (t) => {
  const views = [
    view({ jobId: 7, command: './solve.sh\t100\nfine', host: 'h1', result: { kind: 'signalled', signal: 'SIGKILL' },
      attempts: [{ host: 'h2', dir: '/d', startedAt: T0 - 10_000, endedAt: T0 - 9000, result: { kind: 'exited', code: 3 } },
        { host: 'h2', dir: null, startedAt: null, endedAt: T0 - 5000, result: { kind: 'lost', reason: 'h2 went down' } }] }),
    view({ jobId: 3 }),
    view({ jobId: 4, status: 'active', endedAt: null, result: null }),
    view({ jobId: 5, startedAt: null, result: { kind: 'dependency-failed', jobId: 3, outcome: 'failed' } }),
    view({ jobId: 6, result: { kind: 'timed-out', signal: 'SIGTERM', code: null, afterSec: 1 } }),
    view({ jobId: 8, result: { kind: 'lost', reason: 'pool died' }, endedAt: T0 + 123_456_789 }),
  ];
  const rows = joblogRows(views);
  const start = (ms: number): string => (ms / 1000).toFixed(3);
  t.strictSame(rows.map(joblogLine), [
    `3\tlocal\t${start(T0)}\t   1.500\t0\t0\t0\t0\techo`,
    `6\tlocal\t${start(T0)}\t   1.500\t0\t0\t-1\t15\techo`,
    `7\th2\t${start(T0 - 10_000)}\t   1.000\t0\t0\t3\t0\t./solve.sh 100 fine`,
    `7\th1\t${start(T0)}\t   1.500\t0\t0\t-1\t9\t./solve.sh 100 fine`,
    `8\tlocal\t${start(T0)}\t123456.789\t0\t0\t-1\t0\techo`,
  ], 'by JobID; runs never started and jobs not ended are left out; tabs and newlines of a command become spaces');
  t.equal(JOBLOG_HEADER.split('\t').length, 9);
  t.equal(JOBLOG_HEADER, 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand');
  t.strictSame(rows.map((r) => r.attempt), [1, 1, 1, 3, 1], 'the attempt number counts the run never started');
  t.strictSame(JSON.parse(joblogJson(rows[0] ?? rows[1] ?? { seq: 0, host: '', startedAt: 0, runtimeMs: 0, exitval: 0, signal: 0, command: '', batch: null, name: null, attempt: 0 })) as unknown, {
    seq: 3, host: 'local', startTime: T0 / 1000, jobRuntime: 1.5, send: 0, receive: 0, exitval: 0, signal: 0, command: 'echo', batch: 'alice/s', name: 'a', attempt: 1,
  });
});

t.test('splitParts: each part fits once escaped, never cut inside a character', async (t) => {
  t.strictSame(splitParts('{}'), ['{}'], 'a small batch is one part');
  t.strictSame(splitParts(''), [''], 'even an empty text is one part');
  const text = JSON.stringify({ name: 'x', jobs: Array.from({ length: 3000 }, (_, i) => ({ name: `j${i}`, command: `echo "é ✓ 😀 \\ ${i}"\t` })) });
  const most = 4096;
  const parts = splitParts(text, most);
  t.ok(parts.length > 10, `many parts (${parts.length})`);
  t.equal(parts.join(''), text, 'joined, the parts are the text');
  for (const [i, p] of parts.entries()) {
    const bytes = Buffer.byteLength(JSON.stringify(p)) - 2;
    if (bytes > most) t.fail(`part ${i} is ${bytes} bytes escaped`);
    if (/^[\udc00-\udfff]/.test(p) || /[\ud800-\udbff]$/.test(p)) t.fail(`part ${i} cuts a surrogate pair`);
  }
  t.ok(parts.slice(0, -1).every((p) => Buffer.byteLength(JSON.stringify(p)) - 2 > most - 8), 'parts are filled up, not cut short');
  t.equal(splitParts('x'.repeat(BATCH_PART_BYTES + 1)).length, 2, 'the default size is BATCH_PART_BYTES');
});
