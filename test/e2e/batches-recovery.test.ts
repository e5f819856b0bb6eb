// Batches, hooks and windows across a coordinator SIGKILL, and run windows on the
// coordinator's injected clock: an exit hook runs at most once (one started when the
// coordinator died is shown interrupted, never run again; one whose job ended while no
// coordinator ran is run by the next); a batch goes on after a restart; a batch's
// `suspend-outside` window suspends its running job when it closes and resumes it when
// it opens again, and nothing new of the batch starts meanwhile.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { batchSpec, client, finished, info, one, submit, submitBatch, type Client } from '../helpers/requests.js';
import { advanceClock, crash, launch, site } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

function lines(path: string): string[] {
  return fs.existsSync(path) ? fs.readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
}

async function hookState(cl: Client, id: number): Promise<string | undefined> {
  return ((await info(cl, id))['hooks'] as { state: string }[])[0]?.state;
}

t.test('a hook running when the coordinator is SIGKILLed is not run again; it shows as interrupted', async (t) => {
  const s = site(t, ['-n', '2']);
  const first = await launch(t, s);
  const cl = await client(t, s);
  const runs = join(s.dir, 'runs');
  const id = await submit(cl, 'true', { onExit: [{ when: 'any', command: `echo run >> ${runs}; sleep 3` }] });
  await waitFor('the hook to run', () => lines(runs).length === 1);
  await crash(first);
  await launch(t, s);
  const again = await client(t, s);
  t.equal(await hookState(again, id), 'interrupted', 'it is shown as interrupted');
  t.match(((await info(again, id))['hooks'] as Record<string, unknown>[])[0], { how: /not run again/ });
  await new Promise((r) => setTimeout(r, 3500)); // longer than the hook's own run: had it started again, it would show
  t.same(lines(runs), ['run'], 'it ran once');
});

t.test('a job that ends while no coordinator runs gets its hook from the next one, once', async (t) => {
  const s = site(t, ['-n', '2']);
  const first = await launch(t, s);
  const cl = await client(t, s);
  const gate = join(s.dir, 'gate');
  const runs = join(s.dir, 'runs');
  const id = await submit(cl, `until [ -e ${gate} ]; do sleep 0.05; done; exit 6`, { onExit: [{ when: { exitCode: 6 }, command: `echo "$JMS_JOB_ID $JMS_EXIT_CODE" >> ${runs}` }] });
  await waitFor('it to run', async () => (await info(cl, id)).status === 'active');
  await crash(first);
  fs.writeFileSync(gate, '');
  const second = await launch(t, s);
  const cl2 = await client(t, s);
  t.match((await finished(cl2, id)).result, { kind: 'exited', code: 6 }, 'adopted with its exit code');
  await waitFor('the hook', async () => (await hookState(cl2, id)) === 'done');
  t.same(lines(runs), [`${id} 6`], 'the hook ran with its variables');
  await crash(second);
  await launch(t, s);
  const cl3 = await client(t, s);
  t.equal(await hookState(cl3, id), 'done', 'still done after another restart');
  t.same(lines(runs), [`${id} 6`], 'and not run again');
});

t.test('a batch goes on after a coordinator SIGKILL: its jobs, dependencies and archive', async (t) => {
  const s = site(t, ['-n', '2']);
  const first = await launch(t, s);
  const cl = await client(t, s);
  const gate = join(s.dir, 'gate');
  const r = await submitBatch(cl, batchSpec({ name: 'crashy', save: 'out' }, [
    { name: 'a', command: `mkdir out; until [ -e ${gate} ]; do sleep 0.05; done; echo a > out/a` },
    { name: 'b', command: 'mkdir out; echo b > out/b', after: ['a'] },
  ]));
  t.match(r, { kind: 'batch-submitted', jobs: 2 });
  const a = Number(r['firstJobId']);
  await waitFor('a to run', async () => (await info(cl, a)).status === 'active');
  t.match((await info(cl, a + 1)).waiting, `waiting for JobID ${a} to succeed`);
  await crash(first);
  await launch(t, s);
  const cl2 = await client(t, s);
  t.match(await one(cl2, { kind: 'status-batch', batch: 'crashy' }), { batch: { state: 'active', jobs: 2 } }, 'the batch is back');
  fs.writeFileSync(gate, '');
  t.match((await finished(cl2, a + 1)).result, { kind: 'exited', code: 0 }, 'b ran after a');
  const archive = join(s.out, 'archive', process.env['USER'] ?? 'root', 'crashy');
  const ns = fs.readdirSync(join(s.out, 'archive'));
  t.equal(ns.length, 1, `one namespace: ${ns.join(', ')}`);
  const root = join(s.out, 'archive', ns[0] ?? '', 'crashy');
  t.equal(fs.readFileSync(join(root, 'a', 'out', 'a'), 'utf8'), 'a\n', 'a saved across the crash was archived');
  t.equal(fs.readFileSync(join(root, 'b', 'out', 'b'), 'utf8'), 'b\n');
  t.ok(archive.length > 0);
  await waitFor('the batch done', async () => ((await one(cl2, { kind: 'status-batch', batch: 'crashy' }))['batch'] as { state: string }).state === 'done');
});

/** `HH:MM` of a local time. */
function hm(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

t.test("a batch's suspend-outside window: its running job is suspended when it closes and resumed when it opens", async (t) => {
  const s = site(t, ['-n', '2']);
  const c = await launch(t, s);
  t.teardown(() => {
    if (!t.passing()) t.comment(c.log());
  });
  const cl = await client(t, s);
  const now = Date.now();
  const windows = `${hm(now - 60_000)}-${hm(now + 20 * 60_000)}`;
  const ticks = join(s.dir, 'ticks');
  const r = await submitBatch(cl, batchSpec({ name: 'nightly', windows, suspendOutside: true }, [
    { name: 'long', command: `while :; do echo x >> ${ticks}; sleep 0.05; done` },
  ]));
  t.match(r, { kind: 'batch-submitted', jobs: 1 }, `windows ${windows}`);
  const id = Number(r['firstJobId']);
  const pid = await waitFor('it to run', async () => (await info(cl, id))['pid'] ?? undefined);
  s.groups.add(Number(pid)); // killed at teardown whatever happens
  advanceClock(s, 30 * 60_000);
  await waitFor('it to be suspended', async () => (await info(cl, id)).status === 'suspended', 10_000, 50);
  // A write under way as the signal landed may still end: the count must then stay put.
  let stopped = -1;
  await waitFor('no more ticks', async () => {
    const before = lines(ticks).length;
    await new Promise((r) => setTimeout(r, 200));
    stopped = lines(ticks).length;
    return stopped === before;
  }, 5_000, 0);
  const r2 = await submitBatch(cl, batchSpec({ name: 'later', windows }, [{ name: 'x', command: 'true' }]));
  const later = Number(r2['firstJobId']);
  t.match((await info(cl, later)).waiting, /^outside its batch's run windows \(they open \d{4}-\d\d-\d\d \d\d:\d\d\)$/, 'a new job waits for the window');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(lines(ticks).length, stopped, 'the suspended job does not run');
  advanceClock(s, 24 * 3600_000 - 30 * 60_000);
  await waitFor('it to be resumed', async () => (await info(cl, id)).status === 'active', 10_000, 50);
  await waitFor('it to run again', () => lines(ticks).length > stopped + 2, 5_000);
  t.match((await finished(cl, later)).result, { kind: 'exited', code: 0 }, 'the held job ran once its window opened');
  await one(cl, { kind: 'kill', jobId: id });
  await finished(cl, id);
});

t.test('a hook that hangs is killed at --hook-timeout, on the coordinator clock, and shown failed', async (t) => {
  const s = site(t, ['-n', '2', '--hook-timeout', '10m']);
  await launch(t, s);
  const cl = await client(t, s);
  const started = join(s.dir, 'hook-started');
  const id = await submit(cl, 'true', { onExit: [{ when: 'any', command: `touch ${started}; exec sleep 1000` }] });
  await finished(cl, id);
  await waitFor('the hook to run', () => fs.existsSync(started));
  t.equal(await hookState(cl, id), 'running');
  const other = await submit(cl, 'echo still serving');
  t.match((await finished(cl, other)).result, { kind: 'exited', code: 0 }, 'a hanging hook holds nothing up');
  advanceClock(s, 10 * 60_000 + 1000);
  await waitFor('the hook killed', async () => (await hookState(cl, id)) === 'failed', 10_000, 50);
  t.match(((await info(cl, id))['hooks'] as Record<string, unknown>[])[0], { how: 'timed out after 600 s and was killed' });
});
