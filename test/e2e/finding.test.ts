// A coordinator found from anywhere (protocol/paths.ts): the per-user directory ($JMS_DIR,
// $XDG_RUNTIME_DIR/jms, ~/.jms), JMS_IN/JMS_OUT and the classic flags; a console started from
// another directory or from a script with no flags finds it; the directory must be ours
// alone; the hint when no coordinator runs is a command that starts one. A console's private
// FIFOs live in a fresh 0700 directory of its own that nothing else can block, and every
// set-up failure is one line, exit 3, with nothing left behind.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, COORD, consoleEntries, run, stopOnTeardown, testEnv, type RunResult } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

const IS_ROOT = process.getuid?.() === 0;
const GRAMMAR = /^jms_console: error: [^A-Z\s][^\n]*; [^\n]+\.\n$/;

interface Served {
  log(): string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A coordinator started with `args` in `cwd` and `env`, shut down at teardown. */
async function serve(t: Test, cwd: string, args: readonly string[], env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [COORD, ...args], { cwd, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  stopOnTeardown(t, child, ended);
  await waitFor('the coordinator to serve', () => log.includes('serving on') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`jms_coord exited ${child.exitCode}: ${log}`);
  return { log: () => log, ended };
}

function jms(cwd: string, env: Record<string, string>, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [CONSOLE, ...args], { cwd, env });
}

t.test('the defaults: found from another directory and from a script with no flags', async (t) => {
  const dir = t.testdir({ a: {}, b: { deeper: {} }, xdg: {}, home: {} });
  fs.chmodSync(join(dir, 'xdg'), 0o700);
  const variants: ReadonlyArray<[string, Record<string, string>, string]> = [
    ['$JMS_DIR', { JMS_DIR: join(dir, 'jmsdir') }, join(dir, 'jmsdir')],
    ['$XDG_RUNTIME_DIR/jms', { JMS_DIR: '', XDG_RUNTIME_DIR: join(dir, 'xdg') }, join(dir, 'xdg', 'jms')],
    ['~/.jms', { JMS_DIR: '', HOME: join(dir, 'home') }, join(dir, 'home', '.jms')],
  ];
  for (const [i, [what, env, fifoDir]] of variants.entries()) {
    const coord = await serve(t, join(dir, 'a'), ['-l', `out-${i}`, '-n', '2'], env);
    t.same(fs.readdirSync(fifoDir).sort(), ['jms_in', 'jms_out'], `${what}: the FIFOs are in ${fifoDir}`);
    t.equal(fs.statSync(fifoDir).mode & 0o777, 0o700, `${what}: the directory is owner-only`);
    const sub = await jms(join(dir, 'b', 'deeper'), env, 'submit', 'true');
    t.match(sub.stdout, /^JobID: 1, PID: \d+\n$/, `${what}: a console in another directory submits`);
    const script = join(dir, 'b', 'check.sh');
    fs.writeFileSync(script, `#!/bin/sh\ncd /\n'${process.execPath}' '${CONSOLE}' wait 1\n`, { mode: 0o755 });
    const fromScript = await run('sh', [script], { cwd: dir, env });
    t.same([fromScript.code, fromScript.stdout], [0, 'JobID 1 succeeded (exit code 0)\n'], `${what}: so does a script with no flags, run from /`);
    t.equal((await jms(dir, env, 'shutdown')).code, 0);
    t.same(await coord.ended, { code: 0, signal: null });
    t.same(fs.readdirSync(fifoDir), [], `${what}: the FIFOs are removed at shutdown`);
  }

  // JMS_IN / JMS_OUT name each FIFO; the classic flags override everything.
  const pair = { JMS_IN: join(dir, 'p', 'in'), JMS_OUT: join(dir, 'p', 'out') };
  fs.mkdirSync(join(dir, 'p'), { mode: 0o700 });
  const byEnv = await serve(t, dir, ['-l', 'out-pair', '-n', '2'], pair);
  t.same(fs.readdirSync(join(dir, 'p')).sort(), ['in', 'out'], 'JMS_IN and JMS_OUT are used as given');
  t.equal((await jms(join(dir, 'b'), pair, 'show-pools')).code, 0, 'a console with the same variables finds it');
  const flags = await jms(join(dir, 'b'), { JMS_DIR: join(dir, 'elsewhere') }, '-w', pair.JMS_IN, '-r', pair.JMS_OUT, 'show-pools');
  t.equal(flags.code, 0, 'the classic flags override the environment');
  t.equal((await jms(dir, pair, 'shutdown')).code, 0);
  await byEnv.ended;
});

t.test('the per-user directory must be ours alone', async (t) => {
  const dir = t.testdir({ shared: {} });
  const shared = join(dir, 'shared');
  fs.chmodSync(shared, 0o770);
  const env = { JMS_DIR: shared };
  const coord = await run(process.execPath, [COORD, '-l', join(dir, 'out'), '-n', '2'], { cwd: dir, env });
  t.equal(coord.code, 3, 'jms_coord: exit 3');
  t.equal(coord.stderr, `jms_coord: error: ${shared} is writable by other users (mode 770), so it cannot hold the FIFOs; run 'chmod 700 ${shared}'.\n`);
  t.same(fs.readdirSync(shared), [], 'it made nothing there');
  t.notOk(fs.existsSync(join(dir, 'out')), 'nor its output directory');
  const console = await jms(dir, env, 'status-all');
  t.equal(console.code, 3, 'jms_console: exit 3 too');
  t.match(console.stderr, GRAMMAR);
  t.match(console.stderr, /writable by other users/);

  t.test('a directory of another user', { skip: IS_ROOT ? false : 'chown needs root' }, async (t) => {
    const theirs = join(dir, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o700 });
    fs.chownSync(theirs, 65534, 65534);
    const r = await run(process.execPath, [COORD, '-l', join(dir, 'out2'), '-n', '2'], { cwd: dir, env: { JMS_DIR: theirs } });
    t.equal(r.code, 3);
    t.equal(r.stderr, `jms_coord: error: ${theirs} belongs to uid 65534, not to this user (uid 0), so it cannot hold the FIFOs; set JMS_DIR to a directory of your own.\n`);
  });
});

t.test('no coordinator: the hint is the command that starts one', async (t) => {
  const dir = t.testdir({});
  const env = { JMS_DIR: join(dir, 'run') };
  const none = await jms(dir, env, 'status-all');
  t.equal(none.code, 3);
  t.equal(none.stderr, `jms_console: error: no coordinator is running: ${join(dir, 'run', 'jms_in')} does not exist; start one with 'jms_coord -l jms_output -n 3'.\n`);
  const hint = /'(jms_coord [^']+)'/.exec(none.stderr)?.[1] ?? '';
  const coord = await serve(t, dir, hint.split(' ').slice(1), env);
  t.ok(coord, `'${hint}', run as printed (in the same environment), starts a coordinator`);
  t.equal((await jms(dir, env, 'status-all')).code, 0, 'which the console then finds');
  await jms(dir, env, 'shutdown');
  await coord.ended;

  const flagged = await jms(dir, env, '-w', join(dir, 'x_in'), '-r', join(dir, 'x_out'), 'status-all');
  const flagHint = /'(jms_coord [^']+)'/.exec(flagged.stderr)?.[1] ?? '';
  t.equal(flagHint, `jms_coord -l jms_output -n 3 -r ${join(dir, 'x_in')} -w ${join(dir, 'x_out')}`, 'with -w and -r, the hint names the same FIFOs');
  const second = await serve(t, dir, flagHint.split(' ').slice(1), env);
  t.equal((await jms(dir, env, '-w', join(dir, 'x_in'), '-r', join(dir, 'x_out'), 'status-all')).code, 0, 'and works as printed');
  await jms(dir, env, '-w', join(dir, 'x_in'), '-r', join(dir, 'x_out'), 'shutdown');
  await second.ended;
});

/** A console reading its stdin (kept open) on the FIFOs in `dir`; resolves once connected. */
async function liveConsole(t: Test, dir: string, env: Record<string, string>): Promise<{ pid: number; ended: Promise<unknown>; end(): void }> {
  const child = spawn(process.execPath, [CONSOLE], { cwd: dir, env: testEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const ended = new Promise((resolve) => child.on('exit', resolve));
  child.stdin.write('show-pools\n');
  await waitFor('the console to be connected', () => out.startsWith('Pool & NumOfJobs:'));
  return { pid: child.pid ?? -1, ended, end: () => child.stdin.end() };
}

t.test("a console's private FIFOs: a fresh owner-only directory of its own", async (t) => {
  const dir = t.testdir({});
  const run_ = join(dir, 'run');
  const env = { JMS_DIR: run_ };
  await serve(t, dir, ['-l', 'out', '-n', '2'], env);

  const first = await liveConsole(t, dir, env);
  const mine = consoleEntries(run_, first.pid);
  t.match(mine, [new RegExp(`^jms_console-${first.pid}-\\w{6}$`), /\/jms_in$/, /\/jms_out$/], 'a directory named for it, with its FIFO pair');
  const own = join(run_, mine[0] ?? '');
  t.equal(fs.statSync(own).mode & 0o777, 0o700, 'made 0700 (mkdtemp)');
  for (const f of ['jms_in', 'jms_out']) {
    const st = fs.lstatSync(join(own, f));
    t.ok(st.isFIFO() && (st.mode & 0o777) === 0o600, `${f}: a FIFO, 0600`);
  }
  first.end();
  await first.ended;
  t.same(consoleEntries(run_, first.pid), [], 'gone when the console leaves');

  const killed = await liveConsole(t, dir, env);
  t.equal(consoleEntries(run_, killed.pid).length, 3);
  process.kill(killed.pid, 'SIGKILL');
  await waitFor("the coordinator to remove a killed console's directory", () => consoleEntries(run_, killed.pid).length === 0);
  t.pass('a killed console: the coordinator removes its FIFOs and its (then empty) directory');

  // Names a console might be expected to use, planted first, block nothing and are left alone.
  const nextPid = killed.pid + 1;
  const planted = [`jms_in.${nextPid}`, `jms_out.${nextPid}`, `jms_console-${nextPid}-AAAAAA`];
  execFileSync('mkfifo', [join(run_, planted[0] ?? ''), join(run_, planted[1] ?? '')]);
  fs.mkdirSync(join(run_, planted[2] ?? ''));
  fs.writeFileSync(join(run_, planted[2] ?? '', 'keep'), 'mine');
  const after = await liveConsole(t, dir, env);
  t.ok(after.pid > 0, 'a console connects with names planted in its directory');
  after.end();
  await after.ended;
  t.equal(fs.readFileSync(join(run_, planted[2] ?? '', 'keep'), 'utf8'), 'mine', 'a planted directory and its file are untouched');
  t.ok(fs.lstatSync(join(run_, planted[0] ?? '')).isFIFO(), 'planted FIFOs too');
});

/** Every file name under `dir`, recursively, sorted. */
function tree(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort() : [];
}

t.test('bad -r or -w, and a private directory that cannot be made: one line, exit 3, nothing left', async (t) => {
  const dir = t.testdir({ file: 'not a FIFO' });
  const run_ = join(dir, 'run');
  const env = { JMS_DIR: run_ };
  await serve(t, dir, ['-l', 'out', '-n', '2'], env);
  const jmsIn = join(run_, 'jms_in');
  const jmsOut = join(run_, 'jms_out');
  const before = { dir: tree(dir) };
  const cases: ReadonlyArray<[string, string[], RegExp]> = [
    ['-r in a directory that does not exist', ['-w', jmsIn, '-r', '/nonexistent/jms_out'], /^jms_console: error: \/nonexistent\/jms_out does not exist, so it is not the jms_out of the coordinator on /],
    ['-r a regular file', ['-w', jmsIn, '-r', join(dir, 'file')], /is not a FIFO, so it is not the jms_out of the coordinator/],
    ['-w in a directory that does not exist', ['-w', '/nonexistent/jms_in', '-r', jmsOut], /^jms_console: error: no coordinator is running: \/nonexistent\/jms_in does not exist; /],
    ['-w a regular file', ['-w', join(dir, 'file'), '-r', jmsOut], /is not a FIFO, so no coordinator listens there/],
  ];
  for (const [what, args, says] of cases) {
    for (let i = 0; i < 3; i += 1) {
      const r = await jms(dir, env, ...args, 'status-all');
      t.equal(r.code, 3, `${what}: exit 3`);
      t.match(r.stderr, GRAMMAR, `${what}: one line in the grammar`);
      t.match(r.stderr, says, `${what}: it says what is wrong`);
    }
    t.same(tree(dir), before.dir, `${what}, three times: nothing left behind`);
  }
  t.equal(fs.readFileSync(join(dir, 'file'), 'utf8'), 'not a FIFO', 'the file is untouched');

  t.test('a private directory that cannot be made', { skip: cannotBlockCreation(dir) }, async (t) => {
    // root writes anywhere, but not into an immutable directory; anyone else: a read-only one.
    const undo = IS_ROOT ? (): void => void execFileSync('chattr', ['-i', run_]) : (): void => fs.chmodSync(run_, 0o700);
    if (IS_ROOT) execFileSync('chattr', ['+i', run_]);
    else fs.chmodSync(run_, 0o500);
    t.teardown(undo);
    const r = await jms(dir, env, 'status-all');
    undo();
    t.equal(r.code, 3, 'exit 3');
    t.match(r.stderr, /^jms_console: error: cannot create this console's private directory in \S+: (permission denied|operation not permitted)[^\n]*; run jms_console as the user that runs the coordinator\.\n$/, 'one line');
    t.same(fs.readdirSync(run_).sort(), ['jms_in', 'jms_out'], 'nothing left behind');
  });
});

/** Why this machine cannot keep even its own user from creating in a directory (false: it can). */
function cannotBlockCreation(scratch: string): string | false {
  if (!IS_ROOT) return false;
  const probe = join(scratch, 'chattr-probe');
  fs.mkdirSync(probe);
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'pipe' });
    execFileSync('chattr', ['-i', probe], { stdio: 'pipe' });
    return false;
  } catch (err) {
    return `as root, only chattr +i keeps a directory from being written, and it failed here: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  } finally {
    fs.rmdirSync(probe);
  }
}
