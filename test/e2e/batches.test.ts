// Batches, dependencies, retries, priorities, begin times and exit hooks on a real
// coordinator on this machine, through a real FIFO client (the frames a console sends):
// a dependency failure ends the jobs after it (and theirs) as dependency-failed; a job
// that fails is run again up to its retries, keeping every attempt; `--begin` holds a
// job until the coordinator's (injected) clock gets there; a batch with a build step,
// staged files, a matrix and a save folder runs in its job directories and archives
// what they saved; an exit hook sees the job's variables and runs once across a SIGKILL.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, run, startCoord } from '../helpers/coord.js';
import { batchSpec, client, finished, info, one, submit, submitBatch } from '../helpers/requests.js';
import { waitFor } from '../helpers/wait.js';

const SCRIPT = join(ROOT, 'scripts', 'jms_script.sh');

t.test('a failed dependency ends the jobs after it, and theirs, as dependency-failed', async (t) => {
  const c = await startCoord(t);
  const cl = await client(t, c);
  const gate = join(c.dir, 'gate');
  const a = await submit(cl, `until [ -e ${gate} ]; do sleep 0.05; done; exit 3`);
  const b = await submit(cl, 'echo never > b.txt', { after: [a] });
  const d = await submit(cl, 'echo never > d.txt', { after: [b] });
  const ok = await submit(cl, `until [ -e ${gate} ]; do sleep 0.05; done`);
  const e = await submit(cl, 'echo ran', { after: [ok] });
  t.match((await info(cl, d)).waiting, `waiting for JobID ${b} to succeed`, 'status says what it waits for');
  fs.writeFileSync(gate, '');
  t.match((await finished(cl, a)).result, { kind: 'exited', code: 3 });
  t.match((await finished(cl, b)).result, { kind: 'dependency-failed', jobId: a, outcome: 'failed' }, 'b names a');
  t.match((await finished(cl, d)).result, { kind: 'dependency-failed', jobId: b, outcome: 'dependency-failed' }, 'd names b');
  t.match((await finished(cl, e)).result, { kind: 'exited', code: 0 }, 'a job after a success runs');
  t.notOk(fs.existsSync(join(c.dir, 'b.txt')), 'b never ran');
  const unknown = await one(cl, { kind: 'submit', command: 'true', after: [999] });
  t.match(unknown, { kind: 'error', code: 'E_BAD_REQUEST', message: /JobID 999, which does not exist/ }, 'an unknown id is refused');
  const late = await one(cl, { kind: 'submit', command: 'true', after: [a] });
  t.match(late, { kind: 'error', message: /JobID \d+, which failed: a job after it would never run/ }, 'a failed one is refused');
});

t.test('a job that fails is run again up to its retries; info keeps every attempt', async (t) => {
  const c = await startCoord(t);
  const cl = await client(t, c);
  const counter = join(c.dir, 'count');
  const cmd = `n=$(cat ${counter} 2>/dev/null || echo 0); echo $((n+1)) > ${counter}; echo "attempt $JMS_ATTEMPT"; [ "$n" -ge 2 ]`;
  const id = await submit(cl, cmd, { retries: 3 });
  const v = await finished(cl, id);
  t.match(v.result, { kind: 'exited', code: 0 }, 'the third run succeeded');
  t.equal(v.attempts.length, 2, 'two earlier attempts');
  for (const a of v.attempts) t.match(a, { host: 'local', result: { kind: 'exited', code: 1 }, dir: String }, 'each failed with its directory');
  const dirs = new Set([...v.attempts.map((a) => a['dir']), v['dir']]);
  t.equal(dirs.size, 3, 'each run had its own directory');
  const once = await submit(cl, 'exit 5', { retries: 1 });
  const w = await finished(cl, once);
  t.match(w.result, { kind: 'exited', code: 5 }, 'out of retries: it failed');
  t.equal(w.attempts.length, 1);
  const killed = await submit(cl, 'sleep 30', { retries: 2 });
  await waitFor('it to run', async () => (await info(cl, killed)).status === 'active');
  await one(cl, { kind: 'kill', jobId: killed });
  const k = await finished(cl, killed);
  t.equal(k.attempts.length, 0, 'a killed job is not run again');
});

t.test('--begin holds a job until the coordinator clock; --priority orders the queue', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
  const cl = await client(t, c);
  const held = await submit(cl, 'true', { begin: '+2h' });
  const v = await info(cl, held);
  t.equal(v.status, 'queued');
  t.match(v.waiting, /^held until \d{4}-\d\d-\d\d \d\d:\d\d \(--begin\)$/, `status says why: ${v.waiting}`);
  // One slot: a long job holds it while three queue with priorities.
  const gate = join(c.dir, 'gate');
  const blocker = await submit(cl, `until [ -e ${gate} ]; do sleep 0.05; done`);
  await waitFor('the blocker to run', async () => (await info(cl, blocker)).status === 'active');
  const order = join(c.dir, 'order');
  const low = await submit(cl, `echo low >> ${order}`, { priority: -1 });
  const mid = await submit(cl, `echo mid >> ${order}`);
  const high = await submit(cl, `echo high >> ${order}`, { priority: 5 });
  const queued = await cl.ask({ kind: 'show-queued' }, true);
  t.same(queued.filter((f) => f['kind'] === 'job').map((f) => (f['job'] as { jobId: number }).jobId), [high, held, mid, low], 'queue order: priority, then submission');
  fs.writeFileSync(gate, '');
  for (const id of [low, mid, high]) await finished(cl, id);
  t.equal(fs.readFileSync(order, 'utf8'), 'high\nmid\nlow\n', 'they ran in priority order');
  t.equal((await info(cl, held)).status, 'queued', 'the held job still waits');
  c.advance(2 * 3600_000 + 1000);
  t.match((await finished(cl, held)).result, { kind: 'exited', code: 0 }, 'it ran once the clock got there');
});

t.test('an exit hook sees the job, once; --on-exit cases by outcome', async (t) => {
  const c = await startCoord(t);
  const cl = await client(t, c);
  const env = join(c.dir, 'hook-env');
  const hook = `env | grep -E '^JMS_(JOB_ID|OUTCOME|EXIT_CODE|HOST|JOB_DIR|ATTEMPTS)=' | sort >> ${env}`;
  const id = await submit(cl, 'exit 4', { onExit: [{ when: 'failed', command: hook }, { when: 'succeeded', command: `touch ${join(c.dir, 'wrong')}` }] });
  const v = await finished(cl, id);
  await waitFor('the hook to be done', async () => ((await info(cl, id))['hooks'] as { state: string }[])[0]?.state === 'done');
  const lines = fs.readFileSync(env, 'utf8').trim().split('\n');
  t.same(lines, [`JMS_ATTEMPTS=1`, `JMS_EXIT_CODE=4`, `JMS_HOST=local`, `JMS_JOB_DIR=${String(v['dir'])}`, `JMS_JOB_ID=${id}`, `JMS_OUTCOME=failed`], 'its variables');
  t.notOk(fs.existsSync(join(c.dir, 'wrong')), 'the succeeded case did not run');
  const hooks = (await info(cl, id))['hooks'] as Record<string, unknown>[];
  t.equal(hooks.length, 1, 'info shows the hook that applied');
  t.match(hooks[0], { when: 'failed', state: 'done', how: 'exit code 0' });
  const slow = await submit(cl, 'true', { onExit: [{ when: 'any', command: 'exit 9' }] });
  await finished(cl, slow);
  await waitFor('the failing hook', async () => ((await info(cl, slow))['hooks'] as { state: string }[])[0]?.state === 'failed');
  t.match(((await info(cl, slow))['hooks'] as Record<string, unknown>[])[0], { state: 'failed', how: 'exit code 9' }, 'a failed hook is shown');
});

t.test('a batch: build once, staged files, a matrix in job directories, saved files archived, notify', async (t) => {
  const c = await startCoord(t);
  const cl = await client(t, c);
  const src = join(c.dir, 'src');
  fs.mkdirSync(join(src, 'case'), { recursive: true });
  fs.writeFileSync(join(src, 'case', 'base.msh'), 'mesh\n');
  const notified = join(c.dir, 'notified');
  const spec = batchSpec({
    build: 'echo built > tool', save: 'results', notify: `env | grep -E '^JMS_BATCH' | sort > ${notified}`,
  }, [
    { name: 'mesh', command: 'mkdir -p results && cp input.msh results/mesh.out && cat "$JMS_BUILD_DIR/tool" > results/tool', files: [{ from: join(src, 'case', 'base.msh'), as: 'input.msh' }] },
    ...['1', '2'].map((re) => ({ name: `solve[re=${re}]`, command: `mkdir -p results && echo ${re} > results/r.txt && echo "$JMS_JOB_NAME"`, after: ['mesh'] })),
    { name: 'broken', command: 'exit 2', after: ['mesh'] },
  ]);
  const r = await submitBatch(cl, spec);
  t.match(r, { kind: 'batch-submitted', batch: 'alice/b1', jobs: 5, builds: 1 }, 'one build (one host), four jobs');
  const first = Number(r['firstJobId']);
  const ids = [first, first + 1, first + 2, first + 3, first + 4];
  for (const id of ids) await finished(cl, id);
  const build = await info(cl, first);
  t.match(build, { kind: 'build', name: 'build@local', result: { kind: 'exited', code: 0 } }, 'the build ran first');
  const mesh = await info(cl, first + 1);
  t.match(mesh, { batch: 'alice/b1', name: 'mesh', result: { kind: 'exited', code: 0 } }, `mesh: ${JSON.stringify(mesh.result)}`);
  const archive = join(c.out, 'archive', 'alice', 'b1');
  t.equal(fs.readFileSync(join(archive, 'mesh', 'results', 'mesh.out'), 'utf8'), 'mesh\n', 'the staged file was there, its copy archived');
  t.equal(fs.readFileSync(join(archive, 'mesh', 'results', 'tool'), 'utf8'), 'built\n', 'the build directory was there');
  t.equal(fs.readFileSync(join(archive, 'solve[re=2]', 'results', 'r.txt'), 'utf8'), '2\n');
  t.equal(fs.readFileSync(join(archive, 'solve[re=1]', `stdout_${first + 2}`), 'utf8'), 'solve[re=1]\n', 'stdout is archived');
  t.match(await info(cl, first + 4), { result: { kind: 'exited', code: 2 } });
  t.notOk(fs.existsSync(String(mesh['dir'])), 'the scratch directory was removed');
  await waitFor('notify', () => fs.existsSync(notified) && fs.readFileSync(notified, 'utf8').includes('JMS_BATCH_JOBS'));
  const env = fs.readFileSync(notified, 'utf8');
  t.match(env, /JMS_BATCH=alice\/b1\n/);
  t.match(env, /JMS_BATCH_FAILED=1\n/);
  t.match(env, /JMS_BATCH_SUCCEEDED=3\n/);
  const status = await one(cl, { kind: 'status-batch', batch: 'b1' });
  t.match(status, { kind: 'batch', batch: { key: 'alice/b1', state: 'done', jobs: 4, outcomes: { succeeded: 3, failed: 1 }, failures: [{ jobId: first + 4, name: 'broken', outcome: 'failed', why: 'exit code 2' }] } });
  const files = (await cl.ask({ kind: 'archive-list', batch: 'alice/b1' }, true)).filter((f) => f['kind'] === 'file').map((f) => (f['file'] as { path: string }).path).sort();
  t.ok(files.includes('mesh/results/mesh.out') && files.includes('solve[re=1]/results/r.txt'), `archive-list: ${files.join(' ')}`);
  const purged = await run(SCRIPT, ['-l', c.out, '-c', 'purge'], {});
  t.match(purged.stdout, /^Removed \d+ job directories/, 'jms_script.sh purges job directories');
  t.ok(fs.existsSync(join(archive, 'mesh', 'results', 'mesh.out')), 'and never touches the archive');
  const again = await submitBatch(cl, spec);
  t.match(again, { kind: 'error', message: /already a batch alice\/b1/ }, 'a second batch of the same name is refused');
});

t.test('a build that fails everywhere cancels the batch, saying why', async (t) => {
  const c = await startCoord(t);
  const cl = await client(t, c);
  const r = await submitBatch(cl, batchSpec({ name: 'nobuild', build: 'exit 1' }, [{ name: 'a', command: 'true' }, { name: 'b', command: 'true', after: ['a'] }]));
  t.match(r, { kind: 'batch-submitted', jobs: 3 });
  const first = Number(r['firstJobId']);
  const a = await finished(cl, first + 1);
  t.match(a.result, { kind: 'cancelled', reason: /the batch's build failed on every host it could run on \(local: exit code 1\)/ });
  const status = await one(cl, { kind: 'status-batch', batch: 'nobuild' });
  t.match(status, { batch: { state: 'cancelled', reason: /build failed/ } });
});

t.test('kill-batch: its queued jobs leave the queue, its running ones are killed; show-batches lists it', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
  const cl = await client(t, c);
  const r = await submitBatch(cl, batchSpec({ name: 'doomed' }, [
    { name: 'long', command: 'sleep 30' }, { name: 'next', command: 'true' }, { name: 'after', command: 'true', after: ['long'] },
  ]));
  const first = Number(r['firstJobId']);
  await waitFor('the first to run', async () => (await info(cl, first))['pid'] !== null);
  const killed = await one(cl, { kind: 'kill-batch', batch: 'alice/doomed' });
  t.match(killed, { kind: 'batch-killed', batch: 'alice/doomed', signalled: 1 });
  t.equal(Number(killed['dequeued']) + Number(killed['signalled']), 3, 'every job it had');
  t.match((await finished(cl, first)).result, { kind: 'signalled', signal: 'SIGTERM' });
  t.match((await finished(cl, first + 1)).result, { kind: 'cancelled' });
  const listed = (await cl.ask({ kind: 'show-batches' }, true)).filter((f) => f['kind'] === 'batch');
  t.match(listed, [{ batch: { key: 'alice/doomed', jobs: 3 } }]);
  t.match(await one(cl, { kind: 'status-batch', batch: 'nope' }), { kind: 'error', message: "there is no batch 'nope'; the batches are alice/doomed ('show-batches' lists them)." });
});
