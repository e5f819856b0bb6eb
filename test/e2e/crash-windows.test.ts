// Each window in which a coordinator crash could lose or repeat a job, hit exactly:
// the coordinator (and in one case a pool) stops itself at a named failpoint
// (protocol/failpoints.ts) or is SIGSTOPped at the moment that matters, then is
// SIGKILLed and restarted on the same path. Every job must then run exactly once (its
// side-file line appears once, it has one directory) and end with its real exit code.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ledgers } from '../helpers/ledgers.js';
import { groupMembers, isAlive, poolsOf, processesUnder, stateOf } from '../helpers/proc.js';
import { consoleRun, crash, launch, ok, shutdown, site, submitJob, type Instance, type Site } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

/** A job that appends one line to `side` and exits with `code` once `gate` exists (at once without a gate). */
function job(s: Site, tag: string, code: number, gate: string | null = null): string {
  const wait = gate === null ? '' : `while [ ! -e ${gate} ]; do sleep 0.02; done; `;
  return `echo ${tag} >> ${join(s.dir, 'side')}; ${wait}exit ${code}`;
}

function sideLines(s: Site): string[] {
  const file = join(s.dir, 'side');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
}

/** Job directories of `jobId` (there must be exactly one). */
function dirsOf(s: Site, jobId: number): string[] {
  return fs.readdirSync(s.out).filter((n) => new RegExp(`^jms_.+_${jobId}_\\d+_\\d{8}_\\d{6}$`).test(n));
}

async function stoppedAt(what: string, pid: number): Promise<void> {
  await waitFor(`${what} (pid ${pid}) to stop itself`, () => stateOf(pid) === 'T', 10_000);
}

/** `--json info`, parsed. */
async function infoDoc(s: Site, jobId: number): Promise<Record<string, unknown>> {
  const doc: unknown = JSON.parse(await ok(s, `--json info ${jobId}`));
  if (typeof doc !== 'object' || doc === null) throw new Error('not a job document');
  return doc as Record<string, unknown>;
}

async function ends(s: Site, jobId: number, exitCode: number): Promise<Record<string, unknown>> {
  const doc = await waitFor(`JobID ${jobId} to finish`, async () => {
    const d = await infoDoc(s, jobId);
    return d['status'] === 'finished' ? d : false;
  }, 10_000, 50);
  return { ...doc, expected: exitCode };
}

/** Once more: every job ran once, with one directory, and nothing of the site is left running. */
async function onceEach(t: Test, s: Site, c: Instance, tags: readonly string[], ids: readonly number[]): Promise<void> {
  t.same(sideLines(s).sort(), [...tags].sort(), 'each job ran exactly once');
  for (const id of ids) t.equal(dirsOf(s, id).length, 1, `JobID ${id} has one directory`);
  await shutdown(t, s, c, /^Served \d+ jobs, 0 were still in progress$/);
  await waitFor('no process of the site to be left', () => processesUnder(s.dir).length === 0, 5000).catch(() => undefined);
  t.same(processesUnder(s.dir), [], 'no pool or job is left running');
  t.same([...ledgers(s.out).keys()], [], 'no ledger is left behind');
}

t.test('the coordinator stopped after a pool sent exited, then killed: the end is not lost', async (t) => {
  const s = site(t, ['-n', '2']);
  const gate = join(s.dir, 'go');
  const a = await launch(t, s);
  const j = await submitJob(s, job(s, 'a1', 3, gate));
  process.kill(a.pid, 'SIGSTOP');
  fs.writeFileSync(gate, '');
  await waitFor('the job to end', () => !isAlive(j.pid));
  // The pool has reaped it and written its end before telling the (stopped) coordinator.
  await waitFor("the pool's ledger to hold the end", () =>
    [...ledgers(s.out).values()].some((l) => l.jobs.get(j.jobId)?.end?.kind === 'exited'));
  await crash(a);
  const b = await launch(t, s);
  t.match(await ends(s, j.jobId, 3), { outcome: 'failed', exitCode: 3 }, 'after the restart the job has its real exit code');
  await onceEach(t, s, b, ['a1'], [j.jobId]);
});

t.test('killed while a freshly started pool has its run frame unread: the job runs once, adopted', async (t) => {
  const s = site(t, ['-n', '1']);
  const a = await launch(t, s, { env: { JMS_FAILPOINTS: 'pool-boot,after-run-sent' } });
  const answer = consoleRun(s, `submit ${job(s, 'b1', 5)}`);
  await stoppedAt('the coordinator, right after sending the run frame', a.pid);
  const pools = poolsOf(a.pid);
  t.ok(pools.length >= 1, `its pools: ${pools.join(', ')}`);
  for (const pool of pools) {
    s.pids.add(pool);
    await stoppedAt('a pool, before reading anything', pool);
  }
  await crash(a);
  t.equal((await answer).code, 3, 'the console saw its coordinator go before any answer');
  t.same(sideLines(s), [], 'the job has not run yet: its pool has not read the frame');

  const b = await launch(t, s);
  t.match(b.log(), /1 job\(s\) on record.*1 still with their pools/, 'the restart waits for the pool that may start the job');
  t.match(await infoDoc(s, 1), { status: 'active', outcome: null }, 'the job is not queued again, nor lost: its pool decides');
  t.equal(await ok(s, 'show-queued'), 'Queued jobs:', 'nothing is queued');
  for (const pool of pools) process.kill(pool, 'SIGCONT');
  t.match(await ends(s, 1, 5), { outcome: 'failed', exitCode: 5 }, 'the pool ran it and the restarted coordinator has its exit code');
  await onceEach(t, s, b, ['b1'], [1]);
});

t.test('killed between a dispatch and its record: the job is queued again and runs once', async (t) => {
  const s = site(t, ['-n', '1']);
  const a = await launch(t, s, { env: { JMS_FAILPOINTS: 'after-dispatch' } });
  const answer = consoleRun(s, `submit ${job(s, 'c1', 4)}`);
  await stoppedAt('the coordinator, its dispatch not yet on disk', a.pid);
  for (const pool of poolsOf(a.pid)) s.pids.add(pool);
  await crash(a);
  t.equal((await answer).code, 3, 'the console saw its coordinator go');

  const b = await launch(t, s);
  t.match(b.log(), /1 job\(s\) on record, next JobID 2; 1 queued again/, 'on record as queued: queued again');
  t.match(await ends(s, 1, 4), { outcome: 'failed', exitCode: 4 }, 'it ran after the restart, to its real end');
  await onceEach(t, s, b, ['c1'], [1]);
});

t.test('killed with the dispatch on disk but the run frame unsent: the pool never had it, so it runs once', async (t) => {
  const s = site(t, ['-n', '1']);
  const a = await launch(t, s, { env: { JMS_FAILPOINTS: 'before-run-sent' } });
  const answer = consoleRun(s, `submit ${job(s, 'd1', 6)}`);
  await stoppedAt('the coordinator, before the run frame', a.pid);
  for (const pool of poolsOf(a.pid)) s.pids.add(pool);
  await crash(a);
  t.equal((await answer).code, 3);

  const b = await launch(t, s);
  t.match(await ends(s, 1, 6), { outcome: 'failed', exitCode: 6 }, 'queued again from its pool\'s silence, then run to its end');
  const doc = await infoDoc(s, 1);
  t.equal(typeof doc['pid'], 'number', 'it has its own pid');
  await onceEach(t, s, b, ['d1'], [1]);
  t.same(groupMembers(Number(doc['pid'])), [], 'nothing of it is left');
});
