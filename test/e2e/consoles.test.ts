// Many consoles on one coordinator at once (SPEC.md §4): each gets exactly its own
// answers, and a console that dies or stops reading mid-answer blocks nobody else.
// One coordinator serves the whole file; the first test gives it its 300 jobs, in order.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, consoleEntries, ROOT, startCoord, testEnv, type Coord } from '../helpers/coord.js';
import { isAlive } from '../helpers/proc.js';
import { connectRaw } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

const ANSWER = /^JobID: (\d+), (PID: \d+|Queued \(position \d+\))$/;
const STATUS_ALL_LINE = /^(\d+)\. JobID (\d+) Status: (.+)$/;
const RAW_CLIENT = join(ROOT, 'dist/test/helpers/raw-client.js');
const JOBS = 300;
/** Jobs with 1 KiB command lines, added before a console is killed mid-batch. */
const LONG_JOBS = 100;

/** The job ids of a `status-all` answer, checking its numbering on the way. */
function listed(answer: string): number[] | null {
  const ids: number[] = [];
  for (const [i, line] of answer.split('\n').entries()) {
    const m = STATUS_ALL_LINE.exec(line);
    if (m === null || Number(m[1]) !== i + 1) return null;
    ids.push(Number(m[2]));
  }
  return ids;
}

function jobIdOf(frame: Record<string, unknown>): unknown {
  const job = frame['job'];
  return typeof job === 'object' && job !== null && 'jobId' in job ? job.jobId : undefined;
}

/** The private directory of console `pid` and the FIFOs in it. */
function fifosOf(coord: Coord, pid: string): string[] {
  return consoleEntries(coord.dir, Number(pid));
}

function assertServing(t: Test, coord: Coord): void {
  t.ok(coord.child.pid !== undefined && isAlive(coord.child.pid), 'the coordinator is alive');
  t.notMatch(coord.log(), /internal error/, 'the coordinator logged no internal error');
}

async function threeConsoles(t: Test, c: Coord): Promise<void> {
  const batch = Array.from({ length: 100 }, () => 'submit true');
  const results = await Promise.all([c.feed(batch), c.feed(batch), c.feed(batch)]);
  const all: number[] = [];
  for (const [i, r] of results.entries()) {
    t.equal(r.code, 0, `console ${i + 1} exits 0`);
    t.equal(r.stderr, '', `console ${i + 1} wrote nothing on stderr`);
    const lines = r.stdout.split('\n');
    t.equal(lines.pop(), '', 'stdout ends with a newline');
    t.equal(lines.length, 100, `console ${i + 1} printed 100 lines`);
    const bad = lines.filter((l) => !ANSWER.test(l));
    t.same(bad, [], `every line of console ${i + 1} is a submit answer`);
    const ids = lines.map((l) => Number(ANSWER.exec(l)?.[1]));
    t.ok(ids.every((id, k) => k === 0 || id > (ids[k - 1] ?? 0)), `console ${i + 1} got its answers in its own order`);
    all.push(...ids);
  }
  t.same(all.sort((x, y) => x - y), Array.from({ length: JOBS }, (_, k) => k + 1), 'the 300 JobIDs are exactly 1..300');

  const ids = await waitFor('status-all to list 300 finished jobs', async () => {
    const answer = await c.ok('status-all');
    const listedIds = listed(answer);
    return listedIds?.length === JOBS && answer.split('\n').every((l) => l.endsWith('Status: Finished')) && listedIds;
  }, 30_000);
  t.same(ids, Array.from({ length: JOBS }, (_, k) => k + 1), 'status-all lists jobs 1..300 in order');
}

async function killedMidBatch(t: Test, c: Coord): Promise<void> {
  // Long job lines make one status-all answer (about 150 KiB) more than a pipe holds, so
  // the coordinator still has part of it to write when the console dies.
  const long = Array.from({ length: LONG_JOBS }, (_, k) => `submit true ${String(k).padStart(1000, '-')}`);
  t.equal((await c.feed(long)).code, 0, '100 jobs with long command lines were submitted');
  const total = JOBS + long.length;
  // Batches are read raw: this checks the coordinator's answers, not a console's printing.
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  let lastId = 0;
  const batch = async (req: { kind: 'status-all'; sinceSec: null } | { kind: 'show-finished' }): Promise<Record<string, unknown>[]> => {
    const id = ++lastId;
    await raw.request({ ...req, id });
    await waitFor(`the end of batch ${id}`, () => raw.repliesTo(id).some((f) => f['kind'] === 'end'));
    return raw.repliesTo(id);
  };
  await waitFor(`all ${total} jobs to finish`, async () => (await batch({ kind: 'show-finished' })).length === total + 1, 20_000);

  const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut], {
    cwd: c.dir, env: testEnv(), stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ended = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stdin.on('error', () => undefined);
  child.stdin.end('status-all\n'.repeat(200));
  const pid = String(child.pid);

  // Past the first whole answer and into the second: it reads batches back to back.
  await waitFor('the console to be in its second status-all', () => out.split('\n').length > total + 50);
  t.match(fifosOf(c, pid), [/^jms_console-\d+-\w{6}$/, /\/jms_in$/, /\/jms_out$/], 'its private directory and FIFO pair exist while it runs');
  child.kill('SIGKILL');
  t.same(await ended, { code: null, signal: 'SIGKILL' });

  t.equal(await c.ok(`status ${total}`), `JobID ${total} Status: Finished`, 'another console is answered right after');
  const all = await batch({ kind: 'status-all', sinceSec: null });
  t.same(all.at(-1), { kind: 'end', id: lastId, count: total }, 'a status-all right after is whole');
  t.same(all.slice(0, -1).map(jobIdOf), Array.from({ length: total }, (_, k) => k + 1), 'with every job, in order');
  await waitFor(`the private directory of console ${pid} to be removed`, () => fifosOf(c, pid).length === 0);
  t.pass("the killed console's FIFOs and their directory were removed");
  assertServing(t, c);
}

async function slowReader(t: Test, c: Coord): Promise<void> {
  const total = JOBS + LONG_JOBS;
  const child = spawn(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], {
    cwd: c.dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ended = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  // Whoever reads a one-shot console's output may be busy for a while (a loaded CI
  // runner, a script doing other work): here this process stops reading for 2 s, the
  // time the console needs to connect and print its answer.
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    // Busy on purpose: no event-loop turn, so nothing is read from the console.
  }
  t.same(await ended, { code: 0, signal: null });
  t.equal(err, '');
  t.equal(out.split('\n').length - 1, total, `all ${total} lines of status-all arrive`);
}

async function neverRead(t: Test, c: Coord): Promise<void> {
  const stuck = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => stuck.close());
  stuck.stopReading();
  for (let id = 1; id <= 200; id++) await stuck.request({ kind: 'status-all', id, sinceSec: null });

  const dying = spawn(process.execPath, [RAW_CLIENT, c.jmsIn, c.jmsOut, '200'], { env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const dyingEnded = new Promise((resolve) => dying.on('close', (code, signal) => resolve({ code, signal })));
  let said = '';
  dying.stdout.setEncoding('utf8').on('data', (s: string) => (said += s));
  dying.stderr.setEncoding('utf8').on('data', (s: string) => (said += s));
  await waitFor('the second raw client to send its requests', () => said.includes('ready') || dying.exitCode !== null);
  t.equal(said, 'ready\n', 'the second raw client handshook and sent 200 requests');
  dying.kill('SIGKILL');
  t.same(await dyingEnded, { code: null, signal: 'SIGKILL' });

  const started = Date.now();
  const pools = await waitFor('show-pools to answer', async () => {
    const r = await c.cmd('show-pools');
    return r.code === 0 && r.stdout;
  });
  const took = Date.now() - started;
  t.match(pools, /^Pool & NumOfJobs:\n/, 'show-pools answers its usual header');
  t.ok(took < 5000, `show-pools answered in ${took} ms`);

  await waitFor('the dead client\'s FIFOs to be removed', () => fifosOf(c, String(dying.pid)).length === 0);
  t.ok(fs.existsSync(stuck.replyFifo), 'the client that does not read still has its session');
  stuck.close();
  await waitFor('the closed client\'s FIFOs to be removed', () => !fs.existsSync(stuck.replyFifo) && !fs.existsSync(stuck.requestFifo));
  assertServing(t, c);
}

async function sameIds(t: Test, c: Coord): Promise<void> {
  const a = await connectRaw(c.jmsIn, c.jmsOut);
  const b = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => {
    a.close();
    b.close();
  });
  for (const w of [a.welcome, b.welcome]) t.match(w, { kind: 'welcome', version: 1, coordPid: c.child.pid, jobsPool: 50 });

  const N = 50;
  const sends: Promise<void>[] = [];
  for (let id = 1; id <= N; id++) {
    sends.push(a.request({ kind: 'status', id, jobId: id }));
    sends.push(b.request({ kind: 'status', id, jobId: 100 + id }));
  }
  sends.push(a.request({ kind: 'status-all', id: N + 1, sinceSec: null }));
  sends.push(b.request({ kind: 'show-pools', id: N + 1 }));
  await Promise.all(sends);
  const ended = (f: Record<string, unknown>): boolean => f['kind'] === 'end';
  await waitFor('both batches to end', () => a.repliesTo(N + 1).some(ended) && b.repliesTo(N + 1).some(ended));

  // Each console's reply to its request k names the job it asked for, and nothing else does.
  const jobOf = (f: Record<string, unknown>): unknown => (f['kind'] === 'status' ? jobIdOf(f) : f['kind']);
  const ids = Array.from({ length: N }, (_, k) => k + 1);
  t.same(ids.map((id) => a.repliesTo(id).map(jobOf)), ids.map((id) => [id]), 'A got one status reply per request, for its job');
  t.same(ids.map((id) => b.repliesTo(id).map(jobOf)), ids.map((id) => [100 + id]), 'B got one status reply per request, for its job');
  const aBatch = a.repliesTo(N + 1);
  t.equal(aBatch.length, JOBS + 1, 'A gets 300 job items and an end');
  t.ok(aBatch.slice(0, -1).every((f) => f['kind'] === 'job'), 'A gets only job items');
  t.same(aBatch.at(-1), { kind: 'end', id: N + 1, count: JOBS });
  const bBatch = b.repliesTo(N + 1);
  t.ok(bBatch.slice(0, -1).every((f) => f['kind'] === 'pool'), 'B gets only pool items');
  t.same(bBatch.at(-1), { kind: 'end', id: N + 1, count: bBatch.length - 1 });
  t.equal(a.frames.length, N + JOBS + 1, 'A got nothing else');
  t.equal(b.frames.length, N + bBatch.length, 'B got nothing else');
}

async function droppedWhenUnread(t: Test, c: Coord): Promise<void> {
  const hog = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => hog.close());
  hog.stopReading();
  const mark = c.log().length;
  let sent = 0;
  const started = Date.now();
  // Writes are not awaited: once dropped, nobody reads the request FIFO and a full pipe
  // would hold the write (and this loop) forever.
  await waitFor('the coordinator to drop a console that leaves its answers unread', () => {
    if (c.log().slice(mark).includes(': dropped,')) return true;
    for (let k = 0; k < 100; k++) hog.request({ kind: 'status-all', id: ++sent, sinceSec: null }).catch(() => undefined);
    return false;
  }, 30_000, 50);
  t.comment(`dropped after ${sent} requests were sent, in ${Date.now() - started} ms`);
  t.match(c.log().slice(mark), /console \d+: dropped, it left \d+ (bytes|answers) unread/);
  await waitFor('its FIFOs to be removed', () => !fs.existsSync(hog.replyFifo) && !fs.existsSync(hog.requestFifo));
  t.equal(await c.ok('status 1'), 'JobID 1 Status: Finished', 'others are served');
  assertServing(t, c);
}

t.test('many consoles on one coordinator', async (t) => {
  const c = await startCoord(t, { jobsPool: 50, maxPools: 16 });
  await t.test('three consoles at once get 100 answers each, all their own', (t) => threeConsoles(t, c));
  await t.test('two consoles using the same request ids each get only their own replies', (t) => sameIds(t, c));
  await t.test('consoles that never read, or die unread, do not stall the coordinator', (t) => neverRead(t, c));
  await t.test('a console killed mid-batch blocks nobody and its FIFOs go', (t) => killedMidBatch(t, c));
  await t.test('a one-shot answer reaches a reader that is slow to read it whole', (t) => slowReader(t, c));
  await t.test('a console that leaves its answers unread is dropped', (t) => droppedWhenUnread(t, c));
});
