// Durability and recovery against real processes: the coordinator is SIGKILLed and
// restarted on the same -l path and FIFOs, pools are SIGKILLed under a live or a dead
// coordinator, the journal is torn, and a second coordinator is refused. Every job the
// coordinator accepted must still be known afterwards, with an honest state, and its
// ids must never be reused.

import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { jobDirs, submitted, waitGone } from '../helpers/coord.js';
import { allStopped, groupMembers, isAlive } from '../helpers/proc.js';
import { ledgers } from '../helpers/ledgers.js';
import { connectRaw, type RawClient } from '../helpers/raw-client.js';
import { crash, launch, ok, shutdown, site, spawnCoord, submitJob, type Site } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

// Bugs this file found, all fixed: an orphaned pool died of EPIPE on its stderr (the
// dead coordinator's log pipe) before it could record its jobs' ends; an adopted
// job's process group outlived its leader.

/** A job that runs until `gate` exists, then exits with `code`. */
function gated(gate: string, code: number): string {
  return `while [ ! -e ${gate} ]; do sleep 0.02; done; exit ${code}`;
}

function open(gate: string): void {
  fs.writeFileSync(gate, '');
}

/** `status-all` as [jobId, status text] pairs, numbering checked. */
async function statusAll(s: Site): Promise<[number, string][]> {
  const text = await ok(s, 'status-all');
  if (text === '') return [];
  return text.split('\n').map((line, i) => {
    const m = /^(\d+)\. JobID (\d+) Status: (.+)$/.exec(line);
    if (m === null || Number(m[1]) !== i + 1) throw new Error(`not a status-all line: ${JSON.stringify(line)}`);
    return [Number(m[2]), m[3] ?? ''];
  });
}

// --- the JSON view of a job through a raw protocol client ---------------------------

let requestId = 1000;

async function rawClient(t: Test, s: Site): Promise<RawClient> {
  const raw = await connectRaw(s.jmsIn, s.jmsOut);
  t.teardown(() => raw.close());
  return raw;
}

/** The coordinator's JobView of `jobId`. */
async function view(raw: RawClient, jobId: number): Promise<Record<string, unknown>> {
  const id = ++requestId;
  await raw.request({ kind: 'status', id, jobId });
  const replies = await waitFor(`the answer to status ${jobId}`, () => {
    const r = raw.repliesTo(id);
    return r.length > 0 ? r : false;
  });
  const job = replies[0]?.['job'];
  if (typeof job !== 'object' || job === null) throw new Error(`no job in ${JSON.stringify(replies[0])}`);
  return job as Record<string, unknown>;
}

/** The items of a batch answer (show-pools), once its end frame is in. */
async function batch(raw: RawClient, kind: 'show-pools'): Promise<Record<string, unknown>[]> {
  const id = ++requestId;
  await raw.request({ kind, id });
  const frames = await waitFor(`the answer to ${kind}`, () => {
    const r = raw.repliesTo(id);
    return r.some((f) => f['kind'] === 'end') ? r : false;
  });
  return frames.filter((f) => f['kind'] !== 'end');
}

async function untilStatus(raw: RawClient, jobId: number, status: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  return waitFor(`job ${jobId} to be ${status}`, async () => {
    const v = await view(raw, jobId);
    return v['status'] === status ? v : false;
  }, timeoutMs, 50);
}

function noneStopped(pgid: number, n: number): boolean {
  const g = groupMembers(pgid);
  return g.length >= n && g.every((p) => p.state !== 'T');
}

/** Waits until `pgid`'s group is all stopped (or none of it is); a timeout shows the group. */
async function untilGroup(pgid: number, n: number, stopped: boolean): Promise<void> {
  const what = `group ${pgid} to be ${stopped ? 'all stopped' : 'running'}`;
  await waitFor(what, () => (stopped ? allStopped(pgid, n) : noneStopped(pgid, n))).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; the group now: ${JSON.stringify(groupMembers(pgid))}`);
  });
}

// --- 1. kill -9 of the coordinator with jobs in every state --------------------------

t.test('after kill -9 and a restart every job is known, and running ones are adopted', async (t) => {
  const s = site(t, ['-n', '1', '--max-pools', '2']);
  const g3 = join(s.dir, 'go3');
  const g4 = join(s.dir, 'go4');
  const a = await launch(t, s);
  const rawA = await rawClient(t, s);

  const j1 = await submitJob(s, 'true');
  await untilStatus(rawA, j1.jobId, 'finished');
  const j2 = await submitJob(s, 'exit 3');
  await untilStatus(rawA, j2.jobId, 'finished');
  // Both full pools leave, so the next two jobs get the two pools --max-pools allows.
  await waitFor('no live pool', async () => (await batch(rawA, 'show-pools')).length === 0);
  const j3 = await submitJob(s, gated(g3, 5));
  const j4 = await submitJob(s, `sleep 300 & ${gated(g4, 6)}`);
  t.same([j1.jobId, j2.jobId, j3.jobId, j4.jobId], [1, 2, 3, 4], 'ids 1 to 4');
  t.equal(await ok(s, 'suspend 4'), 'Sent suspend signal to JobID 4');
  await untilGroup(j4.pid, 2, true);
  t.equal(await ok(s, 'submit exit 7'), 'JobID: 5, Queued (position 1)', 'job 5 waits for room');

  await crash(a);
  t.ok(isAlive(j3.pid), 'the running job outlives its coordinator');
  t.ok(allStopped(j4.pid, 2), 'the suspended job stays stopped');

  const b = await launch(t, s);
  t.match(b.log(), /journal: 5 job\(s\) on record, next JobID 6; 1 queued again, 0 settled, 2 still with their pools; 0 torn/,
    'the restart says what it found');
  await waitFor('both orphaned pools to be re-attached', () => (b.log().match(/re-attached pool \S+ on local \(pid \d+\) with 1 job\(s\) still running/g) ?? []).length === 2);
  const raw = await rawClient(t, s);

  const rows = await statusAll(s);
  t.same(rows.map(([id]) => id), [1, 2, 3, 4, 5], 'status-all lists every job with the same ids');
  t.same(rows.slice(0, 4).map(([, st]) => st.replace(/\d+ sec/, 'N sec')),
    ['Finished', 'Finished', 'Active (running for N sec)', 'Suspended'], 'finished, adopted running and adopted suspended');
  t.equal(rows[4]?.[1], 'Queued', 'the requeued job waits: the orphaned pools of the adopted jobs still count against --max-pools 2');

  t.match(await view(raw, 1), { status: 'finished', result: { kind: 'exited', code: 0 } }, 'job 1 keeps exit 0');
  t.match(await view(raw, 2), { status: 'finished', result: { kind: 'exited', code: 3 } }, 'job 2 keeps exit 3');
  t.match(await view(raw, 3), { status: 'active', pid: j3.pid, result: null }, 'job 3 is active with the same pid');
  t.match(await view(raw, 4), { status: 'suspended', pid: j4.pid, result: null }, 'job 4 is suspended with the same pid');
  t.ok(allStopped(j4.pid, 2), 'job 4 is still stopped after the restart');

  t.equal(await ok(s, 'submit true'), 'JobID: 6, Queued (position 2)', 'a new submit gets the next id, never an old one, and queues too');

  // suspend/resume reach the adopted job's whole group.
  t.equal(await ok(s, 'resume 4'), 'Sent resume signal to JobID 4');
  await untilGroup(j4.pid, 2, false);
  t.match(await ok(s, 'status 4'), /^JobID 4 Status: Active \(running for \d+ seconds\)$/, 'resumed: Active');
  t.equal(await ok(s, 'suspend 4'), 'Sent suspend signal to JobID 4');
  await untilGroup(j4.pid, 2, true);
  t.match(await view(raw, 4), { status: 'suspended' }, 'suspended again');
  t.equal(await ok(s, 'resume 4'), 'Sent resume signal to JobID 4');
  await untilGroup(j4.pid, 2, false);
  t.equal(await ok(s, 'suspend 3'), 'Sent suspend signal to JobID 3');
  await untilGroup(j3.pid, 1, true);
  t.equal(await ok(s, 'resume 3'), 'Sent resume signal to JobID 3');
  await untilGroup(j3.pid, 1, false);

  // The adopted jobs end with the exit codes their orphaned pools recorded.
  open(g3);
  open(g4);
  const end3 = await untilStatus(raw, 3, 'finished');
  const end4 = await untilStatus(raw, 4, 'finished');
  t.match(end3, { result: { kind: 'exited', code: 5 } }, `job 3 ends with its real exit code: ${JSON.stringify(end3['result'])}`);
  t.match(end4, { result: { kind: 'exited', code: 6 } }, `job 4 ends with its real exit code: ${JSON.stringify(end4['result'])}`);
  for (const pool of [j3.pool, j4.pool]) await waitGone(pool);
  t.notOk(isAlive(j3.pool) || isAlive(j4.pool), 'the orphaned pools are gone once their jobs ended');
  // With their pools gone there is room: the queued jobs run, in order.
  for (const [id, code] of [[5, 7], [6, 0]] as const) {
    const v = await untilStatus(raw, id, 'finished');
    t.match(v, { result: { kind: 'exited', code } }, `queued job ${id} ran to its end`);
    t.ok(jobDirs(s.out).has(id), `job ${id} made its directory`);
    if (typeof v['pid'] === 'number') s.groups.add(v['pid']);
  }
  const left = await waitFor('job 4 group to be gone', () => groupMembers(j4.pid).length === 0, 1500).then(() => [], () => groupMembers(j4.pid));
  t.same(left, [], 'nothing of job 4 is left (its background sleep too)');
  t.equal(await ok(s, 'show-active'), 'Active jobs:');
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);
});

// --- 2. a job that ends while there is no coordinator --------------------------------

t.test('a job that finishes while the coordinator is down keeps its exit code', async (t) => {
  const s = site(t, ['-n', '2']);
  const gate = join(s.dir, 'go');
  const a = await launch(t, s);
  const job = await submitJob(s, gated(gate, 4));
  t.ok(job.pool > 1 && isAlive(job.pool), `the job runs under pool ${job.pool}`);

  await crash(a);
  open(gate);
  await waitGone(job.pool);
  t.notOk(isAlive(job.pool), 'the orphaned pool exited after its last job');
 const left = [...ledgers(s.out).values()].filter((l) => l.pid === job.pool);
  t.equal(left.length, 1, 'it left its ledger');
  t.match(left[0], { orphaned: true }, 'which says it saw its coordinator go');
  t.match(left[0]?.jobs.get(job.jobId), { started: { pid: job.pid }, end: { kind: 'exited', code: 4, signal: null } }, 'and holds the exit code');

  const b = await launch(t, s);
  t.match(b.log(), /1 job\(s\) on record, next JobID 2; 0 queued again, 1 settled, 0 still with their pools/);
  await waitFor('the ledger to be removed once its end is on record', () => ledgers(s.out).size === 0);
  const raw = await rawClient(t, s);
  t.equal(await ok(s, `status ${job.jobId}`), `JobID ${job.jobId} Status: Finished`);
  const v = await view(raw, job.jobId);
  t.match(v, { status: 'finished', pid: job.pid }, 'finished, with its pid');
  t.match(v, { result: { kind: 'exited', code: 4 } }, `the recorded code: ${JSON.stringify(v['result'])}`);
  t.equal(submitted(await ok(s, 'submit true')).jobId, 2, 'the next id follows');
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);
});

// --- 3. pools killed while the coordinator is down -----------------------------------

t.test('jobs whose pool died while the coordinator was down are lost, and nothing of them is left running', async (t) => {
  const s = site(t, ['-n', '1']);
  const a = await launch(t, s);
  const dead = await submitJob(s, 'sleep 300');
  const living = await submitJob(s, 'sleep 300 & sleep 301');
  await waitFor('the second job to fork', () => groupMembers(living.pid).length >= 3);
  t.not(dead.pool, living.pool, 'two pools');

  await crash(a);
  for (const job of [dead, living]) {
    try {
      process.kill(job.pool, 'SIGKILL');
    } catch {
      // Already gone (and reaped).
    }
  }
  for (const job of [dead, living]) await waitGone(job.pool);
  t.ok(isAlive(dead.pid) && isAlive(living.pid), 'both jobs outlive their pools');
  process.kill(-dead.pid, 'SIGKILL');
  await waitGone(dead.pid);

  const b = await launch(t, s);
  t.match(b.log(), /2 job\(s\) on record, next JobID 3; 0 queued again, 2 settled, 0 still with their pools/);
  const raw = await rawClient(t, s);
  for (const job of [dead, living]) {
    const v = await view(raw, job.jobId);
    t.match(v, { status: 'finished', result: { kind: 'lost', reason: /its pool died while no coordinator watched it/ } },
      `JobID ${job.jobId}: lost, saying why: ${JSON.stringify(v['result'])}`);
  }
  // No pool supervises the job that still ran: it is ended, group and all, not left unaccounted.
  const left = await waitFor('its group to be gone', () => groupMembers(living.pid).length === 0, 5000).then(() => [], () => groupMembers(living.pid));
  t.same(left, [], 'nothing of its process group is left running');
  t.equal(await ok(s, 'show-active'), 'Active jobs:');
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);
});

// --- 4. kill -9 of a pool under a live coordinator -----------------------------------

t.test('kill -9 of a pool: its jobs are lost at once and killed, the rest untouched', async (t) => {
  const s = site(t, ['-n', '1', '--grace', '500']);
  const gate = join(s.dir, 'go');
  const c = await launch(t, s);
  const raw = await rawClient(t, s);
  const a = await submitJob(s, `sleep 300 & ${gated(gate, 0)}`);
  const b = await submitJob(s, gated(gate, 0));
  t.not(a.pool, b.pool, 'two pools');
  await waitFor('job A to fork its sleep', () => groupMembers(a.pid).length >= 2);

  process.kill(a.pool, 'SIGKILL');
  const lost = await untilStatus(raw, a.jobId, 'finished', 5000);
  t.match(lost, { result: { kind: 'lost', reason: new RegExp(`pool \\(pid ${a.pool}\\)`) } }, `job A is lost, naming its pool: ${JSON.stringify(lost['result'])}`);
  await waitFor(`job A's process group to be gone`, () => groupMembers(a.pid).length === 0, 5000);
  t.notOk(isAlive(a.pid), 'job A is not left running');
  t.same(groupMembers(a.pid), [], 'nor anything of its group');

  t.match(await view(raw, b.jobId), { status: 'active', pid: b.pid }, 'job B is still active');
  t.ok(isAlive(b.pid) && isAlive(b.pool), 'job B and its pool are alive');
  const next = await submitJob(s, 'exit 2');
  t.equal(next.jobId, 3, 'a new submission works');
  t.match(await untilStatus(raw, next.jobId, 'finished'), { result: { kind: 'exited', code: 2 } });

  const pools = (await ok(s, 'show-pools')).split('\n').slice(1).map((line) => Number(/^\d+\. (\d+) \d+$/.exec(line)?.[1]));
  t.notOk(pools.includes(a.pool), `show-pools no longer lists pool ${a.pool}: ${pools.join(', ')}`);
  t.ok(pools.includes(b.pool), 'show-pools still lists the pool of job B');
  t.match(c.log(), new RegExp(`pool \\d+ \\(pid ${a.pool}\\) was killed by SIGKILL with 1 job\\(s\\) unfinished`));

  open(gate);
  t.match(await untilStatus(raw, b.jobId, 'finished'), { result: { kind: 'exited', code: 0 } }, 'job B ends normally');
  await shutdown(t, s, c, /^Served 3 jobs, 0 were still in progress$/);
});

// --- 5. a torn journal ---------------------------------------------------------------

t.test('a torn last journal record is skipped and cut off, never fatal', async (t) => {
  const s = site(t, ['-n', '3']);
  const a = await launch(t, s);
  const raw = await rawClient(t, s);
  for (const cmd of ['true', 'exit 9']) {
    const job = await submitJob(s, cmd);
    await untilStatus(raw, job.jobId, 'finished');
  }
  await shutdown(t, s, a, /^Served 2 jobs, 0 were still in progress$/);
  raw.close();

  const journal = join(s.out, '.jms', 'journal');
  const before = fs.readFileSync(journal);
  t.ok(before.length > 0 && before.at(-1) === 0x0a, 'the journal ends with a whole record');
  const text = before.toString('utf8');
  t.match(text, /"r":"pool","pid":\d+,"state":"started"/, 'the pool start is on record');
  t.match(text, /"r":"pool","pid":\d+,"state":"ended","at":\d+,"how":"exited with code 0"/, 'and its end');
  const torn = 'deadbeef {"r":"new","id":99';
  fs.appendFileSync(journal, torn);

  const b = await launch(t, s);
  t.match(b.log(), /1 torn or corrupt line\(s\) skipped/, 'the log counts the torn line');
  t.match(b.log(), /2 job\(s\) on record, next JobID 3/);
  t.same((await statusAll(s)).map(([id, st]) => `${id} ${st}`), ['1 Finished', '2 Finished'], 'the earlier jobs are all there');
  const raw2 = await rawClient(t, s);
  t.match(await view(raw2, 2), { result: { kind: 'exited', code: 9 } });
  const next = await submitJob(s, 'true');
  t.equal(next.jobId, 3, 'the next id follows the last good record, not the torn one');
  await untilStatus(raw2, next.jobId, 'finished');
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);

  const after = fs.readFileSync(journal);
  t.ok(after.subarray(0, before.length).equals(before), 'the good records are intact');
  t.notOk(after.includes(torn), 'the torn bytes were cut off');
  const lines = after.toString('utf8').split('\n');
  t.equal(lines.pop(), '', 'the journal ends with a newline');
  t.ok(lines.every((l) => /^[0-9a-f]{8} \{.*\}$/.test(l)), 'every line is a framed record');
  t.ok(lines.length > before.toString('utf8').split('\n').length - 1, 'the new job was appended after the cut');
});

// --- 6. one coordinator per path ------------------------------------------------------

t.test('a second coordinator is refused; a stale lock does not block a restart', async (t) => {
  const s = site(t, ['-n', '2']);
  const a = await launch(t, s);
  const job = await submitJob(s, 'true');

  const samePath = spawnCoord(t, s, { jmsIn: join(s.dir, 'b_in'), jmsOut: join(s.dir, 'b_out') });
  const refusedPath = await samePath.exited;
  t.same(refusedPath, { code: 3, signal: null }, 'same -l, other FIFOs: exit 3');
  t.match(samePath.log(), new RegExp(`another coordinator \\(pid ${a.pid}\\)`), `it says why: ${samePath.log()}`);
  t.notOk(fs.existsSync(join(s.dir, 'b_in')) || fs.existsSync(join(s.dir, 'b_out')), 'it left no FIFO behind');

  const otherOut = join(s.dir, 'other');
  const sameFifos = spawnCoord(t, s, { out: otherOut });
  t.same(await sameFifos.exited, { code: 3, signal: null }, 'other -l, same FIFOs: exit 3');
  t.match(sameFifos.log(), /another coordinator is already using .*jms_in/, `it says why: ${sameFifos.log()}`);
  t.notOk(fs.existsSync(join(otherOut, '.jms', 'lock')), 'it released the lock it took on its own path');

  t.match(await ok(s, `status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: (Active|Finished)`), 'the first keeps serving');
  const lock = join(s.out, '.jms', 'lock');
  t.equal(fs.readFileSync(lock, 'utf8').trim(), String(a.pid), 'the lock names the first coordinator');

  await crash(a);
  t.ok(fs.existsSync(lock), 'kill -9 leaves the lock behind');
  const b = await launch(t, s);
  t.pass('a restart on the same path and FIFOs is not blocked by the stale lock');
  t.equal(fs.readFileSync(lock, 'utf8').trim(), String(b.pid), 'the lock now names the new coordinator');
  t.same((await statusAll(s)).map(([id]) => id), [1], 'the earlier job is known');
  t.equal(submitted(await ok(s, 'submit true')).jobId, 2);
  await shutdown(t, s, b, /^Served \d+ jobs, 0 were still in progress$/);
  t.notOk(fs.existsSync(lock), 'a clean shutdown removes the lock');
});

// --- 7. ids across clean restarts -----------------------------------------------------

t.test('ids are never reused across clean restarts; a shutdown leaves honest results', async (t) => {
  const s = site(t, ['-n', '1', '--max-pools', '1', '--grace', '500']);
  const gate = join(s.dir, 'go');
  let c = await launch(t, s);
  let raw = await rawClient(t, s);
  const first = await submitJob(s, 'true');
  await untilStatus(raw, first.jobId, 'finished');
  await waitFor('no live pool', async () => (await batch(raw, 'show-pools')).length === 0);
  const running = await submitJob(s, gated(gate, 0));
  t.equal(await ok(s, 'submit true'), 'JobID: 3, Queued (position 1)');
  await shutdown(t, s, c, /^Served 3 jobs, 2 were still in progress$/);
  raw.close();

  c = await launch(t, s);
  raw = await rawClient(t, s);
  t.same((await statusAll(s)).map(([id, st]) => `${id} ${st}`), ['1 Finished', '2 Finished', '3 Finished'], 'every job is known and ended');
  t.match(await view(raw, first.jobId), { result: { kind: 'exited', code: 0 } });
  t.match(await view(raw, running.jobId), { pid: running.pid, result: { kind: 'signalled', signal: 'SIGTERM' } }, 'the running job was terminated');
  t.match(await view(raw, 3), { result: { kind: 'cancelled', reason: /\w/ } }, 'the queued job was cancelled');
  t.equal(submitted(await ok(s, 'submit true')).jobId, 4, 'the next id after a clean restart');
  await shutdown(t, s, c, /^Served \d+ jobs, 0 were still in progress$/);
  raw.close();

  c = await launch(t, s);
  const again = submitted(await ok(s, 'submit true'));
  t.equal(again.jobId, 5, 'and after another');
  s.groups.add(again.pid);
  t.same((await statusAll(s)).map(([id]) => id), [1, 2, 3, 4, 5]);
  await shutdown(t, s, c, /^Served \d+ jobs, \d+ were still in progress$/);
});
