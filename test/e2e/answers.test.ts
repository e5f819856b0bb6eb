// Every answer of SPEC.md §2, checked literally against a real coordinator, real
// FIFOs and real /bin/sh jobs.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startCoord, submitted } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

t.test('queries before any job answer with empty lists', async (t) => {
  const c = await startCoord(t);
  const r = await c.feed(['status-all', 'show-active', 'show-pools', 'show-finished']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout, 'Active jobs:\nPool & NumOfJobs:\nFinished jobs:\n');
  t.equal(r.stderr, '');
});

t.test('the classic answers, literally', async (t) => {
  // A long --pool-idle: pool 1 must still take job 2 however slowly the consoles start.
  const c = await startCoord(t, { jobsPool: 2, poolIdleMs: 60_000 });
  const gate = join(c.dir, 'go');
  const wait = `while [ ! -e ${gate} ]; do sleep 0.02; done`;

  const quick = submitted(await c.ok('submit true'));
  t.equal(quick.jobId, 1, 'job ids start at 1');
  const long = submitted(await c.ok(`submit ${wait}`));
  const third = submitted(await c.ok(`submit ${wait}`));
  t.same([long.jobId, third.jobId], [2, 3]);
  t.ok(long.pid > 1 && third.pid > 1 && long.pid !== third.pid, 'real, distinct pids');

  await waitFor('job 1 to finish', async () => (await c.ok('status 1')) === 'JobID 1 Status: Finished');
  t.match(await c.ok('status 2'), /^JobID 2 Status: Active \(running for \d+ seconds\)$/);

  t.equal(await c.ok('suspend 2'), 'Sent suspend signal to JobID 2');
  t.equal(await c.ok('status 2'), 'JobID 2 Status: Suspended');

  const all = await c.ok('status-all');
  t.match(all, /^1\. JobID 1 Status: Finished\n2\. JobID 2 Status: Suspended\n3\. JobID 3 Status: Active \(running for \d+ sec\)$/);
  t.equal(await c.ok('show-active'), 'Active jobs:\n1. JobID 3');
  t.equal(await c.ok('show-finished'), 'Finished jobs:\n1. JobID 1');

  const pools = await c.ok('show-pools');
  const lines = pools.split('\n');
  t.equal(lines[0], 'Pool & NumOfJobs:');
  t.equal(lines.length, 3, 'two live pools: the first took jobs 1 and 2, the second job 3');
  t.match(lines[1] ?? '', /^1\. \d+ 1$/, 'pool 1 has one job under execution (job 2)');
  t.match(lines[2] ?? '', /^2\. \d+ 1$/);

  t.equal(await c.ok('resume 2'), 'Sent resume signal to JobID 2');
  t.match(await c.ok('status 2'), /^JobID 2 Status: Active \(running for \d+ seconds\)$/);

  fs.writeFileSync(gate, '');
  await waitFor('jobs 2 and 3 to finish', async () => (await c.ok('show-finished')).split('\n').length === 4);
  t.equal(await c.ok('show-active'), 'Active jobs:');
  t.equal(await c.ok('shutdown'), 'Served 3 jobs, 0 were still in progress');
  t.same(await c.exited(), { code: 0, signal: null });
});

t.test('status-all <duration> keeps only recent submissions', async (t) => {
  const c = await startCoord(t);
  await c.ok('submit true');
  const r0 = await c.ok('status-all 0');
  t.equal(r0, '', 'nothing was submitted in the last 0 seconds');
  t.match(await c.ok('status-all 3600'), /^1\. JobID 1 Status: (Finished|Active \(running for \d+ sec\))$/);
});

t.test('an operations file is echoed command by command, then stdin is read', async (t) => {
  const c = await startCoord(t);
  const ops = join(c.dir, 'ops.txt');
  fs.writeFileSync(ops, '# a comment\nsubmit true\n\nshow-pools\n');
  const r = await c.feed(['status 1'], ['-o', ops]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^jms> submit true\nJobID: 1, PID: \d+\njms> show-pools\nPool & NumOfJobs:\n(1\. \d+ [01]\n)?JobID 1 Status: (Finished|Active \(running for \d+ seconds\))\n$/);
});
