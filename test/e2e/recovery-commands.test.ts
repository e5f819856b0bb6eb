// What the commands added to the classic set must keep across a coordinator crash: the
// coordinator is SIGKILLed and a new one started on the same -l path and FIFOs, and then
// pause-all (with and without --for), a running job's --timeout, a queued job's working
// directory and environment, and kill of an adopted job must all still hold. Process
// states are read from /proc (helpers/proc.ts), never from kill(pid, 0).

import { checkResumeAt, RESUME_AT } from '../helpers/resume-at.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CONSOLE, jobDirs, testEnv, type RunResult } from '../helpers/coord.js';
import { allStopped, groupMembers, isAlive } from '../helpers/proc.js';
import { advanceClock, clockPast, consoleRun, crash, launch, ok, shutdown, site, submitJob, type Site } from '../helpers/site.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A one-shot console in a directory and with an environment of the test's choosing
 * (`run` always uses the runner's): what a submit from elsewhere looks like.
 */
function consoleAt(s: Site, args: readonly string[], opts: { cwd: string; env: Record<string, string> }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CONSOLE, '-w', s.jmsIn, '-r', s.jmsOut, ...args], {
      cwd: opts.cwd, env: testEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (x: string) => (stdout += x));
    child.stderr.setEncoding('utf8').on('data', (x: string) => (stderr += x));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end();
  });
}

/** `--json info <id>`: the job document. */
async function jsonInfo(s: Site, jobId: number): Promise<Record<string, unknown>> {
  const text = await ok(s, `--json info ${jobId}`);
  const doc: unknown = JSON.parse(text);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`not a job document: ${text}`);
  return doc as Record<string, unknown>;
}

/** `info <id>` as a map of its `Field: value` lines. */
async function info(s: Site, jobId: number): Promise<Map<string, string>> {
  const text = await ok(s, `info ${jobId}`);
  return new Map(text.split('\n').map((line) => {
    const i = line.indexOf(': ');
    if (i < 0) throw new Error(`not a 'Field: value' line of info: ${JSON.stringify(line)}`);
    return [line.slice(0, i), line.slice(i + 2)] as [string, string];
  }));
}

async function finished(s: Site, jobId: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(`job ${jobId} to finish`, async () => (await ok(s, `status ${jobId}`)) === `JobID ${jobId} Status: Finished`, timeoutMs);
}

/** A job that runs until it is signalled. */
const LOOP = 'while :; do sleep 0.05; done';

/** Every live member of the group runs (none stopped), and there are at least `n`. */
function running(pgid: number, n = 1): boolean {
  const g = groupMembers(pgid);
  return g.length >= n && g.every((p) => p.state !== 'T' && p.state !== 't');
}

/** Waits until a job's process group has at least `n` live members; returns their pids. */
async function members(pgid: number, n: number): Promise<number[]> {
  const found = await waitFor(`process group ${pgid} to have ${n} members`, () => {
    const live = groupMembers(pgid);
    return live.length >= n ? live : false;
  });
  return found.map((m) => m.pid);
}

/** The job's stdout file, or null while it has no directory. */
function stdoutOf(s: Site, jobId: number): string | null {
  const dir = jobDirs(s.out).get(jobId);
  if (dir === undefined) return null;
  try {
    return fs.readFileSync(join(dir, `stdout_${jobId}`), 'utf8');
  } catch {
    return null;
  }
}

// --- 1. pause-all --for across a crash ------------------------------------------------
// Time is the coordinator's (JMS_CLOCK_FILE, helpers/site.ts): the test moves it, so no
// wall-clock window on a loaded machine decides the outcome.

t.test('pause-all --for: held across a crash and resumed on time by the restarted coordinator, with no console', async (t) => {
  const s = site(t, ['-n', '3']);
  const a = await launch(t, s);
  const j1 = await submitJob(s, `sleep 300 & ${LOOP}`);
  const j2 = await submitJob(s, LOOP);
  await members(j1.pid, 2);
  await members(j2.pid, 1);

  const answer = await ok(s, 'pause-all --for 1h');
  const answeredAt = Date.now();
  const m = new RegExp(`^Paused 2 running jobs; everything resumes by itself at ${RESUME_AT} \\(in (59m\\d+s|1h)\\)$`).exec(answer);
  t.ok(m, `the pause-all answer: ${JSON.stringify(answer)}`);
  const at = checkResumeAt(t, m?.[1], answeredAt + 3600_000, answeredAt, 'an hour from now');
  await waitFor('both jobs to be stopped', () => allStopped(j1.pid, 2) && allStopped(j2.pid, 1), 3000);
  const started = join(s.dir, 'started');
  t.equal(await ok(s, `submit touch ${started}`), 'JobID: 3, Queued (position 1)', 'a submit during the pause queues');

  await crash(a);
  t.ok(allStopped(j1.pid, 2) && allStopped(j2.pid, 1), 'the jobs stay stopped with no coordinator');
  const b = await launch(t, s);
  t.match(b.log(), /3 job\(s\) on record, next JobID 4; 1 queued again, 0 settled, 2 still with their pools/, 'the restart found both jobs with their pool');
  t.ok(allStopped(j1.pid, 2) && allStopped(j2.pid, 1), 'the held jobs are still stopped after the restart');
  for (const job of [j1, j2]) {
    t.equal(await ok(s, `status ${job.jobId}`), `JobID ${job.jobId} Status: Suspended (pause-all, resumes by itself at ${at})`,
      `JobID ${job.jobId} is still held by pause-all, until the same time`);
  }
  const doc = await jsonInfo(s, j1.jobId);
  t.equal(doc['pausedByPauseAll'], true, '--json: pausedByPauseAll');
  const endsAt = typeof doc['pauseEndsAt'] === 'string' ? Date.parse(doc['pauseEndsAt']) : NaN;
  t.ok(Math.abs(endsAt - (answeredAt + 3600_000)) < 1500, `--json: pauseEndsAt ${String(doc['pauseEndsAt'])} is the original end of the pause`);
  t.equal(await ok(s, 'status 3'), 'JobID 3 Status: Queued', 'the queued job still waits');

  // 59 minutes on the coordinator's clock: not yet.
  advanceClock(s, 59 * 60_000);
  await clockPast(s, 3, 59 * 60_000);
  t.ok(allStopped(j1.pid, 2) && allStopped(j2.pid, 1), 'a minute before its end, the pause still holds');
  t.equal(await ok(s, 'status 3'), 'JobID 3 Status: Queued', 'and the queued job still waits');

  // Every console has exited: only the restarted coordinator's own timer can resume them.
  advanceClock(s, 61_000);
  await waitFor('the held jobs to run again by themselves', () => running(j1.pid, 2) && running(j2.pid, 1), 5000);
  t.pass('they ran again once the coordinator\'s clock passed the end of the pause');
  await waitFor('the queued job to start', () => fs.existsSync(started), 5000);
  t.pass('the queued job started once the pause ended');
  for (const job of [j1, j2]) {
    t.match(await ok(s, `status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)$`), `JobID ${job.jobId} is Active again`);
  }
  t.equal((await jsonInfo(s, j1.jobId))['pausedByPauseAll'], false, '--json: no longer held');
  await shutdown(t, s, b, /^Served 3 jobs, 2 were still in progress$/);
});

// --- 2. pause-all (no end) across a crash --------------------------------------------

t.test('pause-all without --for stays in force across a crash until resume-all', async (t) => {
  const s = site(t, ['-n', '3']);
  const a = await launch(t, s);
  const j1 = await submitJob(s, LOOP);
  const j2 = await submitJob(s, `sleep 300 & ${LOOP}`);
  const mine = await submitJob(s, LOOP);
  await members(j1.pid, 1);
  await members(j2.pid, 2);
  await members(mine.pid, 1);
  t.equal(await ok(s, `suspend ${mine.jobId}`), `Sent suspend signal to JobID ${mine.jobId}`);
  await waitFor('the job suspended by hand to be stopped', () => allStopped(mine.pid, 1), 3000);

  t.equal(await ok(s, 'pause-all'), 'Paused 2 running jobs; no job starts until resume-all');
  await waitFor('both running jobs to be stopped', () => allStopped(j1.pid, 1) && allStopped(j2.pid, 2), 3000);

  await crash(a);
  const b = await launch(t, s);
  t.ok(allStopped(j1.pid, 1) && allStopped(j2.pid, 2), 'the held jobs are still stopped after the restart');
  for (const job of [j1, j2]) {
    t.equal(await ok(s, `status ${job.jobId}`), `JobID ${job.jobId} Status: Suspended (pause-all, until resume-all)`, `JobID ${job.jobId} is still held by pause-all`);
  }
  t.equal(await ok(s, `status ${mine.jobId}`), `JobID ${mine.jobId} Status: Suspended`, 'the job suspended by hand is not held by pause-all');

  const started = join(s.dir, 'started');
  t.equal(await ok(s, `submit touch ${started}`), 'JobID: 4, Queued (position 1)', 'still paused: a new submit queues');
  t.equal(await ok(s, 'show-queued'), 'Queued jobs:\n1. JobID 4');
  t.notOk(jobDirs(s.out).has(4), 'it has not started');

  t.equal(await ok(s, 'resume-all'), 'Resumed 2 jobs; jobs start again');
  await waitFor('both held jobs to run again', () => running(j1.pid, 1) && running(j2.pid, 2), 5000);
  t.pass('no process of the held jobs is stopped any more');
  await waitFor('the queued job to start and run', () => fs.existsSync(started), 5000);
  t.pass('the queued job started');
  await finished(s, 4);
  for (const job of [j1, j2]) {
    t.match(await ok(s, `status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)$`));
  }
  t.ok(allStopped(mine.pid, 1), 'the job suspended by hand is still stopped');
  t.equal(await ok(s, `status ${mine.jobId}`), `JobID ${mine.jobId} Status: Suspended`, 'and still Suspended');
  await shutdown(t, s, b, /^Served 4 jobs, 3 were still in progress$/);
});

// --- 3. submit --timeout across a crash ----------------------------------------------

t.test('an adopted job still ends at its --timeout, and is recorded as timed out', async (t) => {
  const s = site(t, ['-n', '1']);
  const a = await launch(t, s);
  const job = await submitJob(s, '--timeout 1h echo one; sleep 300; echo end');
  await waitFor('the job to have begun', () => /^one\n/.test(stdoutOf(s, job.jobId) ?? ''), 5000);

  await crash(a);
  const b = await launch(t, s);
  t.match(b.log(), /1 still with their pools/, 'the restart found the job with its pool');
  t.ok(isAlive(job.pid), 'the job is still running after the restart');

  advanceClock(s, 50 * 60_000);
  await clockPast(s, job.jobId, 50 * 60_000);
  t.ok(isAlive(job.pid), 'after 50 minutes of running time it still runs');
  advanceClock(s, 11 * 60_000);
  await waitFor(`job ${job.jobId} (pid ${job.pid}) to end`, () => !isAlive(job.pid), 10_000);
  t.same((stdoutOf(s, job.jobId) ?? '').split('\n'), ['one', ''], 'it was stopped before its end');
  await waitFor('its process group to be gone', () => groupMembers(job.pid).length === 0, 3000);

  await finished(s, job.jobId);
  const fields = await info(s, job.jobId);
  t.match(fields.get('Status'), /^Finished \(timed out after 1h, SIGTERM\)$/, `info: ${fields.get('Status') ?? ''}`);
  t.equal(fields.get('Exit'), 'signal SIGTERM');
  t.equal(fields.get('Timeout'), '1h');
  const doc = await jsonInfo(s, job.jobId);
  t.equal(doc['outcome'], 'timed-out', '--json outcome');
  t.equal(doc['signal'], 'SIGTERM');
  t.equal(doc['timeoutSec'], 3600);
  const w = await consoleRun(s, `wait ${job.jobId}`);
  t.equal(w.stdout, `JobID ${job.jobId} timed out after 1h (SIGTERM)\n`);
  t.equal(w.code, 1, 'wait exits 1');
  await shutdown(t, s, b, /^Served 1 jobs, 0 were still in progress$/);
});

// --- 4. a queued job's directory and environment across a crash ---------------------

t.test("a queued job keeps its console's directory and environment across a crash", async (t) => {
  t.not(process.env['FOO'], 'bar', 'precondition: FOO=bar is not inherited from the test runner');
  const s = site(t, ['-n', '1', '--max-pools', '1']);
  const work = fs.realpathSync(fs.mkdtempSync(join(os.tmpdir(), 'jms-cwd-')));
  t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));
  const a = await launch(t, s);
  const front = await submitJob(s, 'sleep 300');

  const q = await consoleAt(s, ['submit', 'pwd; echo $FOO'], { cwd: work, env: { FOO: 'bar', PWD: work } });
  t.equal(q.code, 0, q.stderr);
  t.equal(q.stdout, 'JobID: 2, Queued (position 1)\n', 'the job queues behind the long one');

  await crash(a);
  const b = await launch(t, s);
  t.match(b.log(), /2 job\(s\) on record, next JobID 3; 1 queued again, 0 settled, 1 still with their pools/);
  // The adopted job's orphaned pool is still alive and its job still runs: with
  // --max-pools 1 (and -n 1) nothing else may run until it ends.
  t.equal(await ok(s, 'status 2'), 'JobID 2 Status: Queued', 'it still waits behind the adopted job (--max-pools 1)');
  t.ok(isAlive(front.pid), 'the adopted front job is still running');

  t.equal(await ok(s, `kill ${front.jobId}`), `Sent kill signal to JobID ${front.jobId}`);
  await finished(s, front.jobId);
  await finished(s, 2);
  const frontEnd = Date.parse(String((await jsonInfo(s, front.jobId))['endedAt']));
  const queuedStart = Date.parse(String((await jsonInfo(s, 2))['startedAt']));
  t.ok(queuedStart >= frontEnd, `the queued job started (${new Date(queuedStart).toISOString()}) only once the front job had ended (${new Date(frontEnd).toISOString()})`);
  t.equal(stdoutOf(s, 2), `${work}\nbar\n`, "pwd is the submitting console's directory, $FOO its environment");
  t.same(fs.readdirSync(work), [], 'nothing was written into the working directory');
  t.equal((await info(s, 2)).get('Working directory'), work, 'info shows that working directory');
  const doc = await jsonInfo(s, 2);
  t.equal(doc['cwd'], work, '--json cwd');
  t.equal(doc['outcome'], 'succeeded');
  await shutdown(t, s, b, /^Served 2 jobs, 0 were still in progress$/);
});

// --- 5. kill of an adopted job ------------------------------------------------------

t.test('kill after a restart reaches the whole group of an adopted job', async (t) => {
  const graceMs = 500;
  const s = site(t, ['-n', '3', '--grace', String(graceMs)]);
  const a = await launch(t, s);
  const job = await submitJob(s, 'sleep 300 & sleep 301; wait');
  // Its whole group ignores SIGTERM (children inherit SIG_IGN): only SIGKILL ends it.
  const stubborn = await submitJob(s, `trap '' TERM; ${LOOP}`);
  const pids = await members(job.pid, 3);
  await members(stubborn.pid, 1);

  await crash(a);
  const b = await launch(t, s);
  t.match(b.log(), /2 still with their pools/, 'the restart found both jobs with their pools');

  t.equal(await ok(s, `kill ${job.jobId}`), `Sent kill signal to JobID ${job.jobId}`);
  await waitFor(`job ${job.jobId}'s process group to be empty`, () => groupMembers(job.pid).length === 0, 3000)
    .catch(() => undefined);
  t.same(groupMembers(job.pid), [], 'nothing of its group is left');
  for (const pid of pids) t.notOk(isAlive(pid), `group member ${pid} is gone`);
  await finished(s, job.jobId);
  const doc = await jsonInfo(s, job.jobId);
  t.equal(doc['outcome'], 'killed', '--json outcome');
  t.equal(doc['signal'], 'SIGTERM');
  const w = await consoleRun(s, `wait ${job.jobId}`);
  t.equal(w.stdout, `JobID ${job.jobId} killed (SIGTERM)\n`);
  t.equal(w.code, 1);

  const began = Date.now();
  t.equal(await ok(s, `kill ${stubborn.jobId}`), `Sent kill signal to JobID ${stubborn.jobId}`);
  await waitFor(`job ${stubborn.jobId}'s process group to be empty`, () => groupMembers(stubborn.pid).length === 0, graceMs + 5000)
    .catch(() => undefined);
  const tookMs = Date.now() - began;
  t.same(groupMembers(stubborn.pid), [], 'the job that ignores SIGTERM is gone too');
  t.ok(tookMs >= graceMs, `it ended ${tookMs} ms after the kill, not before the ${graceMs} ms grace`);
  await finished(s, stubborn.jobId);
  const doc2 = await jsonInfo(s, stubborn.jobId);
  t.equal(doc2['outcome'], 'killed');
  t.equal(doc2['signal'], 'SIGKILL', 'SIGKILL after the grace');
  t.equal(await ok(s, 'show-active'), 'Active jobs:');
  await shutdown(t, s, b, /^Served 2 jobs, 0 were still in progress$/);
});
