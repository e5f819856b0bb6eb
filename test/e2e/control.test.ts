// The control commands added to the classic set (/tmp/cmdref.md): kill, submit
// --timeout, wait, show-queued, pause-all / resume-all and shutdown --drain, against a
// real coordinator, real pools and real /bin/sh jobs, with signals and process states
// checked through /proc and output checked in the job directories.

import { checkResumeAt, RESUME_AT } from '../helpers/resume-at.js';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { consoleEntries, jobDirs, startCoord, submitted, waitGone, type Coord, type RunResult } from '../helpers/coord.js';
import { allStopped, groupMembers, isAlive } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

/** A job that runs until `<gate>` exists, then does `then`. */
function gated(gate: string, then?: string): string {
  const wait = `while [ ! -e ${gate} ]; do sleep 0.02; done`;
  return then === undefined ? wait : `${wait}; ${then}`;
}

function open(gate: string): void {
  fs.writeFileSync(gate, '');
}

/** A job that runs until it is signalled. */
const LOOP = 'while :; do sleep 0.05; done';

async function finished(c: Coord, jobId: number): Promise<void> {
  await waitFor(`job ${jobId} to finish`, async () => (await c.ok(`status ${jobId}`)) === `JobID ${jobId} Status: Finished`);
}

/** `--json info <id>`: the job document. */
async function jsonInfo(c: Coord, jobId: number): Promise<Record<string, unknown>> {
  const text = await c.ok(`--json info ${jobId}`);
  const doc: unknown = JSON.parse(text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`not a job document: ${text}`);
  return doc as Record<string, unknown>;
}

/** `info <id>` as [field, value] pairs, in order. */
async function info(c: Coord, jobId: number): Promise<[string, string][]> {
  const text = await c.ok(`info ${jobId}`);
  return text.split('\n').map((line) => {
    const i = line.indexOf(': ');
    if (i < 0) throw new Error(`not a 'Field: value' line of info: ${JSON.stringify(line)}`);
    return [line.slice(0, i), line.slice(i + 2)];
  });
}

function field(fields: [string, string][], name: string): string | undefined {
  return fields.find(([k]) => k === name)?.[1];
}

/** The job's stdout file, or null while it has no directory. */
function stdoutOf(c: Coord, jobId: number): string | null {
  const dir = jobDirs(c.out).get(jobId);
  return dir === undefined ? null : fs.readFileSync(join(dir, `stdout_${jobId}`), 'utf8');
}

/** Every live member of the group runs (none stopped), and there is at least one. */
function running(pgid: number): boolean {
  const g = groupMembers(pgid);
  return g.length >= 1 && g.every((p) => p.state !== 'T' && p.state !== 't');
}

/** Waits until a job's process group has at least `n` live members; returns their pids. */
async function members(pgid: number, n: number): Promise<number[]> {
  const found = await waitFor(`process group ${pgid} to have ${n} members`, () => {
    const live = groupMembers(pgid);
    return live.length >= n ? live : false;
  });
  return found.map((m) => m.pid);
}

/** Consoles' private directories and FIFOs next to the coordinator's jms_in. */
function consoleFifos(c: Coord): Set<string> {
  return new Set(consoleEntries(c.dir));
}

interface Pending {
  result: Promise<RunResult>;
  done(): boolean;
}

/**
 * Starts a one-shot console whose answer comes later, and returns once it has sent its
 * request: its FIFOs have appeared, and another console's whole round trip (a Node
 * start-up, far longer than a handshake and one request) has been answered since.
 */
async function later(c: Coord, line: string): Promise<Pending> {
  const before = consoleFifos(c);
  let settled = false;
  const result = c.cmd(line).finally(() => (settled = true));
  await waitFor(`the console for '${line}' to connect`, () => settled || [...consoleFifos(c)].some((n) => !before.has(n)));
  await c.cmd('show-pools');
  return { result, done: () => settled };
}

/** Shuts the coordinator down (every subtest ends with it; see jobs-pools.test.ts). */
async function shutdown(t: Test, c: Coord, answer: string): Promise<void> {
  t.equal(await c.ok('shutdown'), answer);
  t.same(await c.exited(), { code: 0, signal: null }, 'the coordinator exits 0');
}

// ---------------------------------------------------------------------------------- kill

// Many real coordinators, consoles and grace periods: more than tap's default on a busy machine.
t.setTimeout(300_000);

t.test('kill <JobID>', async (t) => {
  const graceMs = 800;
  const c = await startCoord(t, { graceMs });

  await t.test('a running job ends by SIGTERM to its process group', async (t) => {
    const job = submitted(await c.ok("submit sh -c 'sleep 300 & sleep 300; wait'"));
    const pids = await members(job.pid, 3);
    t.equal(await c.ok(`kill ${job.jobId}`), `Sent kill signal to JobID ${job.jobId}`);
    await finished(c, job.jobId);
    await waitFor(`job ${job.jobId}'s process group to be empty`, () => groupMembers(job.pid).length === 0, 3000);
    for (const pid of pids) t.notOk(isAlive(pid), `group member ${pid} is gone`);
    const doc = await jsonInfo(c, job.jobId);
    t.equal(doc['status'], 'finished');
    t.equal(doc['outcome'], 'killed');
    t.equal(doc['signal'], 'SIGTERM');
    t.equal(doc['exitCode'], null);
    const w = await c.cmd(`wait ${job.jobId}`);
    t.equal(w.stdout, `JobID ${job.jobId} killed (SIGTERM)\n`);
    t.equal(w.code, 1, 'wait exits 1: the job did not succeed');
  });

  await t.test('a job that survives SIGTERM gets SIGKILL after the grace', async (t) => {
    const termed = join(c.dir, 'termed');
    // The trap is set by the job's own shell, the leader of its group: it outlives
    // SIGTERM (its sleeps die, the loop goes on) and says it got one.
    const job = submitted(await c.ok(`submit trap 'touch ${termed}' TERM; ${LOOP}`));
    await members(job.pid, 1);
    const began = Date.now();
    t.equal(await c.ok(`kill ${job.jobId}`), `Sent kill signal to JobID ${job.jobId}`);
    await waitFor('the job to get SIGTERM', () => fs.existsSync(termed), 3000);
    t.ok(isAlive(job.pid), 'it is still alive after its SIGTERM');
    await waitGone(job.pid, graceMs + 5000);
    const took = Date.now() - began;
    t.ok(took >= graceMs, `it ended ${took} ms after the kill, not before the ${graceMs} ms grace`);
    await waitFor(`job ${job.jobId}'s process group to be empty`, () => groupMembers(job.pid).length === 0, 3000);
    await finished(c, job.jobId);
    const doc = await jsonInfo(c, job.jobId);
    t.equal(doc['outcome'], 'killed');
    t.equal(doc['signal'], 'SIGKILL');
    const w = await c.cmd(`wait ${job.jobId}`);
    t.equal(w.stdout, `JobID ${job.jobId} killed (SIGKILL)\n`);
    t.equal(w.code, 1);
  });

  await t.test('a suspended job is killed, with nothing of its group left', async (t) => {
    const job = submitted(await c.ok("submit sh -c 'sleep 300 & sleep 300; wait'"));
    const pids = await members(job.pid, 3);
    t.equal(await c.ok(`suspend ${job.jobId}`), `Sent suspend signal to JobID ${job.jobId}`);
    await waitFor('every group member to be stopped', () => allStopped(job.pid, 3));
    t.equal(await c.ok(`kill ${job.jobId}`), `Sent kill signal to JobID ${job.jobId}`);
    await waitFor(`job ${job.jobId}'s process group to be empty`, () => groupMembers(job.pid).length === 0, graceMs + 3000);
    for (const pid of pids) t.notOk(isAlive(pid), `group member ${pid} is gone`);
    await finished(c, job.jobId);
    const w = await c.cmd(`wait ${job.jobId}`);
    t.equal(w.stdout, `JobID ${job.jobId} killed (SIGTERM)\n`, 'continued, it died of its SIGTERM');
    t.equal(w.code, 1);
  });

  await t.test('a finished job, an unknown id: one line of error, exit 1', async (t) => {
    const job = submitted(await c.ok('submit true'));
    await finished(c, job.jobId);
    const done = await c.cmd(`kill ${job.jobId}`);
    t.equal(done.code, 1, 'exit 1');
    t.equal(done.stdout, '');
    t.match(done.stderr, new RegExp(`^jms_console: error: [^\\n]*JobID ${job.jobId}\\b[^\\n]*finished[^\\n]*\\n$`), 'one line: it has finished');
    t.equal(await c.ok(`status ${job.jobId}`), `JobID ${job.jobId} Status: Finished`, 'nothing changed');

    const unknown = await c.cmd('kill 99');
    t.equal(unknown.code, 1, 'exit 1');
    t.equal(unknown.stdout, '');
    t.match(unknown.stderr, /^jms_console: error: [^\n]*JobID 99\b[^\n]*\n$/, 'one line naming the id');

    const word = await c.cmd('kill x');
    t.equal(word.code, 1);
    t.match(word.stderr, /^jms_console: error: 'x' is not a JobID[^\n]*\n$/);
  });

  await shutdown(t, c, 'Served 4 jobs, 0 were still in progress');
});

t.test('kill of a queued job removes it from the queue; it never runs', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
  const gate = join(c.dir, 'go');
  const ran = join(c.dir, 'ran');
  const first = submitted(await c.ok(`submit ${gated(gate)}`));
  t.equal(first.jobId, 1);
  t.equal(await c.ok(`submit touch ${ran}`), 'JobID: 2, Queued (position 1)');
  t.equal(await c.ok('kill 2'), 'Removed JobID 2 from the queue');
  t.equal(await c.ok('show-queued'), 'Queued jobs:', 'the queue is empty');
  t.equal(await c.ok('status 2'), 'JobID 2 Status: Finished', 'a cancelled job is Finished in the classic status');
  const doc = await jsonInfo(c, 2);
  t.equal(doc['status'], 'finished');
  t.equal(doc['outcome'], 'cancelled');
  t.equal(doc['pid'], null, 'it never had a pid');
  const w = await c.cmd('wait 2');
  t.match(w.stdout, /^JobID 2 cancelled: [^\n]+\n$/);
  t.equal(w.code, 1, 'a cancelled job did not succeed');

  open(gate);
  await finished(c, 1);
  // Had job 2 stayed in the queue, it would start before job 3.
  t.match(await c.ok('submit true'), /^JobID: 3, (PID: \d+|Queued \(position 1\))$/);
  await finished(c, 3);
  t.notOk(fs.existsSync(ran), 'job 2 never ran');
  t.same([...jobDirs(c.out).keys()].sort(), [1, 3], 'job 2 never got a directory');
  await shutdown(t, c, 'Served 3 jobs, 0 were still in progress');
});

// ------------------------------------------------------------------------ submit --timeout

t.test('submit --timeout', async (t) => {
  const c = await startCoord(t);

  await t.test('the job is killed once its time runs out', async (t) => {
    // The job notes when it started (ms, its own clock), then runs 30 s unless stopped.
    const job = submitted(await c.ok('submit --timeout 1s date +%s%3N; sleep 0.8; echo half-way; sleep 30; echo end'));
    t.equal(job.jobId, 1);
    await finished(c, job.jobId);
    const endedBy = Date.now();
    await waitGone(job.pid);
    const [stamp = '', ...rest] = (stdoutOf(c, job.jobId) ?? '').split('\n');
    t.same(rest, ['half-way', ''], 'it ran past 0.8 s and was killed before its end');
    const took = endedBy - Number(stamp);
    t.ok(took >= 900 && took < 5000, `it ended within ${took} ms of its start (timeout 1 s, runs 30 s)`);
    const fields = await info(c, job.jobId);
    t.same(
      fields.map(([k]) => k),
      ['JobID', 'Command', 'Status', 'PID', 'Pool', 'Host', 'Directory', 'Submitted', 'Started', 'Ended', 'Exit', 'Timeout', 'Working directory', 'Submitted by'],
      'info: every field, in order',
    );
    t.equal(field(fields, 'JobID'), String(job.jobId));
    t.equal(field(fields, 'Command'), 'date +%s%3N; sleep 0.8; echo half-way; sleep 30; echo end', 'the command without the submit options');
    t.match(field(fields, 'Status') ?? '', /^Finished \(timed[- ]out\b[^\n]*\)$/, 'info says it timed out');
    t.equal(field(fields, 'PID'), String(job.pid));
    t.equal(field(fields, 'Exit'), 'signal SIGTERM');
    t.equal(field(fields, 'Timeout'), '1s');

    const doc = await jsonInfo(c, job.jobId);
    t.equal(doc['outcome'], 'timed-out');
    t.equal(doc['timeoutSec'], 1);
    t.equal(doc['signal'], 'SIGTERM');

    const w = await c.cmd(`wait ${job.jobId}`);
    t.equal(w.stdout, `JobID ${job.jobId} timed out after 1s (SIGTERM)\n`);
    t.equal(w.code, 1, 'wait exits 1');
  });

  await t.test('bad options are refused with one line and create no job', async (t) => {
    const soon = await c.cmd('submit --timeout soon sleep 1');
    t.equal(soon.code, 1, 'a bad duration: exit 1');
    t.equal(soon.stdout, '');
    t.match(soon.stderr, /^jms_console: error: [^\n]*'?soon'?[^\n]*\n$/, 'one line naming the bad duration');

    const unknown = await c.cmd('submit --x');
    t.equal(unknown.code, 1, 'an unknown submit option: exit 1');
    t.equal(unknown.stdout, '');
    t.match(unknown.stderr, /^jms_console: error: [^\n]*--x[^\n]*\n$/, 'one line naming the option');

    // After --, --x is the job, not an option.
    const dashed = submitted(await c.ok('submit -- --x'));
    t.equal(dashed.jobId, 2, 'the refused submits made no job');
    t.equal(field(await info(c, dashed.jobId), 'Command'), '--x', 'the job is --x');
    await finished(c, dashed.jobId);
  });

  await t.test("after the job's first word, option-like words are the job's", async (t) => {
    const job = submitted(await c.ok('submit echo --timeout 5'));
    await finished(c, job.jobId);
    t.equal(stdoutOf(c, job.jobId), '--timeout 5\n', 'echo printed its own arguments');
    const fields = await info(c, job.jobId);
    t.equal(field(fields, 'Command'), 'echo --timeout 5');
    t.equal(field(fields, 'Timeout'), 'none', 'the job has no timeout');
    const w = await c.cmd(`wait ${job.jobId}`);
    t.equal(w.stdout, `JobID ${job.jobId} succeeded (exit code 0)\n`);
    t.equal(w.code, 0);
  });

  await shutdown(t, c, 'Served 3 jobs, 0 were still in progress');
});

// ----------------------------------------------------------------------------------- wait

t.test('wait <JobID…>', async (t) => {
  const c = await startCoord(t);
  const go1 = join(c.dir, 'go1');
  const go2 = join(c.dir, 'go2');
  const good = submitted(await c.ok(`submit ${gated(go1, 'exit 0')}`));
  const bad = submitted(await c.ok(`submit ${gated(go2, 'exit 3')}`));

  const w1 = await later(c, `wait ${good.jobId}`);
  t.notOk(w1.done(), 'wait has not returned while the job runs');
  open(go1);
  const r1 = await w1.result;
  t.equal(r1.stdout, `JobID ${good.jobId} succeeded (exit code 0)\n`);
  t.equal(r1.stderr, '');
  t.equal(r1.code, 0, 'exit 0: the job succeeded');

  const w2 = await later(c, `wait ${bad.jobId}`);
  t.notOk(w2.done(), 'wait has not returned while the job runs');
  open(go2);
  const r2 = await w2.result;
  t.equal(r2.stdout, `JobID ${bad.jobId} failed (exit code 3)\n`);
  t.equal(r2.code, 1, 'exit 1: the job failed');

  const both = await c.cmd(`wait ${good.jobId} ${bad.jobId}`);
  t.same(both.stdout.split('\n').filter((l) => l !== '').sort(), [
    `JobID ${good.jobId} succeeded (exit code 0)`,
    `JobID ${bad.jobId} failed (exit code 3)`,
  ], 'finished jobs: one line each, at once');
  t.equal(both.code, 1, 'exit 1: one of them did not succeed');

  const unknown = await c.cmd('wait 99');
  t.equal(unknown.code, 1, 'an unknown id: exit 1');
  t.equal(unknown.stdout, '');
  t.match(unknown.stderr, /^jms_console: error: [^\n]*JobID 99\b[^\n]*\n$/, 'one line naming the id');
  await shutdown(t, c, 'Served 2 jobs, 0 were still in progress');
});

t.test('wait --all waits for every job not finished yet', async (t) => {
  const c = await startCoord(t);
  const done = submitted(await c.ok('submit true'));
  await finished(c, done.jobId);
  const go2 = join(c.dir, 'go2');
  const go3 = join(c.dir, 'go3');
  const good = submitted(await c.ok(`submit ${gated(go2, 'exit 0')}`));
  const bad = submitted(await c.ok(`submit ${gated(go3, 'exit 3')}`));

  const all = await later(c, 'wait --all');
  open(go3);
  await finished(c, bad.jobId);
  t.notOk(all.done(), `wait --all is still waiting for JobID ${good.jobId}`);
  open(go2);
  const r = await all.result;
  t.same(r.stdout.split('\n').filter((l) => l !== '').sort(), [
    `JobID ${good.jobId} succeeded (exit code 0)`,
    `JobID ${bad.jobId} failed (exit code 3)`,
  ], 'one line for each job unfinished when it began, none for the finished one');
  t.equal(r.code, 1, 'exit 1: one of them failed');
  await shutdown(t, c, 'Served 3 jobs, 0 were still in progress');
});

// ---------------------------------------------------------------------------- show-queued

t.test('show-queued lists the queue in the order it will start', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
  t.equal(await c.ok('show-queued'), 'Queued jobs:', 'no job: just the header');
  const gate = (n: number): string => join(c.dir, `go${n}`);
  submitted(await c.ok(`submit ${gated(gate(1))}`));
  t.equal(await c.ok('show-queued'), 'Queued jobs:', 'a running job is not queued');
  t.equal(await c.ok(`submit ${gated(gate(2))}`), 'JobID: 2, Queued (position 1)');
  t.equal(await c.ok(`submit ${gated(gate(3))}`), 'JobID: 3, Queued (position 2)');
  t.equal(await c.ok(`submit ${gated(gate(4))}`), 'JobID: 4, Queued (position 3)');
  t.equal(await c.ok('show-queued'), 'Queued jobs:\n1. JobID 2\n2. JobID 3\n3. JobID 4');

  open(gate(1));
  await finished(c, 1);
  await waitFor('job 2 to start', async () => /^JobID 2 Status: Active/.test(await c.ok('status 2')));
  t.equal(await c.ok('show-queued'), 'Queued jobs:\n1. JobID 3\n2. JobID 4', 'job 2 left the queue as it started');
  const lines = (await c.ok('--json show-queued')).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.same(lines.map((l) => [l['jobId'], l['status']]), [[3, 'queued'], [4, 'queued']], '--json: one line per queued job');

  for (const n of [2, 3, 4]) open(gate(n));
  for (const n of [2, 3, 4]) await finished(c, n);
  t.equal(await c.ok('show-queued'), 'Queued jobs:', 'empty again: just the header');
  await shutdown(t, c, 'Served 4 jobs, 0 were still in progress');
});

// ------------------------------------------------------------------ pause-all / resume-all

t.test('pause-all stops running jobs and the queue; resume-all undoes exactly that', async (t) => {
  const c = await startCoord(t, { jobsPool: 3 });
  const a1 = submitted(await c.ok(`submit ${LOOP}`));
  const a2 = submitted(await c.ok(`submit ${LOOP}`));
  const mine = submitted(await c.ok(`submit ${LOOP}`));
  for (const job of [a1, a2, mine]) await members(job.pid, 1);
  t.equal(await c.ok(`suspend ${mine.jobId}`), `Sent suspend signal to JobID ${mine.jobId}`);
  await waitFor('the suspended job to be stopped', () => allStopped(mine.pid, 1));

  t.equal(await c.ok('pause-all'), 'Paused 2 running jobs; no job starts until resume-all');
  await waitFor('both running jobs to be stopped', () => allStopped(a1.pid, 1) && allStopped(a2.pid, 1));
  t.pass('every process of both running jobs is stopped (T)');
  for (const job of [a1, a2]) {
    t.equal(await c.ok(`status ${job.jobId}`), `JobID ${job.jobId} Status: Suspended (pause-all, until resume-all)`);
  }
  t.equal(await c.ok(`status ${mine.jobId}`), `JobID ${mine.jobId} Status: Suspended`, 'the job suspended by hand is not held by pause-all');

  const started = join(c.dir, 'started');
  t.equal(await c.ok(`submit touch ${started}`), 'JobID: 4, Queued (position 1)', 'a new submit queues');
  t.equal(await c.ok('status 4'), 'JobID 4 Status: Queued');
  t.equal(await c.ok('show-queued'), 'Queued jobs:\n1. JobID 4');
  t.notOk(jobDirs(c.out).has(4), 'it has not started');

  t.equal(await c.ok('resume-all'), 'Resumed 2 jobs; jobs start again');
  await waitFor('both paused jobs to run again', () => running(a1.pid) && running(a2.pid));
  t.pass('no process of the paused jobs is stopped any more');
  for (const job of [a1, a2]) t.match(await c.ok(`status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)$`));
  t.ok(allStopped(mine.pid, 1), 'the job suspended by hand is still stopped');
  t.equal(await c.ok(`status ${mine.jobId}`), `JobID ${mine.jobId} Status: Suspended`, 'and still Suspended');
  await waitFor('the queued job to start and run', () => fs.existsSync(started));
  await finished(c, 4);

  t.equal(await c.ok(`resume ${mine.jobId}`), `Sent resume signal to JobID ${mine.jobId}`);
  await waitFor('the job suspended by hand to run once resumed', () => running(mine.pid));
  await shutdown(t, c, 'Served 4 jobs, 3 were still in progress');
});

t.test('pause-all --for resumes by itself, with no console connected, on the coordinator\'s clock', async (t) => {
  const c = await startCoord(t);
  const job = submitted(await c.ok(`submit ${LOOP}`));
  await members(job.pid, 1);

  const answer = await c.ok('pause-all --for 2h');
  const answeredAt = Date.now();
  const m = new RegExp(`^Paused 1 running jobs?; everything resumes by itself at ${RESUME_AT} \\(in (1h59m\\d+s|2h)\\)$`).exec(answer);
  t.ok(m, `the answer: ${JSON.stringify(answer)}`);
  const at = checkResumeAt(t, m?.[1], answeredAt + 7_200_000, answeredAt, 'two hours from now');

  await waitFor('the job to be stopped', () => allStopped(job.pid, 1), 3000);
  t.equal(await c.ok(`status ${job.jobId}`), `JobID ${job.jobId} Status: Suspended (pause-all, resumes by itself at ${at})`);
  const started = join(c.dir, 'started');
  t.equal(await c.ok(`submit touch ${started}`), 'JobID: 2, Queued (position 1)', 'a new submit queues');

  // An hour and 59 minutes on the coordinator's clock: still held (the clock has moved
  // once `status-all 60` no longer lists the job submitted just now).
  c.advance(119 * 60_000);
  await waitFor('the coordinator clock to move', async () => !(await c.ok('status-all 60')).includes('JobID 2 '), 5000, 50);
  t.ok(allStopped(job.pid, 1), 'a minute before its end the job is still stopped');
  t.equal(await c.ok('status 2'), 'JobID 2 Status: Queued', 'and the queued job waits');
  // Every console has exited: only the coordinator's own timer can resume it.
  c.advance(2 * 60_000);
  await waitFor('the job to run again by itself', () => running(job.pid), 5000);
  await waitFor('the queued job to start', () => fs.existsSync(started), 5000);
  t.match(await c.ok(`status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)$`));
  await shutdown(t, c, 'Served 2 jobs, 1 were still in progress');
});

// -------------------------------------------------------------------------- shutdown --drain

t.test('shutdown --drain answers once running jobs end; queued ones never start', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
  const gate = join(c.dir, 'go');
  const queuedRan = join(c.dir, 'queued-ran');
  const first = submitted(await c.ok(`submit ${gated(gate, 'sleep 0.3; echo done')}`));
  t.equal(await c.ok(`submit touch ${queuedRan}`), 'JobID: 2, Queued (position 1)');

  let answeredAt = 0;
  let stdoutAtAnswer: string | null = null;
  const drain = c.cmd('shutdown --drain').then((r) => {
    answeredAt = Date.now();
    stdoutAtAnswer = stdoutOf(c, first.jobId);
    return r;
  });

  // A submit accepted before the drain began is queued like job 2 (and counted).
  let accepted = 0;
  const refused = await waitFor('a submit to be refused by the draining coordinator', async () => {
    if (answeredAt !== 0) return 'the drain answered early';
    const r = await c.cmd('submit true');
    if (r.code === 0) accepted++;
    return r.code === 0 ? false : r;
  });
  if (typeof refused === 'string') {
    const early = await drain;
    t.fail(`shutdown --drain ended while its job was still running: exit ${early.code}, ${JSON.stringify(early.stdout + early.stderr)}`);
    return;
  }
  t.equal(refused.code, 1, 'a submit during the drain fails with exit 1');
  t.equal(refused.stdout, '');
  t.match(refused.stderr, /^jms_console: error: [^\n]*(shut|drain)[^\n]*\n$/i, 'one line saying why');
  t.equal(answeredAt, 0, 'no answer while the job still runs');
  t.ok(isAlive(first.pid), 'the running job was left to run');
  // A second drain joins the first: it does not stop the coordinator early.
  const second = await later(c, 'shutdown --drain');
  t.notOk(second.done(), 'a second shutdown --drain waits too');
  t.ok(isAlive(first.pid), 'and the job still runs');

  const openedAt = Date.now();
  open(gate);
  const r = await drain;
  const r2 = await second.result;
  t.equal(r2.stdout, r.stdout, 'the second drain gets the same summary');
  t.equal(r2.code, 0);
  t.equal(r.stderr, '');
  t.equal(r.code, 0);
  const n = 2 + accepted;
  t.equal(r.stdout, `Served ${n} jobs, ${n} were still in progress\n`);
  t.ok(answeredAt - openedAt >= 300, `the answer came ${answeredAt - openedAt} ms after the job was let go (it sleeps 0.3 s)`);
  t.equal(stdoutAtAnswer, 'done\n', "the job's output was complete when the answer came");
  t.same(await c.exited(), { code: 0, signal: null }, 'the coordinator exits 0');
  t.notOk(isAlive(first.pid));
  t.notOk(fs.existsSync(queuedRan), 'the queued job never ran');
  t.same([...jobDirs(c.out).keys()], [1], 'only the running job ever got a directory');
});
