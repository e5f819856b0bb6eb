// Shutdown as SPEC.md §2 defines it, against a real coordinator, real pools and real
// /bin/sh jobs: the summary counts, nothing left behind (FIFOs, pools, job process
// groups, suspended and SIGTERM-ignoring jobs), signals to the coordinator taking the
// same path, and what other consoles see while and after it shuts down.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, consoleEntries, jobDirs, startCoord, submitted, testEnv, type Coord, type RunResult } from '../helpers/coord.js';
import { groupMembers, isAlive, procStat } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

/** Pool pids from `show-pools`. */
async function poolPids(c: Coord): Promise<number[]> {
  const lines = (await c.ok('show-pools')).split('\n').slice(1);
  return lines.map((line) => {
    const m = /^\d+\. (\d+) \d+$/.exec(line);
    if (m === null) throw new Error(`not a show-pools line: ${JSON.stringify(line)}`);
    return Number(m[1]);
  });
}

/** Consoles' private directories and FIFOs left next to the coordinator's jms_in. */
function consoleFifos(c: Coord): string[] {
  return consoleEntries(c.dir);
}

/** Settles with the promise's value, or 'timeout' after `ms`. */
async function within<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

interface LiveConsole {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A console reading commands from a pipe that stays open until the test ends it. */
function openConsole(t: Test, c: Coord): LiveConsole {
  const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut], { cwd: c.dir, env: testEnv(), stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdin.on('error', () => undefined);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout: () => out, stderr: () => err, ended };
}

/** Waits until a job's process group has at least `n` live members; returns their pids. */
async function members(pgid: number, n: number): Promise<number[]> {
  const found = await waitFor(`process group ${pgid} to have ${n} members`, () => {
    const live = groupMembers(pgid);
    return live.length >= n ? live : false;
  });
  return found.map((m) => m.pid);
}

t.test('the summary counts every job ever submitted and those still in progress', async (t) => {
  t.test('finished, running and suspended jobs', async (t) => {
    const c = await startCoord(t, { jobsPool: 2 });
    const gate = join(c.dir, 'go');
    const wait = `while [ ! -e ${gate} ]; do sleep 0.02; done`;
    submitted(await c.ok('submit true'));
    submitted(await c.ok('submit true'));
    await waitFor('jobs 1 and 2 to finish', async () => (await c.ok('show-finished')) === 'Finished jobs:\n1. JobID 1\n2. JobID 2');
    const running = submitted(await c.ok(`submit ${wait}`));
    const suspended = submitted(await c.ok(`submit ${wait}`));
    t.equal(await c.ok(`suspend ${suspended.jobId}`), `Sent suspend signal to JobID ${suspended.jobId}`);
    t.match(await c.ok(`status ${running.jobId}`), /^JobID 3 Status: Active \(running for \d+ seconds\)$/);
    t.equal(await c.ok(`status ${suspended.jobId}`), 'JobID 4 Status: Suspended');

    t.equal(await c.ok('shutdown'), 'Served 4 jobs, 2 were still in progress');
    t.same(await c.exited(), { code: 0, signal: null });
    t.notOk(isAlive(running.pid), 'the running job is gone');
    t.notOk(isAlive(suspended.pid), 'the suspended job is gone');
  });

  t.test('queued jobs count as in progress and never start', async (t) => {
    const c = await startCoord(t, { jobsPool: 1, maxPools: 1 });
    const gate = join(c.dir, 'go');
    const wait = `while [ ! -e ${gate} ]; do sleep 0.02; done`;
    submitted(await c.ok('submit true'));
    await waitFor('job 1 to finish and its pool to go', async () =>
      (await c.ok('status 1')) === 'JobID 1 Status: Finished' && (await c.ok('show-pools')) === 'Pool & NumOfJobs:');
    const running = submitted(await c.ok(`submit ${wait}`));
    t.equal(running.jobId, 2);
    t.equal(await c.ok('submit true'), 'JobID: 3, Queued (position 1)');
    t.equal(await c.ok('submit true'), 'JobID: 4, Queued (position 2)');
    t.equal(await c.ok('status 3'), 'JobID 3 Status: Queued');

    t.equal(await c.ok('shutdown'), 'Served 4 jobs, 3 were still in progress');
    t.same(await c.exited(), { code: 0, signal: null });
    t.same([...jobDirs(c.out).keys()].sort(), [1, 2], 'the queued jobs 3 and 4 never started');
    t.notOk(isAlive(running.pid), 'the running job is gone');
  });
});

t.test('shutdown leaves nothing behind', async (t) => {
  const graceMs = 300;
  const c = await startCoord(t, { jobsPool: 2, graceMs });
  const tree = submitted(await c.ok("submit sh -c 'sleep 300 & sleep 300; wait'"));
  const stopped = submitted(await c.ok('submit sleep 300'));
  const stubborn = submitted(await c.ok("submit trap '' TERM; while :; do sleep 0.05; done"));

  const treeMembers = await members(tree.pid, 3);
  t.equal(await c.ok(`suspend ${stopped.jobId}`), `Sent suspend signal to JobID ${stopped.jobId}`);
  await waitFor('the suspended job to be stopped', () => procStat(stopped.pid)?.state === 'T');
  const stubbornMembers = await members(stubborn.pid, 1);
  const pools = await poolPids(c);
  t.equal(pools.length, 2, 'two pools: jobs 1-2 and job 3');

  const began = Date.now();
  t.equal(await c.ok('shutdown'), 'Served 3 jobs, 3 were still in progress', 'the answer comes although one job ignores SIGTERM');
  t.ok(Date.now() - began >= graceMs, `the SIGTERM-ignoring job had its ${graceMs} ms grace before SIGKILL`);
  t.same(await c.exited(), { code: 0, signal: null });

  t.notOk(fs.existsSync(c.jmsIn), 'jms_in is removed');
  t.notOk(fs.existsSync(c.jmsOut), 'jms_out is removed');
  t.same(consoleFifos(c), [], 'no console FIFOs are left');
  for (const pid of pools) t.notOk(isAlive(pid), `pool ${pid} is gone`);
  for (const job of [tree, stopped, stubborn]) t.notOk(isAlive(job.pid), `job ${job.jobId} (pid ${job.pid}) is gone`);
  // Stragglers of a group are SIGKILLed as their leader ends: gone within moments.
  for (const job of [tree, stopped, stubborn]) {
    await waitFor(`job ${job.jobId}'s process group to be empty`, () => groupMembers(job.pid).length === 0, 2000);
  }
  for (const pid of [...treeMembers, ...stubbornMembers]) t.notOk(isAlive(pid), `group member ${pid} is gone`);

  // The coordinator is gone: a console says so clearly, with its own exit code.
  const r = await c.cmd('status 1');
  t.equal(r.code, 3, 'exit code 3: no coordinator');
  t.equal(r.stdout, '');
  t.match(r.stderr, /^jms_console: error: [^\n]+\n$/, 'one clear line on stderr');
});

for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  t.test(`${sig} to the coordinator takes the shutdown path`, async (t) => {
    const c = await startCoord(t, { jobsPool: 1, graceMs: 300 });
    const gate = join(c.dir, 'go');
    const first = submitted(await c.ok('submit true'));
    await waitFor('job 1 to finish', async () => (await c.ok('status 1')) === 'JobID 1 Status: Finished');
    const tree = submitted(await c.ok("submit sh -c 'sleep 300 & sleep 300; wait'"));
    const gated = submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.02; done`));
    const treeMembers = await members(tree.pid, 3);
    // Job 1's pool has served its one job and goes on its own.
    const pools = await waitFor('two live pools', async () => {
      const pids = await poolPids(c);
      return pids.length === 2 ? pids : false;
    });

    c.child.kill(sig);
    t.same(await c.exited(), { code: 0, signal: null }, 'exit code 0');
    t.match(c.log(), /served 3 jobs, 2 were still in progress/, 'the log has the summary');
    t.notOk(fs.existsSync(c.jmsIn), 'jms_in is removed');
    t.notOk(fs.existsSync(c.jmsOut), 'jms_out is removed');
    for (const pid of pools) t.notOk(isAlive(pid), `pool ${pid} is gone`);
    for (const job of [first, tree, gated]) t.notOk(isAlive(job.pid), `job ${job.jobId} is gone`);
    await waitFor('the job groups to be empty', () => groupMembers(tree.pid).length + groupMembers(gated.pid).length === 0, 2000);
    for (const pid of treeMembers) t.notOk(isAlive(pid), `group member ${pid} is gone`);
  });
}

t.test('a console still connected when another shuts the coordinator down', async (t) => {
  const c = await startCoord(t);
  const other = openConsole(t, c);
  other.child.stdin.write('show-pools\n');
  await waitFor('the other console to be connected', () => other.stdout() === 'Pool & NumOfJobs:\n');

  t.equal(await c.ok('shutdown'), 'Served 0 jobs, 0 were still in progress');
  t.same(await c.exited(), { code: 0, signal: null });

  // It leaves by itself when the coordinator goes, even while waiting for input.
  const end = await within(other.ended, 5000);
  if (end === 'timeout') {
    t.fail(`the other console hung after the coordinator went; stderr: ${other.stderr()}`);
    return;
  }
  t.equal(end.code, 3, 'exit code 3: the coordinator went away');
  t.match(other.stderr(), /^jms_console: error: the coordinator closed the connection[^\n]*\n$/, 'one clear line');
  t.equal(other.stdout(), 'Pool & NumOfJobs:\n', 'nothing more on stdout');
  t.same(consoleFifos(c), [], 'its FIFOs are removed');
});

t.test('requests during a shutdown that is waiting for a stubborn job', async (t) => {
  const graceMs = 3000;
  const c = await startCoord(t, { jobsPool: 2, graceMs });
  const termed = join(c.dir, 'termed');
  // Catches SIGTERM (so shutdown has begun) and carries on until SIGKILL.
  const stubborn = submitted(await c.ok(`submit trap 'touch ${termed}' TERM; while :; do sleep 0.05; done`));
  await members(stubborn.pid, 1);

  let shutdownDone = false;
  const first = c.cmd('shutdown').finally(() => (shutdownDone = true));
  await waitFor('the job to get its SIGTERM', () => fs.existsSync(termed));

  const sub = await c.cmd('submit true');
  t.equal(sub.code, 1, 'submit fails with exit code 1');
  t.equal(sub.stdout, '');
  t.match(sub.stderr, /^jms_console: error: [^\n]*shutting down[^\n]*\n$/, 'one line saying the coordinator is shutting down');
  const sus = await c.cmd(`suspend ${stubborn.jobId}`);
  t.equal(sus.code, 1, 'suspend fails with exit code 1');
  t.match(sus.stderr, /^jms_console: error: [^\n]*shutting down[^\n]*\n$/);
  t.notOk(shutdownDone, 'these were answered while the shutdown was still waiting');

  // A second shutdown joins the first: both consoles get the summary.
  const second: RunResult = await c.cmd('shutdown');
  const firstResult = await first;
  t.equal(firstResult.code, 0, firstResult.stderr);
  t.equal(firstResult.stdout, 'Served 1 jobs, 1 were still in progress\n');
  t.equal(second.code, 0, second.stderr);
  t.equal(second.stdout, 'Served 1 jobs, 1 were still in progress\n');
  t.same(await c.exited(), { code: 0, signal: null });
  t.notOk(isAlive(stubborn.pid), 'the stubborn job was killed');
  t.same([...jobDirs(c.out).keys()], [1], 'the refused submit started nothing');
});
