// Safety on a shared machine, hostile and heavy input, graceful degradation: the
// coordinator refuses unsafe paths at start, never opens (let alone writes into) a
// handshake's FIFO that is not its own user's private FIFO, never makes a job directory
// through a planted link, fails one job (not itself) when its output directory cannot be
// made (gone, a file, a full disk on a small tmpfs when root may mount one), survives a
// flood of garbage on jms_in, and loses no job when many consoles submit at once. What
// bad-input.test.ts already covers (garbage kinds on jms_in one by one, absent FIFOs,
// regular files, symlinks, a reply FIFO of mode 622) is not repeated here.
//
// Tests run as root, where permission bits deny nothing: "another user's FIFO or
// directory" is made for real with chown to uid 65534 (root may), and "open to others"
// with chmod 0o666 / 0o777; the coordinator checks owner and mode, not access.
//
// JMS_HEAVY=1 runs the sizes of the issue (10,000 frames is the default anyway;
// 20 consoles x 500 submits instead of 20 x 25). JMS_SEED=<n> replays another flood,
// JMS_FLOOD=<n> changes its size.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { seeded } from '../helpers/seeded.js';
import { encode } from '../../protocol/codec.js';
import { errno, makeFifo, writeAtomic } from '../../protocol/fifo.js';
import { CONSOLE, COORD, jobDirs, run, startCoord, submitted, testEnv, type Coord, type RunResult } from '../helpers/coord.js';
import { isAlive } from '../helpers/proc.js';
import { pendingReader } from '../helpers/raw-client.js';
import { fill, MOUNT, tmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

const HEAVY = (process.env['JMS_HEAVY'] ?? '') !== '' && process.env['JMS_HEAVY'] !== '0';
const FLOOD_FRAMES = Number(process.env['JMS_FLOOD'] ?? 10_000);
const LOAD_CONSOLES = 20;
const LOAD_SUBMITS = HEAVY ? 500 : 25;
const SEED = Number(process.env['JMS_SEED'] ?? 0x5eed);
/** Another user: nobody. */
const OTHER_UID = 65534;
const IS_ROOT = process.getuid?.() === 0;

if (HEAVY) t.setTimeout(30 * 60_000);

// --- small helpers ------------------------------------------------------------------

function hello(requestFifo: unknown, replyFifo: unknown, pid: unknown = 4242, version: unknown = 1): string {
  return encode({ kind: 'hello', version, pid, requestFifo, replyFifo });
}

/** A literal string as a RegExp source. */
function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function assertAlive(t: Test, child: ChildProcess): void {
  t.ok(child.exitCode === null && child.pid !== undefined && isAlive(child.pid), 'the coordinator is alive');
}

/** Waits for the log, from `mark` on, to match `what`. */
async function logged(log: () => string, mark: number, what: RegExp): Promise<void> {
  await waitFor(`the coordinator log to match ${String(what)}`, () => what.test(log().slice(mark)));
}

/** What the coordinator's fds point at (paths, pipe:[…], …). */
function fdTargets(pid: number): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/**
 * The fds `pid` holds, once the list has stayed the same for three reads 100 ms apart (a console
 * that just ended may still have its session FIFOs open for a moment).
 */
async function steadyFds(pid: number, timeoutMs = 10_000): Promise<string> {
  const read = (): string => fdTargets(pid).sort().join('\n');
  let last = read();
  let same = 0;
  await waitFor('the fd list to hold still', async () => {
    await delay(100);
    const now = read();
    same = now === last ? same + 1 : 0;
    last = now;
    return same >= 2;
  }, timeoutMs).catch(() => undefined);
  return last;
}

/** Polls `probe` until it returns `want` or the deadline passes; returns the last value. */
async function settle<T>(probe: () => T | Promise<T>, want: T, timeoutMs = 5000): Promise<T> {
  let last = await probe();
  await waitFor('a value to settle', async () => (last = await probe()) === want, timeoutMs).catch(() => undefined);
  return last;
}

function ino(path: string): { ino: number; uid: number; mode: number; fifo: boolean } {
  const st = fs.lstatSync(path);
  return { ino: st.ino, uid: st.uid, mode: st.mode & 0o777, fifo: st.isFIFO() };
}

async function noPools(c: Coord): Promise<void> {
  await waitFor('every pool to be gone', async () => (await c.ok('show-pools')) === 'Pool & NumOfJobs:');
}

/** A coordinator on paths of the test's choosing (startCoord fixes them). */
interface Served {
  child: ChildProcess;
  log(): string;
  cmd(line: string): Promise<RunResult>;
  stop(): Promise<void>;
}

async function serveAt(t: Test, cwd: string, out: string, jmsIn: string, jmsOut: string): Promise<Served> {
  const child = spawn(process.execPath, [COORD, '-l', out, '-n', '3', '-r', jmsIn, '-w', jmsOut], {
    cwd, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (log += s));
  const ended = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(late);
  };
  t.teardown(stop);
  await waitFor('the coordinator to serve', () => log.includes('serving on') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`jms_coord exited ${child.exitCode}: ${log}`);
  return {
    child, stop,
    log: () => log,
    cmd: (line) => run(process.execPath, [CONSOLE, '-w', jmsIn, '-r', jmsOut, ...line.split(' ')], { cwd }),
  };
}

function coordAt(cwd: string, out: string, jmsIn: string, jmsOut: string): Promise<RunResult> {
  return run(process.execPath, [COORD, '-l', out, '-n', '3', '-r', jmsIn, '-w', jmsOut], { cwd, timeoutMs: 15_000 });
}

// --- 1. refusals at start -------------------------------------------------------------

t.test('jms_coord refuses unsafe paths at start (exit 3) and creates nothing there', async (t) => {
  await t.test('-l a directory writable by every user', async (t) => {
    const dir = t.testdir({ shared: {} });
    const shared = join(dir, 'shared');
    fs.chmodSync(shared, 0o777);
    const r = await coordAt(dir, shared, join(dir, 'in'), join(dir, 'out'));
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, `jms_coord: error: ${shared} is writable by every user (mode 777)`, 'it says why');
    t.same(fs.readdirSync(shared), [], 'nothing was created inside');
    t.notOk(fs.existsSync(join(dir, 'in')) || fs.existsSync(join(dir, 'out')), 'no FIFO was made');
  });

  await t.test('-l a directory of another user', { skip: IS_ROOT ? false : 'chown needs root' }, async (t) => {
    const dir = t.testdir({ theirs: {} });
    const theirs = join(dir, 'theirs');
    fs.chmodSync(theirs, 0o755);
    fs.chownSync(theirs, OTHER_UID, OTHER_UID);
    const r = await coordAt(dir, theirs, join(dir, 'in'), join(dir, 'out'));
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, `jms_coord: error: ${theirs} belongs to uid ${OTHER_UID}`, 'it says why');
    t.same(fs.readdirSync(theirs), [], 'nothing was created inside');
  });

  await t.test('<path>/.jms writable by every user', async (t) => {
    const dir = t.testdir({ out: { '.jms': {} } });
    const state = join(dir, 'out', '.jms');
    fs.chmodSync(join(dir, 'out'), 0o700);
    fs.chmodSync(state, 0o777);
    const r = await coordAt(dir, join(dir, 'out'), join(dir, 'in'), join(dir, 'jout'));
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, `${state} is writable by every user (mode 777)`, 'it says why');
    t.same(fs.readdirSync(state), [], 'no lock and no journal were put in it');
  });

  for (const [what, target] of [['another directory', 'elsewhere'], ['a path that does not exist yet', 'nowhere']] as const) {
    await t.test(`<path>/.jms planted as a symlink to ${what}`, async (t) => {
      const dir = t.testdir({ out: {}, elsewhere: {} });
      const out = join(dir, 'out');
      fs.chmodSync(out, 0o700);
      fs.symlinkSync(join(dir, target), join(out, '.jms'));
      const r = await coordAt(dir, out, join(dir, 'in'), join(dir, 'jout'));
      t.equal(r.code, 3, 'exit 3');
      t.match(r.stderr, `${join(out, '.jms')} is not a directory (a link or a file?); remove it.`, 'it says why');
      if (target === 'elsewhere') t.same(fs.readdirSync(join(dir, target)), [], 'the link target got no file');
      else t.notOk(fs.existsSync(join(dir, target)), 'nothing was created where the link points');
      t.equal(fs.readlinkSync(join(out, '.jms')), join(dir, target), 'the link was left as it was');
      t.notOk(fs.existsSync(join(dir, 'in')), 'no FIFO was made');
    });
  }

  await t.test('-r a FIFO of another user', { skip: IS_ROOT ? false : 'chown needs root' }, async (t) => {
    const dir = t.testdir({});
    const jmsIn = join(dir, 'in');
    makeFifo(jmsIn);
    fs.chownSync(jmsIn, OTHER_UID, OTHER_UID);
    const before = ino(jmsIn);
    const r = await coordAt(dir, join(dir, 'out'), jmsIn, join(dir, 'jout'));
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, `jms_coord: error: ${jmsIn} is a FIFO of uid ${OTHER_UID}, not of this user`, 'it says why');
    t.same(ino(jmsIn), before, 'their FIFO is untouched (same inode, owner and mode)');
    t.notOk(fs.existsSync(join(dir, 'jout')), 'the -w FIFO was not made');
    t.notOk(fs.existsSync(join(dir, 'out', '.jms', 'lock')), 'no lock was left behind');
  });

  // Finding, not a refusal: claimFifo treats a FIFO of our own uid that nobody reads as
  // stale and replaces it, whatever its mode. The world-writable inode is never used.
  await t.test('-r a stale world-writable FIFO of our own is replaced by an owner-only one', async (t) => {
    const dir = t.testdir({});
    const jmsIn = join(dir, 'in');
    makeFifo(jmsIn);
    fs.chmodSync(jmsIn, 0o666);
    // A second name keeps the old inode alive, so its number cannot be reused.
    const old = join(dir, 'in.old');
    fs.linkSync(jmsIn, old);
    const before = ino(old);
    const s = await serveAt(t, dir, join(dir, 'out'), jmsIn, join(dir, 'jout'));
    const after = ino(jmsIn);
    t.ok(after.fifo, 'jms_in is a FIFO');
    t.not(after.ino, before.ino, 'it is a new inode, not the world-writable one');
    t.same(ino(old), before, 'the world-writable FIFO itself was not changed');
    t.equal(after.mode, 0o600, 'owner-only');
    const r = await s.cmd('status-all');
    t.same({ code: r.code, stderr: r.stderr }, { code: 0, stderr: '' }, 'a console is served on it');
    await s.stop();
  });
});

// --- 2. handshake refusals not covered by bad-input.test.ts -----------------------------

t.test("handshakes naming another user's or a shared FIFO are refused, and it is never opened", async (t) => {
  const c = await startCoord(t);
  const pid = c.child.pid ?? -1;
  const at = (name: string): string => join(c.dir, name);

  /** Sends a hello for (req, rep) while reading `watched`; checks the refusal and silence. */
  async function refused(t: Test, req: string, rep: string, watched: string, why: string): Promise<void> {
    const reader = pendingReader(watched);
    const mark = c.log().length;
    await writeAtomic(c.jmsIn, hello(req, rep), 5000);
    await logged(c.log, mark, new RegExp(`console 4242: refused: ${esc(why)}`));
    t.pass(`the log says: ${why}`);
    const holds = (): boolean => fdTargets(pid).some((p) => p === req || p === rep);
    t.notOk(await settle(holds, false, 2000), 'the coordinator holds neither FIFO open');
    t.equal((await reader.release()).toString(), '', `nothing was written to ${watched === rep ? 'the reply FIFO' : 'it'}`);
  }

  await t.test('a world-writable request FIFO (mode 666)', async (t) => {
    const req = at('shared.req');
    const rep = at('own1.rep');
    makeFifo(req);
    makeFifo(rep);
    fs.chmodSync(req, 0o666);
    // The reply FIFO is the console's own and is checked first: it may be opened, but no
    // welcome may come on it.
    await refused(t, req, rep, rep, `${req} is open to other users (mode 666)`);
  });

  await t.test('a world-writable reply FIFO (mode 666)', async (t) => {
    const req = at('own2.req');
    const rep = at('shared.rep');
    makeFifo(req);
    makeFifo(rep);
    fs.chmodSync(rep, 0o666);
    await refused(t, req, rep, rep, `${rep} is open to other users (mode 666)`);
  });

  await t.test("another user's reply FIFO", { skip: IS_ROOT ? false : 'chown needs root' }, async (t) => {
    const req = at('own3.req');
    const rep = at('theirs.rep');
    makeFifo(req);
    makeFifo(rep);
    fs.chownSync(rep, OTHER_UID, OTHER_UID);
    await refused(t, req, rep, rep, `${rep} belongs to uid ${OTHER_UID}, not ${process.getuid?.() ?? 0}`);
  });

  await t.test("another user's request FIFO", { skip: IS_ROOT ? false : 'chown needs root' }, async (t) => {
    const req = at('theirs.req');
    const rep = at('own4.rep');
    makeFifo(req);
    makeFifo(rep);
    fs.chownSync(req, OTHER_UID, OTHER_UID);
    await refused(t, req, rep, rep, `${req} belongs to uid ${OTHER_UID}, not ${process.getuid?.() ?? 0}`);
  });

  t.equal(await c.ok('status-all'), '', 'a real console is served after them, and nothing changed');
  t.notMatch(c.log(), /internal error/);
  assertAlive(t, c.child);
});

t.test("a handshake naming the coordinator's own jms_in as its request FIFO is refused", async (t) => {
  const c = await startCoord(t);
  const pid = c.child.pid ?? -1;
  const mark = c.log().length;
  // One write holds the bad hello and a sentinel (absent FIFOs): the sentinel's refusal
  // in the log shows both were read by the listener.
  await writeAtomic(c.jmsIn, hello(c.jmsIn, c.jmsOut, 4001) + hello(join(c.dir, 'no.req'), join(c.dir, 'no.rep'), 4002), 5000);
  await logged(c.log, mark, /console 4002: refused/);
  const readers = await settle(() => fdTargets(pid).filter((p) => p === c.jmsIn).length, 2, 1000);
  t.equal(readers, 1, 'the coordinator reads jms_in only once (its listener)');
  t.match(c.log().slice(mark), /console 4001: refused/, 'the log says the handshake was refused');
  // Bounded: a console whose handshake is swallowed would wait for its deadline.
  const r = await run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut, 'status-all'], { cwd: c.dir, timeoutMs: 15_000 })
    .catch((err: unknown) => ({ code: null, stderr: String(err) }));
  t.same({ code: r.code, stderr: r.stderr }, { code: 0, stderr: '' }, 'a real console is served afterwards');
  assertAlive(t, c.child);
});

t.test('a console waiting for a handshake answer that never comes ends on SIGTERM', async (t) => {
  const dir = t.testdir({});
  const jmsIn = join(dir, 'jms_in');
  const jmsOut = join(dir, 'jms_out');
  makeFifo(jmsIn);
  makeFifo(jmsOut);
  // A stuck coordinator (or one whose jms_in was taken over as above): jms_in is held
  // open, so the console's handshake goes in, and no answer ever comes out.
  const held = fs.openSync(jmsIn, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  t.teardown(() => fs.closeSync(held));
  const child = spawn(process.execPath, [CONSOLE, '-w', jmsIn, '-r', jmsOut, 'status-all'], { cwd: dir, env: testEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })));
  let said = '';
  const buf = Buffer.alloc(4096);
  await waitFor('the console to send its handshake', () => {
    try {
      said += buf.toString('utf8', 0, fs.readSync(held, buf));
    } catch (err) {
      if (errno(err) !== 'EAGAIN') throw err;
    }
    return said.includes(`"pid":${child.pid}`);
  });
  child.kill('SIGTERM');
  const outcome = await Promise.race([ended, waitFor('the console to end', () => false, 5000).catch(() => 'still running after 5 s')]);
  t.same(outcome, { code: 143, signal: null }, 'it exits 143 at once');
});

// --- 3. a planted symlink at the next job's hidden directory ---------------------------

t.test('a job directory is never made through a symlink planted at its hidden name', async (t) => {
  const c = await startCoord(t, { jobsPool: 3 });
  const gate = join(c.dir, 'gate');
  const outside = join(c.dir, 'outside');
  fs.mkdirSync(outside, { mode: 0o700 });
  t.same(submitted(await c.ok(`submit while [ ! -e ${gate} ]; do sleep 0.02; done`)).jobId, 1);
  const pools = (await c.ok('show-pools')).split('\n');
  const m = /^1\. (\d+) 1$/.exec(pools[1] ?? '');
  t.ok(m !== null && pools.length === 2, `one pool runs job 1: ${JSON.stringify(pools)}`);
  const poolPid = Number(m?.[1]);

  // Jobs 2 and 3 go to the same pool (quota 3): one link to an existing directory, one
  // dangling link to a path inside it that does not exist yet.
  const cases = [
    [2, outside, 'a link to a directory elsewhere'],
    [3, join(outside, 'made-through-the-link'), 'a dangling link'],
  ] as const;
  for (const [jobId, target, what] of cases) {
    const link = join(c.out, `.jms_starting_${jobId}_${poolPid}`);
    fs.symlinkSync(target, link);
    const r = await c.cmd(`submit echo secret-${jobId}`);
    if (r.code === 0) {
      const job = submitted(r.stdout);
      t.equal(job.jobId, jobId, `${what}: the job ran (through no link)`);
      t.ok(jobDirs(c.out).has(jobId), `${what}: its directory is a real one in ${c.out}`);
    } else {
      t.equal(r.code, 1, `${what}: the submit fails (exit 1)`);
      t.match(r.stderr, new RegExp(`^jms_console: error: could not start JobID ${jobId}: cannot create its directory in ${esc(c.out)}: \\S+.*\\n$`),
        `${what}: with a clear error`);
      t.equal(await c.ok(`status ${jobId}`), `JobID ${jobId} Status: Finished`, `${what}: the job is Finished`);
    }
    t.same(fs.readdirSync(outside), [], `${what}: nothing was written outside ${c.out}`);
    t.equal(fs.readlinkSync(link), target, `${what}: the planted link is still a link to the same place`);
  }

  fs.writeFileSync(gate, '');
  const job4 = submitted(await c.ok('submit echo fine'));
  t.equal(job4.jobId, 4, 'the coordinator keeps serving: the next job runs');
  await waitFor('every job to finish', async () => (await c.ok('status-all')).split('\n').every((l) => l.endsWith('Finished')));
  const dir4 = jobDirs(c.out).get(4);
  t.equal(dir4 === undefined ? null : fs.readFileSync(join(dir4, 'stdout_4'), 'utf8'), 'fine\n', 'its output is in its own directory');
  t.equal((await c.ok('status-all')).split('\n').length, 4, 'status-all lists the 4 jobs');
  t.same(fs.readdirSync(outside), [], 'the outside directory is still empty');
  assertAlive(t, c.child);
});

// --- 4. the output directory gone, a file, or full --------------------------------------

t.test('an output directory moved away or replaced: nothing is accepted or written anywhere else until it is back', async (t) => {
  const c = await startCoord(t, { jobsPool: 3 });
  t.equal(submitted(await c.ok('submit true')).jobId, 1);
  await waitFor('job 1 to finish', async () => (await c.ok('status 1')) === 'JobID 1 Status: Finished');
  const away = `${c.out}.away`;
  const state = join(c.out, '.jms');

  const attempts = [
    ['the output directory renamed away', () => fs.renameSync(c.out, away)],
    ['a regular file in its place', () => fs.writeFileSync(c.out, 'not a directory\n')],
  ] as const;
  for (const [what, breakIt] of attempts) {
    breakIt();
    const r = await c.cmd('submit echo lost');
    t.same({ code: r.code, stdout: r.stdout }, { code: 1, stdout: '' }, `${what}: the submit fails`);
    t.match(r.stderr, new RegExp(`^jms_console: error: the job was not accepted: .*${esc(state)} was moved or replaced`),
      `${what}: the error says the state directory is not where it was`);
    t.match(await c.ok('status-all'), /^1\. JobID 1 Status: Finished$/, `${what}: reads are still answered`);
  }
  t.equal(fs.readFileSync(c.out, 'utf8'), 'not a directory\n', 'the file in its place was not touched');
  fs.unlinkSync(c.out);
  fs.renameSync(away, c.out);

  const job = await waitFor('a submit to be accepted again', async () => {
    const r = await c.cmd('submit echo back');
    return r.code === 0 ? submitted(r.stdout) : undefined;
  }, 10_000, 200);
  await waitFor(`job ${job.jobId} to finish`, async () => (await c.ok(`status ${job.jobId}`)) === `JobID ${job.jobId} Status: Finished`);
  t.same([...jobDirs(c.out).keys()].sort(), [1, job.jobId], 'only the jobs that started have directories');
  t.same(fs.readdirSync(c.out).filter((n) => n.startsWith('.jms_starting')), [], 'no hidden directory was left behind');
  t.match(await c.ok('status-all'), new RegExp(`^1\\. JobID 1 Status: Finished\n2\\. JobID ${job.jobId} Status: Finished$`),
    'the refused submits left no job on record');
  assertAlive(t, c.child);
});

t.test('the output disk full', { skip: MOUNT === false ? 'needs root to mount a small tmpfs' : false }, async (t) => {
  await t.test('no inode left: the job fails with a clear reason, the coordinator serves on', async (t) => {
    const dir = t.testdir({});
    const out = join(tmpfs(t, 'size=1m,nr_inodes=32'), 'out');
    const s = await serveAt(t, dir, out, join(dir, 'in'), join(dir, 'jout'));
    t.match((await s.cmd('submit true')).stdout, /^JobID: 1, PID: \d+\n$/, 'a job runs while there is room');
    t.ok(fill(out, 'inodes') > 0, 'the disk is now out of inodes');
    const r = await s.cmd('submit echo lost');
    t.same({ code: r.code, stdout: r.stdout }, { code: 1, stdout: '' }, 'the submit fails');
    t.match(r.stderr, new RegExp(`^jms_console: error: could not start JobID 2: cannot create its directory in ${esc(out)}: ENOSPC: no space left on device`),
      'the error says the disk is full');
    t.equal((await s.cmd('status 2')).stdout, 'JobID 2 Status: Finished\n', 'JobID 2 is Finished');
    for (const name of fs.readdirSync(out)) if (name.startsWith('fill_')) fs.unlinkSync(join(out, name));
    t.match((await s.cmd('submit echo back')).stdout, /^JobID: 3, PID: \d+\n$/, 'with room again, the next job runs');
    await waitFor('job 3 to finish', async () => (await s.cmd('status 3')).stdout === 'JobID 3 Status: Finished\n');
    t.same([...jobDirs(out).keys()].sort(), [1, 3], 'only the jobs that started have directories');
    assertAlive(t, s.child);
    await s.stop();
  });

  await t.test('no byte left: the job does not pass for a success with its output lost', async (t) => {
    const dir = t.testdir({});
    const out = join(tmpfs(t, 'size=256k,nr_inodes=1000'), 'out');
    const s = await serveAt(t, dir, out, join(dir, 'in'), join(dir, 'jout'));
    // One job first, so the journal has a page with room and records the next submit.
    t.match((await s.cmd('submit true')).stdout, /^JobID: 1, PID: \d+\n$/, 'a job runs while there is room');
    t.ok(fill(out, 'bytes') > 0, 'the disk is now out of space');
    const r = await s.cmd('submit echo lost');
    if (r.code === 0) {
      // The job was accepted: its directory and empty files needed no data block.
      const job = submitted(r.stdout);
      await waitFor(`job ${job.jobId} to finish`, async () => (await s.cmd(`status ${job.jobId}`)).stdout.includes('Finished'));
      const jobDir = jobDirs(out).get(job.jobId);
      const said = jobDir === undefined ? '' : fs.readFileSync(join(jobDir, `stderr_${job.jobId}`), 'utf8');
      t.match(said, /space/, 'the job failed with a reason a user can find');
    } else {
      t.match(r.stderr, /space/, 'the submit failed, saying the disk is full');
    }
    const all = await s.cmd('status-all');
    t.equal(all.code, 0, 'the coordinator keeps serving');
    assertAlive(t, s.child);
    await s.stop();
  });
});

// --- 5. a flood of garbage on jms_in --------------------------------------------------


interface FloodPaths {
  dir: string;
  canary: string;
  out: string;
  pwned: string;
}

/** One hostile frame (a Buffer; with or without its newline). */
function frame(rnd: () => number, p: FloodPaths, n: number): Buffer {
  const int = (k: number): number => Math.floor(rnd() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const ghost = (): string => join(p.dir, `ghost-${n}-${int(1000)}.${pick(['req', 'rep', 'fifo', ''])}`);
  const pid = 1 + int(99_999);
  const r = rnd();
  let body: string | Buffer;
  if (r < 0.2) {
    // Random bytes, newlines and invalid UTF-8 included.
    body = Buffer.from(Array.from({ length: 1 + int(300) }, () => int(256)));
  } else if (r < 0.35) {
    // Truncated JSON.
    const whole = pick([
      hello(ghost(), ghost(), pid),
      encode({ kind: 'submit', id: 1, command: `touch ${p.pwned}` }),
      JSON.stringify({ kind: 'hello', version: 1, pid, requestFifo: p.canary, replyFifo: p.canary, extra: { deep: [1, 2, { x: 'é☃' }] } }),
    ]);
    body = Buffer.from(whole).subarray(0, int(whole.length));
  } else if (r < 0.6) {
    // Valid JSON of the wrong shape.
    body = pick([
      () => JSON.stringify(pick([null, true, 0, -1, 1e308, 'hello', [], [1, 'x'], {}])),
      () => JSON.stringify({ kind: pick(['submit', 'status-all', 'shutdown', 'HELLO', '', 'welcome', 'refused']), id: int(10), command: `touch ${p.pwned}` }),
      () => JSON.stringify({ kind: 'shutdown', id: 1 }),
      () => JSON.stringify({ __proto__: { kind: 'hello' }, version: 1 }),
      () => '{"__proto__":{"kind":"hello","version":1,"pid":1,"requestFifo":"/x","replyFifo":"/y"}}',
      () => JSON.stringify({ kind: 'hello', constructor: { prototype: { polluted: true } } }),
      () => `${'['.repeat(1500)}${']'.repeat(1500)}`,
      () => JSON.stringify({ kind: ['hello'], version: 1, pid, requestFifo: ghost(), replyFifo: ghost() }),
      () => '{"kind":"hello","kind":"hello","version":1}',
      () => '"\\ud800\\udfff\\u0000"',
    ])();
  } else if (r < 0.7) {
    // A hello with bad fields.
    body = pick([
      () => hello(ghost(), ghost(), pid, pick(['1', -1, 1.5, 2 ** 60, null, 1e400, [1]])),
      () => hello(ghost(), ghost(), pick([0, -5, 1.5, '7', null, 2 ** 64, {}])),
      () => hello(pick([null, 42, {}, [], ['/a']]), ghost(), pid),
      () => hello(ghost(), pick([null, 42, {}, [], true]), pid),
      () => hello('relative/req', 'relative/rep', pid),
      () => hello(`/${'x'.repeat(5000)}`, ghost(), pid),
      () => JSON.stringify({ kind: 'hello', version: 1, pid }),
    ])();
  } else if (r < 0.85) {
    // A well-formed hello naming FIFOs that are not there, or paths that are no FIFO.
    body = pick([
      () => hello(ghost(), ghost(), pid),
      () => hello(ghost(), p.canary, pid),
      () => hello(p.canary, ghost(), pid),
      () => hello(p.canary, p.canary, pid),
      () => hello(p.out, p.dir, pid),
      () => hello('/dev/null', '/dev/null', pid),
      () => hello(`${ghost()}\u0000tail`, `${ghost()}\u0000`, pid),
      () => hello(ghost(), ghost(), pid, 99),
    ])();
  } else if (r < 0.93) {
    // Longer than PIPE_BUF.
    body = hello(ghost(), ghost(), pid).replace('{', `{"pad":"${'p'.repeat(4096 + int(16_000))}",`);
  } else if (r < 0.94) {
    // A huge line of 100 KiB.
    body = `{"kind":"hello","junk":"${'z'.repeat(100 * 1024)}"}`;
  } else {
    body = pick(['', ' ', '\t', '{', '}', '\r', '\u2028', 'null', '{}{}', '[]\n[]']);
  }
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.replace(/\n$/, ''));
  return rnd() < 0.1 ? bytes : Buffer.concat([bytes, Buffer.from('\n')]);
}

/**
 * Writes every frame into `path` through one O_WRONLY|O_NONBLOCK fd. A full pipe (EAGAIN)
 * is waited out on the event loop: the coordinator's log must keep flowing to us meanwhile,
 * or it would block on its stderr and stop reading jms_in.
 */
async function pour(path: string, frames: Iterable<Buffer>): Promise<number> {
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  let bytes = 0;
  try {
    for (const data of frames) {
      let off = 0;
      const until = Date.now() + 30_000;
      while (off < data.length) {
        try {
          off += fs.writeSync(fd, data, off, data.length - off);
        } catch (err) {
          if (errno(err) !== 'EAGAIN' || Date.now() > until) throw err;
          await delay(1);
        }
      }
      bytes += data.length;
    }
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

t.test(`${FLOOD_FRAMES} hostile frames on jms_in leave the coordinator serving, its state unchanged`, async (t) => {
  const c = await startCoord(t, { jobsPool: 3 });
  const pid = c.child.pid ?? -1;
  const paths: FloodPaths = { dir: c.dir, canary: join(c.dir, 'canary.txt'), out: c.out, pwned: join(c.dir, 'pwned') };
  fs.writeFileSync(paths.canary, 'canary\n', { mode: 0o600 });
  t.equal(submitted(await c.ok('submit true')).jobId, 1);
  t.equal(submitted(await c.ok('submit echo two')).jobId, 2);
  await waitFor('jobs 1 and 2 to finish', async () => (await c.ok('status-all')) === '1. JobID 1 Status: Finished\n2. JobID 2 Status: Finished');
  await noPools(c);
  const states = await c.ok('status-all');
  const listing = (d: string): string[] => fs.readdirSync(d).sort();
  const dirBefore = listing(c.dir);
  const outBefore = listing(c.out);
  const fds = await steadyFds(pid);

  const rnd = seeded(SEED);
  const started = Date.now();
  const bytes = await pour(c.jmsIn, (function* () {
    for (let n = 0; n < FLOOD_FRAMES; n++) yield frame(rnd, paths, n);
    // Ends whatever the last frame left dangling (see bad-input.test.ts for why).
    yield Buffer.from('\n');
    yield Buffer.from(hello(join(c.dir, 'sentinel.req'), join(c.dir, 'sentinel.rep'), 999_999));
  })());
  await logged(c.log, 0, /console 999999: refused/);
  const answered = c.log().split('\n').filter((l) => /ignored a bad handshake|: refused: /.test(l)).length;
  t.comment(`seed ${SEED}: ${FLOOD_FRAMES} frames, ${(bytes / 1048576).toFixed(1)} MiB, read in ${Date.now() - started} ms; ` +
    `${answered} logged as ignored or refused`);

  assertAlive(t, c.child);
  t.notMatch(c.log(), /internal error/, 'no internal error');
  t.equal(await c.ok('status-all'), states, 'status-all is what it was: no job was invented or changed');
  t.notOk(fs.existsSync(paths.pwned), 'no request on jms_in ran anything');
  t.equal(fs.readFileSync(paths.canary, 'utf8'), 'canary\n', 'the regular file named in handshakes is unchanged');
  t.same(listing(c.dir), dirBefore, `nothing appeared or went in ${c.dir} (no stray FIFO or file)`);
  t.same(listing(c.out), outBefore, `nothing appeared or went in ${c.out}`);
  await noPools(c);
  const fdsAfter = await settle(() => fdTargets(pid).sort().join('\n'), fds, 15_000);
  t.same(fdsAfter.split('\n'), fds.split('\n'), 'the coordinator holds the same fds as before (no leak)');

  t.equal(submitted(await c.ok('submit echo after')).jobId, 3, 'a real console submits afterwards');
  await waitFor('job 3 to finish', async () => (await c.ok('status 3')) === 'JobID 3 Status: Finished');
  t.equal(await c.ok('status-all'), `${states}\n3. JobID 3 Status: Finished`, 'status-all lists exactly the three real jobs');
  t.same([...jobDirs(c.out).keys()].sort(), [1, 2, 3], 'and only they have directories');
});

// --- 6. many consoles submitting at once ----------------------------------------------

t.test(`${LOAD_CONSOLES} consoles x ${LOAD_SUBMITS} submits at once: no job lost or duplicated`, { timeout: HEAVY ? 25 * 60_000 : 110_000 }, async (t) => {
  const c = await startCoord(t, { jobsPool: 50, maxPools: 8 });
  const total = LOAD_CONSOLES * LOAD_SUBMITS;
  const input = 'submit true\n'.repeat(LOAD_SUBMITS);
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: LOAD_CONSOLES }, () =>
    run(process.execPath, [CONSOLE, '-w', c.jmsIn, '-r', c.jmsOut], { cwd: c.dir, input, timeoutMs: HEAVY ? 20 * 60_000 : 90_000 })));
  t.comment(`${total} submits answered in ${Date.now() - started} ms`);

  const ids: number[] = [];
  const bad: string[] = [];
  for (const r of results) {
    if (r.code !== 0 || r.stderr !== '') bad.push(`exit ${r.code}: ${r.stderr.slice(0, 300)}`);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    if (lines.length !== LOAD_SUBMITS) bad.push(`${lines.length} answers instead of ${LOAD_SUBMITS}`);
    for (const line of lines) {
      const m = /^JobID: (\d+), (?:PID: \d+|Queued \(position \d+\))$/.exec(line);
      if (m === null) bad.push(`not a submit answer: ${line}`);
      else ids.push(Number(m[1]));
    }
  }
  t.same(bad, [], 'every console exits 0 with one answer per submit');
  const expected = Array.from({ length: total }, (_, k) => k + 1);
  t.same([...ids].sort((a, b) => a - b), expected, `the answers carry JobIDs 1..${total}, each once`);

  const statusLine = /^(\d+)\. JobID (\d+) Status: (.*)$/;
  const all = await waitFor(`all ${total} jobs to finish`, async () => {
    const lines = (await c.ok('status-all')).split('\n');
    return lines.length === total && lines.every((l) => l.endsWith('Status: Finished')) && lines;
  }, HEAVY ? 20 * 60_000 : 60_000, HEAVY ? 2000 : 200);
  t.comment(`all finished ${Date.now() - started} ms after the start`);
  const listed = all.map((l) => Number(statusLine.exec(l)?.[2]));
  t.same([...listed].sort((a, b) => a - b), expected, `status-all lists ${total} jobs, each once`);

  const perJob = new Map<number, number>();
  for (const name of fs.readdirSync(c.out)) {
    const m = /^jms_.+_(\d+)_(\d+)_\d{8}_\d{6}$/.exec(name);
    if (m !== null) perJob.set(Number(m[1]), (perJob.get(Number(m[1])) ?? 0) + 1);
  }
  t.same([...perJob.keys()].sort((a, b) => a - b), expected, 'every job has a directory');
  t.same([...perJob.values()].filter((n) => n !== 1), [], 'and exactly one');
  t.same(fs.readdirSync(c.out).filter((n) => n.startsWith('.jms_starting')), [], 'no hidden directory was left behind');
  assertAlive(t, c.child);
});

