// Jobs and pools as real processes: output directories and their contents, process
// groups under suspend/resume, how jobs end, the pool life cycle (quota, exit, new
// pools) and the queue beyond --max-pools, checked against /proc and the filesystem.

import fs from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import t, { type Test } from 'tap';
import { jobDirs, startCoord, submitted, waitGone, type Coord } from '../helpers/coord.js';
import { allStopped, groupMembers, isAlive, procStat } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

/** A job that runs until `<gate>` exists. */
function gated(gate: string): string {
  return `while [ ! -e ${gate} ]; do sleep 0.02; done`;
}

function open(gate: string): void {
  fs.writeFileSync(gate, '');
}

async function finished(c: Coord, jobId: number): Promise<void> {
  await waitFor(`job ${jobId} to finish`, async () => (await c.ok(`status ${jobId}`)) === `JobID ${jobId} Status: Finished`);
}

/** The rows of show-pools as [pid, count], in order; checks the header. */
async function pools(t: Test, c: Coord): Promise<[number, number][]> {
  const lines = (await c.ok('show-pools')).split('\n');
  t.equal(lines[0], 'Pool & NumOfJobs:', 'show-pools header');
  return lines.slice(1).map((line, i) => {
    const m = /^(\d+)\. (\d+) (\d+)$/.exec(line);
    if (m === null || Number(m[1]) !== i + 1) throw new Error(`not a show-pools row: ${JSON.stringify(line)}`);
    return [Number(m[2]), Number(m[3])];
  });
}

/**
 * Shuts the coordinator down and waits for it. Every subtest ends with this: startCoord's
 * teardown runs after t.testdir() has removed the directory, so its `shutdown` cannot
 * spawn the console (cwd gone) and it falls back to SIGKILL after 10 s.
 */
async function shutdown(t: Test, c: Coord, answer: RegExp): Promise<void> {
  t.match(await c.ok('shutdown'), answer);
  t.same(await c.exited(), { code: 0, signal: null }, 'the coordinator exits 0');
}

/** Local time of a YYYYMMDD_HHMMSS stamp, in ms. */
function stampTime(stamp: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (m === null) throw new Error(`not a stamp: ${stamp}`);
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

// SPEC §1: "When a pool's jobs have all finished, it hands what it collected to the
// coordinator and exits." A full pool exits at once; one with quota left is retired by
// the coordinator after --pool-idle (1 s by default).

t.test('a job writes its output into jms_<user>_<jobid>_<pid>_<date>_<time>, owner-only', async (t) => {
  const c = await startCoord(t);
  const user = os.userInfo().username;
  const before = Date.now();
  const job = submitted(await c.ok("submit echo out-line; echo err-line >&2; printf 'x%.0s' $(seq 1 100000)"));
  const after = Date.now();
  await finished(c, job.jobId);

  const dir = jobDirs(c.out).get(job.jobId);
  if (dir === undefined) throw new Error(`no directory for job ${job.jobId} in ${fs.readdirSync(c.out).join(', ')}`);
  const name = basename(dir);
  const m = /^jms_(.+)_(\d+)_(\d+)_(\d{8}_\d{6})$/.exec(name);
  t.ok(m, `directory name ${name} has the pattern`);
  t.equal(m?.[1], user, 'user is the login name');
  t.equal(Number(m?.[2]), job.jobId, 'jobid as answered by submit');
  t.equal(Number(m?.[3]), job.pid, 'pid as answered by submit');
  const at = stampTime(m?.[4] ?? '');
  // The stamp has whole seconds: it may read up to 1 s before `before`.
  t.ok(at >= before - 2000 && at <= after + 2000, `start time ${m?.[4]} is near the submit time (local)`);

  t.same(fs.readdirSync(dir).sort(), [`stderr_${job.jobId}`, `stdout_${job.jobId}`], 'exactly the two output files');
  t.equal(fs.readFileSync(join(dir, `stdout_${job.jobId}`), 'utf8'), `out-line\n${'x'.repeat(100_000)}`, 'stdout verbatim');
  t.equal(fs.readFileSync(join(dir, `stderr_${job.jobId}`), 'utf8'), 'err-line\n', 'stderr verbatim');
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'directory is 0700');
  t.equal(fs.statSync(join(dir, `stdout_${job.jobId}`)).mode & 0o777, 0o600, 'stdout file is 0600');
  t.equal(fs.statSync(join(dir, `stderr_${job.jobId}`)).mode & 0o777, 0o600, 'stderr file is 0600');

  // Spacing, quotes and pipes reach /bin/sh as typed (c.cmd would re-join split words).
  const r = await c.feed(['submit echo "a  b" | tr a A']);
  t.equal(r.code, 0, r.stderr);
  const piped = submitted(r.stdout);
  await finished(c, piped.jobId);
  const pipedDir = jobDirs(c.out).get(piped.jobId) ?? '';
  t.equal(fs.readFileSync(join(pipedDir, `stdout_${piped.jobId}`), 'utf8'), 'A  b\n', 'quoted spacing and the pipe survive');
  t.equal(fs.readFileSync(join(pipedDir, `stderr_${piped.jobId}`), 'utf8'), '');
  await shutdown(t, c, /^Served 2 jobs, 0 were still in progress$/);
});

t.test('suspend and resume reach the whole process group of the job', async (t) => {
  const c = await startCoord(t, { graceMs: 500 });
  const r = await c.feed(["submit sh -c 'sleep 300 & sleep 300 & wait'"]);
  t.equal(r.code, 0, r.stderr);
  const job = submitted(r.stdout);
  t.equal(procStat(job.pid)?.pgrp, job.pid, 'the job pid leads its own process group');
  // /bin/sh -c, the inner sh and its two sleeps (dash may exec the inner sh: >= 3).
  const members = await waitFor('the job to fork its sleeps', () => {
    const g = groupMembers(job.pid);
    return g.filter((p) => p.pid !== job.pid).length >= 2 ? g : false;
  });
  t.ok(members.length >= 3, `the group has ${members.length} live members`);

  t.equal(await c.ok(`suspend ${job.jobId}`), `Sent suspend signal to JobID ${job.jobId}`);
  await waitFor('every group member to be stopped', () => {
    return allStopped(job.pid, 3);
  }).catch((err: unknown) => {
    t.fail(`not all stopped: ${JSON.stringify(groupMembers(job.pid))}`);
    throw err;
  });
  t.pass('every member of the group is stopped (T, or D for a shell waiting on its stopped vfork child)');
  t.equal(await c.ok(`status ${job.jobId}`), `JobID ${job.jobId} Status: Suspended`);

  t.equal(await c.ok(`resume ${job.jobId}`), `Sent resume signal to JobID ${job.jobId}`);
  await waitFor('no group member to be stopped', () => {
    const g = groupMembers(job.pid);
    return g.length >= 3 && g.every((p) => p.state !== 'T');
  });
  t.pass('no member of the group is stopped');
  t.match(await c.ok(`status ${job.jobId}`), new RegExp(`^JobID ${job.jobId} Status: Active \\(running for \\d+ seconds\\)$`));

  const pids = groupMembers(job.pid).map((p) => p.pid);
  await shutdown(t, c, /^Served 1 jobs, 1 were still in progress$/);
  for (const pid of pids) await waitGone(pid);
  t.same(groupMembers(job.pid), [], 'nothing of the job is left after shutdown');
});

t.test('a job that fails or is killed by a signal is Finished', async (t) => {
  const c = await startCoord(t);
  const failed = submitted(await c.ok('submit exit 3'));
  const killed = submitted(await c.ok('submit kill -KILL $$'));
  const termed = submitted(await c.ok('submit kill -TERM $$; sleep 5'));
  for (const job of [failed, killed, termed]) {
    await finished(c, job.jobId);
    await waitGone(job.pid);
  }
  t.equal(await c.ok('show-finished'), `Finished jobs:\n1. JobID ${failed.jobId}\n2. JobID ${killed.jobId}\n3. JobID ${termed.jobId}`);
  t.equal(await c.ok('show-active'), 'Active jobs:');
  await shutdown(t, c, /^Served 3 jobs, 0 were still in progress$/);
});

t.test('pools: jobs_pool jobs each, parent of their jobs, gone when done', async (t) => {
  const c = await startCoord(t, { jobsPool: 2 });
  const gate = join(c.dir, 'go');
  const jobs = [];
  for (let i = 0; i < 5; i++) jobs.push(submitted(await c.ok(`submit ${gated(gate)}`)));
  t.same(jobs.map((j) => j.jobId), [1, 2, 3, 4, 5]);

  const rows = await pools(t, c);
  t.same(rows.map(([, n]) => n), [2, 2, 1], 'three pools holding 2, 2 and 1 jobs');
  const poolPids = rows.map(([pid]) => pid);
  t.equal(new Set(poolPids).size, 3, 'pool pids are distinct');
  const jobPids = new Set(jobs.map((j) => j.pid));
  for (const pid of poolPids) {
    t.ok(isAlive(pid), `pool ${pid} is alive`);
    t.notOk(jobPids.has(pid), `pool ${pid} is not a job`);
  }
  jobs.forEach((job, i) => {
    t.equal(procStat(job.pid)?.ppid, poolPids[Math.floor(i / 2)], `job ${job.jobId}'s parent is the pool listed for it`);
  });

  open(gate);
  for (const job of jobs) await finished(c, job.jobId);
  t.equal(await c.ok('show-active'), 'Active jobs:');
  for (const pid of poolPids.slice(0, 2)) await waitGone(pid);
  t.pass('the two full pools exited once their jobs ended');

  await t.test('a pool whose jobs have all finished exits, and a new job starts a new pool', async (t) => {
    const last = poolPids[2] ?? -1;
    const gone = await waitFor(`pool ${last} to exit`, () => !isAlive(last), 3000).then(() => true, () => false);
    t.ok(gone, `pool ${last} (its one job finished) has exited`);
    t.same(await pools(t, c), [], 'show-pools is just the header');
    const gate6 = join(c.dir, 'go6');
    const sixth = submitted(await c.ok(`submit ${gated(gate6)}`));
    const parent = procStat(sixth.pid)?.ppid ?? -1;
    t.ok(isAlive(parent), `job 6 runs under pool ${parent}`);
    t.notOk(poolPids.includes(parent), 'a pool not seen before');
    t.same((await pools(t, c)).map(([pid]) => pid), [parent], 'the only live pool is the new one');
    open(gate6);
    await finished(c, sixth.jobId);
  });
  await shutdown(t, c, /^Served 6 jobs, 0 were still in progress$/);
});

t.test('a pool takes at most jobs_pool jobs over its life, even after they finished', async (t) => {
  const c = await startCoord(t, { jobsPool: 2 });
  const go1 = join(c.dir, 'go1');
  const go = join(c.dir, 'go');
  const first = submitted(await c.ok(`submit ${gated(go1)}`));
  const poolOf = new Map<number, number>([[first.jobId, procStat(first.pid)?.ppid ?? -1]]);
  open(go1);
  await finished(c, first.jobId);
  const second = submitted(await c.ok(`submit ${gated(go)}`));
  const third = submitted(await c.ok(`submit ${gated(go)}`));
  poolOf.set(second.jobId, procStat(second.pid)?.ppid ?? -1);
  poolOf.set(third.jobId, procStat(third.pid)?.ppid ?? -1);
  t.ok(isAlive(poolOf.get(2) ?? -1) && isAlive(poolOf.get(3) ?? -1), `jobs 2 and 3 run under live pools: ${[...poolOf.values()].join(', ')}`);
  // Whether the first pool lingers idle (job 2 joins it, job 3 starts pool 2) or exits
  // (jobs 2 and 3 share pool 2), no pool may have hosted more than 2 of the 3 jobs.
  const hosted = new Map<number, number>();
  for (const pool of poolOf.values()) hosted.set(pool, (hosted.get(pool) ?? 0) + 1);
  t.ok([...hosted.values()].every((n) => n <= 2), `no pool took more than 2 jobs: ${JSON.stringify([...hosted])}`);
  t.not(poolOf.get(3), poolOf.get(1), 'job 3 does not run in the pool of job 1');
  if (poolOf.get(2) === poolOf.get(1)) t.not(poolOf.get(3), poolOf.get(2), 'job 2 filled the first pool, so job 3 runs in a new one');
  const live = new Map(await pools(t, c));
  t.equal(live.get(poolOf.get(3) ?? -1), poolOf.get(3) === poolOf.get(2) ? 2 : 1, 'show-pools counts job 3 in its pool');
  open(go);
  await finished(c, second.jobId);
  await finished(c, third.jobId);
  await shutdown(t, c, /^Served 3 jobs, 0 were still in progress$/);
});

t.test('beyond --max-pools jobs wait as Queued and start in submission order', async (t) => {
  const c = await startCoord(t, { jobsPool: 1, maxPools: 2 });
  const gate = (n: number): string => join(c.dir, `go${n}`);

  const j1 = submitted(await c.ok(`submit ${gated(gate(1))}`));
  const j2 = submitted(await c.ok(`submit ${gated(gate(2))}`));
  t.same([j1.jobId, j2.jobId], [1, 2]);
  t.equal(await c.ok(`submit ${gated(gate(3))}`), 'JobID: 3, Queued (position 1)');
  t.equal(await c.ok(`submit ${gated(gate(4))}`), 'JobID: 4, Queued (position 2)');
  t.equal(await c.ok('status 3'), 'JobID 3 Status: Queued');
  t.match(
    await c.ok('status-all'),
    /^1\. JobID 1 Status: Active \(running for \d+ sec\)\n2\. JobID 2 Status: Active \(running for \d+ sec\)\n3\. JobID 3 Status: Queued\n4\. JobID 4 Status: Queued$/,
  );
  t.same((await pools(t, c)).map(([, n]) => n), [1, 1], 'two pools, one job each');
  t.equal(await c.ok('show-active'), 'Active jobs:\n1. JobID 1\n2. JobID 2');
  t.same(jobDirs(c.out).size, 2, 'queued jobs have no directory yet');

  open(gate(1));
  await finished(c, 1);
  await waitFor('job 3 to start', async () => /^JobID 3 Status: Active/.test(await c.ok('status 3')));
  t.equal(await c.ok('status 4'), 'JobID 4 Status: Queued', 'job 4 still waits');
  t.equal(await c.ok('show-active'), 'Active jobs:\n1. JobID 2\n2. JobID 3');

  open(gate(2));
  open(gate(3));
  open(gate(4));
  for (const id of [2, 3, 4]) await finished(c, id);
  t.same([...jobDirs(c.out).keys()].sort(), [1, 2, 3, 4], 'every job ran and made its directory');
  await shutdown(t, c, /^Served 4 jobs, 0 were still in progress$/);
});

t.test('a command that is not found still starts, finishes and says so', async (t) => {
  const c = await startCoord(t);
  const job = submitted(await c.ok('submit no-such-command-xyz'));
  t.ok(job.pid > 1, 'it has a pid');
  await finished(c, job.jobId);
  const dir = jobDirs(c.out).get(job.jobId) ?? '';
  t.match(fs.readFileSync(join(dir, `stderr_${job.jobId}`), 'utf8'), /no-such-command-xyz.*not found/);
  t.equal(fs.readFileSync(join(dir, `stdout_${job.jobId}`), 'utf8'), '');
  await shutdown(t, c, /^Served 1 jobs, 0 were still in progress$/);
});
