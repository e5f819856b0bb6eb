// What the console's pass added to the coordinator, at the protocol level and as a user
// sees it: `cancel` (a wait or a long batch forgotten, answered E_CANCELLED, nothing else
// changed), show-pools --long marking the spare pool (counted in --max-pools), and purge
// sparing the directories of jobs still running.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { jobDirs, run, SCRIPT, startCoord, submitted } from '../helpers/coord.js';
import { isAlive, procStat } from '../helpers/proc.js';
import { connectRaw } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

t.test('cancel: the coordinator forgets a wait, answers it E_CANCELLED, and changes nothing else', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'gate');
  const job = submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`));
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  await raw.request({ kind: 'wait', id: 1, jobIds: [job.jobId] });
  await raw.request({ kind: 'wait', id: 2, jobIds: [job.jobId] });
  await raw.request({ kind: 'cancel', id: 3, requestId: 1 });
  await waitFor('the answer to the cancelled wait', () => raw.repliesTo(1).length > 0);
  t.same(raw.repliesTo(1), [{ kind: 'error', id: 1, code: 'E_CANCELLED', message: 'the request was cancelled by its console; nothing else changed.' }],
    'the cancelled wait is answered with E_CANCELLED');
  t.same(raw.repliesTo(3), [], 'a cancel has no answer of its own');
  await raw.request({ kind: 'cancel', id: 4, requestId: 99 });
  await raw.request({ kind: 'status', id: 5, jobId: job.jobId });
  await waitFor('the status answer', () => raw.repliesTo(5).length > 0);
  t.same(raw.repliesTo(4), [], 'cancelling a request that is not pending does nothing');
  t.match(raw.repliesTo(5), [{ kind: 'status', job: { status: 'active' } }], 'the job runs on');
  t.same(raw.repliesTo(2), [], 'the other wait still waits');
  fs.writeFileSync(gate, '');
  await waitFor('the other wait to end', () => raw.repliesTo(2).some((f) => f['kind'] === 'end'));
  t.match(raw.repliesTo(2), [{ kind: 'detail', job: { jobId: job.jobId, result: { kind: 'exited', code: 0 } } }, { kind: 'end', count: 1 }]);
  t.same(raw.repliesTo(1).length, 1, 'and the cancelled one got nothing more');
  t.match(c.log(), /console \d+: request 1 cancelled/);
});

t.test('cancel stops a long batch mid-stream', async (t) => {
  const c = await startCoord(t, { jobsPool: 50 });
  const JOBS = 300;
  // 300 finished jobs with 16 KB command lines: show-finished --long is about 5 MB.
  const long = `true ${'x'.repeat(16_000)}`;
  t.equal((await c.feed(Array.from({ length: JOBS }, () => `submit ${long}`), ['-q'])).code, 0);
  await waitFor('every job to finish', async () => (await c.ok(`status ${JOBS}`)) === `JobID ${JOBS} Status: Finished`, 30_000);
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  raw.stopReading();
  const mark = c.log().length;
  await raw.request({ kind: 'show-finished', id: 1, long: true });
  await raw.request({ kind: 'cancel', id: 2, requestId: 1 });
  await waitFor('the coordinator to take the cancel', () => /console \d+: request 1 cancelled/.test(c.log().slice(mark)));
  raw.resumeReading();
  await waitFor('the batch to end', () => raw.repliesTo(1).some((f) => f['kind'] === 'error' || f['kind'] === 'end'));
  const got = raw.repliesTo(1);
  const last = got.at(-1);
  t.match(last, { kind: 'error', code: 'E_CANCELLED' }, 'the batch ends with E_CANCELLED, not its end frame');
  const items = got.filter((f) => f['kind'] === 'detail').length;
  t.ok(items < JOBS, `it stopped after ${items} of ${JOBS} items`);
  await raw.request({ kind: 'status', id: 3, jobId: 1 });
  await waitFor('the next answer', () => raw.repliesTo(3).length > 0);
  t.pass('the session goes on');
});

t.test('show-pools --long marks the spare pool, which counts in --max-pools', async (t) => {
  // A spare that takes no job leaves after --pool-idle: long enough here to look at it.
  const c = await startCoord(t, { jobsPool: 2, maxPools: 2, poolIdleMs: 60_000 });
  const gate = join(c.dir, 'gate');
  const job = submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`));
  const poolPid = procStat(job.pid)?.ppid ?? -1;
  // Half of the first pool's quota is taken: a spare is started ahead of need.
  const long = await waitFor('the spare pool', async () => {
    const answer = await c.ok('show-pools --long');
    return answer.split('\n').length === 3 ? answer : undefined;
  });
  const spare = /^2\. (\d+) 0 \(spare: started ahead of need, takes jobs once the current pool is full\)$/m.exec(long);
  t.match(long, new RegExp(`^Pool & NumOfJobs:\\n1\\. ${poolPid} 1 \\(has taken 1 of its 2 jobs\\)\\n2\\. \\d+ 0 \\(spare: `), `show-pools --long: ${long}`);
  t.ok(spare !== null && isAlive(Number(spare[1])), 'the spare is a live process');
  t.equal(await c.ok('show-pools'), `Pool & NumOfJobs:\n1. ${poolPid} 1`, 'the classic show-pools is as it was: the spare is not listed');
  const json = await c.cmd('--json show-pools --long');
  t.same(json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown), [
    { pid: poolPid, jobs: 1, host: 'local', taken: 1, capacity: 2, spare: false },
    { pid: Number(spare?.[1]), jobs: 0, host: 'local', taken: 0, capacity: 2, spare: true },
  ], '--json marks it too');
  // --max-pools 2 counts the spare: once the first pool is full the next jobs go to the
  // spare, and the fifth waits for room instead of starting a third pool.
  for (let i = 0; i < 3; i += 1) submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`));
  t.equal(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`), 'JobID: 5, Queued (position 1)', 'both pools full: the fifth job waits; no third pool');
  const pools = (await c.ok('show-pools --long')).split('\n').slice(1);
  t.equal(pools.length, 2, `two pools, never more: ${pools.join(' | ')}`);
  fs.writeFileSync(gate, '');
});

t.test('purge spares the directories of jobs still running, and says so', async (t) => {
  const c = await startCoord(t);
  const gate = join(c.dir, 'gate');
  const done = submitted(await c.ok('submit echo done'));
  const running = submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.05; done`));
  await waitFor('job 1 to finish', async () => (await c.ok(`status ${done.jobId}`)) === `JobID ${done.jobId} Status: Finished`);
  const dirs = jobDirs(c.out);
  const purge = await run('bash', [SCRIPT, '-l', c.out, '-c', 'purge']);
  t.equal(purge.code, 0, purge.stderr);
  t.equal(purge.stdout, `Removed 1 job directories\nSpared ${dirs.get(running.jobId)}: JobID ${running.jobId} is still running (--include-running removes it too)\n`);
  t.same([...jobDirs(c.out).keys()], [running.jobId], "only the finished job's directory is gone");
  t.match(await c.ok(`logs ${running.jobId}`), '', 'logs of the running job still reads');
  const all = await run('bash', [SCRIPT, '-c', 'purge', '--include-running', '-l', c.out]);
  t.equal(all.stdout, 'Removed 1 job directories\n', '--include-running removes it too');
  t.same([...jobDirs(c.out).keys()], []);
  fs.writeFileSync(gate, '');
});
