// Unit tests for the text and JSON of what batches add to the answers (console/batch-render.ts
// through console/render.ts, console/json.ts): show-batches lines, status-batch, the
// submit-batch and kill-batch answers, info's new lines, show-finished --long, a held job's
// status, and the JSON documents; built from BatchView and JobView fixtures.

import t from 'tap';
import type { BatchView, JobView, Reply } from '../../protocol/messages.js';
import { batchLine, batchStatusLines, finishedNote } from '../../console/batch-render.js';
import { itemJson, jobDoc, singleJson } from '../../console/json.js';
import { plain } from '../../console/paint.js';
import { infoLines, localTime, renderItem, renderSingle } from '../../console/render.js';

const paint = plain;
const AT = Date.UTC(2024, 4, 6, 9, 0, 0);

function job(over: Partial<JobView> = {}): JobView {
  return {
    jobId: 5, status: 'finished', command: './solve.sh 100 fine', pid: 2324, poolPid: 2300, dir: '/srv/jms/j5', runningForSec: null,
    submittedAt: AT, startedAt: AT + 2000, endedAt: AT + 62_500, result: { kind: 'exited', code: 0 }, timeoutSec: null, cwd: null,
    origin: null, pause: null, host: 'h1', needs: [], waiting: null, batch: null, name: null, kind: 'job', after: [], retries: 0, attempts: [],
    priority: 0, beginAt: null, hooks: [], archive: null, ...over,
  };
}

function batch(over: Partial<BatchView> = {}): BatchView {
  return {
    key: 'alice/sweep-1', name: 'sweep-1', namespace: 'alice', submittedAt: AT, state: 'active', reason: null, jobs: 7,
    counts: { queued: 2, active: 1, suspended: 1, finished: 3 }, outcomes: { succeeded: 2, failed: 1 },
    builds: [{ host: 'h1', jobId: 3, status: 'finished', outcome: 'succeeded' }, { host: 'h2', jobId: 4, status: 'active', outcome: null }],
    failures: [{ jobId: 9, name: 'solve[re=100,grid=fine]', outcome: 'failed', why: 'exit code 1' }],
    archive: '/srv/out/archive/alice/sweep-1', windows: null, notify: null, ...over,
  };
}

t.test('show-batches: one line per batch', async (t) => {
  t.equal(batchLine(batch(), paint), 'alice/sweep-1 active: 7 jobs: 2 succeeded, 1 failed, 2 running, 2 queued');
  const done = batch({ state: 'done', counts: { queued: 0, active: 0, suspended: 0, finished: 7 }, outcomes: { succeeded: 7 } });
  t.equal(batchLine(done, paint), 'alice/sweep-1 done: 7 jobs: 7 succeeded');
  const cancelled = batch({ state: 'cancelled', reason: 'its build failed on every host', jobs: 1, counts: { queued: 0, active: 0, suspended: 0, finished: 1 }, outcomes: { cancelled: 1 } });
  t.equal(batchLine(cancelled, paint), 'alice/sweep-1 cancelled (its build failed on every host): 1 job: 1 cancelled');
  const fresh = batch({ counts: { queued: 7, active: 0, suspended: 0, finished: 0 }, outcomes: {} });
  t.equal(batchLine(fresh, paint), 'alice/sweep-1 active: 7 jobs: 7 queued');
  const item: Reply = { kind: 'batch', id: 1, batch: batch({ outcomes: { 'dependency-failed': 2, 'timed-out': 1 } }) };
  t.equal(renderItem('show-batches', 2, item, paint), '2. alice/sweep-1 active: 7 jobs: 1 timed out, 2 dependency failed, 2 running, 2 queued', 'numbered, outcomes in their order');
});

t.test('status-batch: counts, builds, failures, windows, archive', async (t) => {
  const lines = renderSingle({ kind: 'batch', id: 1, batch: batch({ windows: 'mon-fri 19:00-08:00, sat-sun' }) }, paint).split('\n');
  t.strictSame(lines, [
    'Batch: alice/sweep-1',
    'State: active',
    `Submitted: ${localTime(AT)}`,
    'Jobs: 7 (2 queued, 1 active, 1 suspended, 3 finished)',
    'Outcomes: 2 succeeded, 1 failed',
    'Builds: h1 succeeded (JobID 3), h2 active (JobID 4)',
    'Not succeeded:',
    '  JobID 9 solve[re=100,grid=fine]: failed (exit code 1)',
    'Windows: mon-fri 19:00-08:00, sat-sun',
    'Archive: /srv/out/archive/alice/sweep-1',
  ]);
  const more = batchStatusLines(batch({ outcomes: { succeeded: 1, failed: 3 }, builds: [], notify: { when: 'batch', command: 'mail -s done alice', state: 'failed', how: 'exit code 1', log: '/srv/out/n.log' } }), paint);
  t.ok(more.includes('  … and 2 more (\'export-log alice/sweep-1\' lists every run)'), 'failures past those listed are counted');
  t.ok(more.includes('Builds: none'));
  t.ok(more.includes('Windows: none (any time)'));
  t.equal(more.at(-1), 'Notify: mail -s done alice: failed (exit code 1); log /srv/out/n.log');
  const quiet = batchStatusLines(batch({ failures: [], outcomes: {} }), paint);
  t.notOk(quiet.includes('Not succeeded:'), 'no failures, no section');
  t.ok(quiet.includes('Outcomes: none yet'));
});

t.test('submit-batch and kill-batch answers', async (t) => {
  const submitted = (jobs: number, first: number, last: number, builds: number): string =>
    renderSingle({ kind: 'batch-submitted', id: 1, batch: 'alice/sweep-1', jobs, firstJobId: first, lastJobId: last, builds }, paint);
  t.equal(submitted(8, 3, 10, 2), 'Batch alice/sweep-1: 8 jobs, JobID 3-10 (2 of them builds)');
  t.equal(submitted(8, 3, 10, 1), 'Batch alice/sweep-1: 8 jobs, JobID 3-10 (1 of them a build)');
  t.equal(submitted(1, 4, 4, 0), 'Batch alice/sweep-1: 1 job, JobID 4');
  t.equal(renderSingle({ kind: 'batch-killed', id: 1, batch: 'alice/sweep-1', dequeued: 3, signalled: 1 }, paint),
    'Killed batch alice/sweep-1: removed 3 queued jobs from the queue, sent the kill signal to 1 running job');
  t.equal(singleJson({ kind: 'batch-submitted', id: 1, batch: 'alice/sweep-1', jobs: 8, firstJobId: 3, lastJobId: 10, builds: 2 }),
    '{"batch":"alice/sweep-1","jobs":8,"firstJobId":3,"lastJobId":10,"builds":2}');
});

const RICH = job({
  batch: 'alice/sweep-1', name: 'solve[re=100,grid=fine]', after: [3, 4], retries: 2, priority: -5, beginAt: AT + 3600_000,
  attempts: [{ host: 'h2', dir: '/srv/jms/j5a', startedAt: AT + 1000, endedAt: AT + 1500, result: { kind: 'exited', code: 1 } }],
  hooks: [{ when: 'any', command: './notify.sh', state: 'done', how: 'exit code 0', log: '/srv/out/hooks/5.log' }],
  archive: '/srv/out/archive/alice/sweep-1/solve[re=100,grid=fine]',
});

t.test('info: batch, after, priority, begin, retries, attempts, hooks, archive', async (t) => {
  const lines = infoLines(RICH, paint);
  t.equal(lines[13], 'Submitted by: -', 'the classic lines come first, unchanged');
  t.strictSame(lines.slice(14), [
    'Batch: alice/sweep-1, job solve[re=100,grid=fine]',
    'After: JobIDs 3, 4 (must succeed first)',
    'Priority: -5',
    `Begin: ${localTime(AT + 3600_000)}`,
    'Retries: 2 (1 used)',
    'Attempt 1: failed (exit code 1) on h2, directory /srv/jms/j5a',
    'Exit hook (any): ./notify.sh: done (exit code 0); log /srv/out/hooks/5.log',
    'Archive: /srv/out/archive/alice/sweep-1/solve[re=100,grid=fine]',
  ]);
  t.equal(infoLines(job(), paint).length, 14, 'a plain job has no new lines');
  const build = infoLines(job({ batch: 'alice/sweep-1', kind: 'build', name: null, after: [7] }), paint);
  t.ok(build.includes('Batch: alice/sweep-1, build step on h1'));
  t.ok(build.includes('After: JobID 7 (must succeed first)'));
  const lost = infoLines(job({ attempts: [{ host: null, dir: null, startedAt: null, endedAt: AT, result: { kind: 'lost', reason: 'h1 went down' } }] }), paint);
  t.ok(lost.includes('Attempt 1: lost: h1 went down on -, directory -'));
});

t.test('status of a held job says what it waits for', async (t) => {
  const held = job({ status: 'queued', result: null, startedAt: null, endedAt: null, waiting: 'waiting for JobID 3 to succeed' });
  t.equal(renderSingle({ kind: 'status', id: 1, job: held }, paint), 'JobID 5 Status: Queued (waiting for JobID 3 to succeed)');
  const later = job({ status: 'queued', result: null, waiting: 'held until 2024-05-06 22:00 (--begin)' });
  t.equal(renderSingle({ kind: 'status', id: 1, job: later }, paint), 'JobID 5 Status: Queued (held until 2024-05-06 22:00 (--begin))');
});

t.test('show-finished --long: batch, name and attempts', async (t) => {
  t.equal(renderItem('show-finished', 1, { kind: 'detail', id: 1, job: RICH }, paint),
    '1. JobID 5 succeeded (exit code 0); batch alice/sweep-1 job solve[re=100,grid=fine]; 2 attempts (earlier: failed)');
  t.equal(renderItem('show-finished', 2, { kind: 'detail', id: 1, job: job() }, paint), '2. JobID 5 succeeded (exit code 0)', 'a plain job as before');
  t.equal(renderItem('wait', 1, { kind: 'detail', id: 1, job: RICH }, paint), 'JobID 5 succeeded (exit code 0)', 'wait keeps its line');
  t.equal(finishedNote(job({ batch: 'a/b', kind: 'build' })), '; batch a/b build step');
  const dep = job({ result: { kind: 'dependency-failed', jobId: 3, outcome: 'failed' }, startedAt: null });
  t.equal(renderItem('show-finished', 1, { kind: 'detail', id: 1, job: dep }, paint), '1. JobID 5 dependency failed: JobID 3 failed');
});

t.test('json: the job document carries batch, name, attempts, hooks', async (t) => {
  const doc = jobDoc(RICH);
  t.match(doc, {
    outcome: 'succeeded', batch: 'alice/sweep-1', name: 'solve[re=100,grid=fine]', kind: 'job', after: [3, 4], retries: 2, priority: -5,
    beginAt: new Date(AT + 3600_000).toISOString(), archive: '/srv/out/archive/alice/sweep-1/solve[re=100,grid=fine]',
    hooks: [{ when: 'any', command: './notify.sh', state: 'done', how: 'exit code 0', log: '/srv/out/hooks/5.log' }],
  });
  t.strictSame(doc['attempts'], [{
    host: 'h2', dir: '/srv/jms/j5a', startedAt: new Date(AT + 1000).toISOString(), endedAt: new Date(AT + 1500).toISOString(),
    outcome: 'failed', exitCode: 1, signal: null, reason: null,
  }]);
  const dep = jobDoc(job({ result: { kind: 'dependency-failed', jobId: 3, outcome: 'killed' } }));
  t.match(dep, { outcome: 'dependency-failed', reason: 'JobID 3 killed' });
  const archive = jobDoc(job({ result: { kind: 'archive-failed', reason: 'no space left on the archive' } }));
  t.match(archive, { outcome: 'failed', reason: 'no space left on the archive' });
});

t.test('json: batch items and status-batch', async (t) => {
  const b = batch();
  const line = JSON.parse(itemJson({ kind: 'batch', id: 1, batch: b })) as unknown;
  t.match(line, { key: 'alice/sweep-1', state: 'active', jobs: 7, submittedAt: new Date(AT).toISOString(), outcomes: { succeeded: 2, failed: 1 } });
  t.equal(singleJson({ kind: 'batch', id: 1, batch: b }), itemJson({ kind: 'batch', id: 1, batch: b }), 'status-batch: the same document');
  t.equal(itemJson({ kind: 'file', id: 1, root: '/a', file: { path: 'mesh/out.msh', size: 12 } }), '{"root":"/a","path":"mesh/out.msh","size":12}');
});
