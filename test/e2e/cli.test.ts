// The command lines of jms_coord and jms_console, run as real programs in a fresh
// directory: every refusal is a non-zero exit with one clear line on stderr and leaves
// no FIFO behind; flags in any order, defaults, a second or stale coordinator, and a
// console with no coordinator to talk to.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CONSOLE, COORD, run, testEnv, type RunResult } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

const runCoord = (cwd: string, args: readonly string[]): Promise<RunResult> =>
  run(process.execPath, [COORD, ...args], { cwd, timeoutMs: 10_000 });

/** Runs a console; a hang is reported as `null` (the process is killed) rather than thrown. */
async function runConsole(cwd: string, args: readonly string[], timeoutMs = 5000): Promise<RunResult | null> {
  try {
    return await run(process.execPath, [CONSOLE, ...args], { cwd, timeoutMs });
  } catch {
    return null;
  }
}

/** Every FIFO under `dir`, relative, sorted. */
function fifosUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : join(sub, entry.name);
      if (entry.isFIFO()) found.push(rel);
      else if (entry.isDirectory()) walk(rel);
    }
  };
  walk('');
  return found.sort();
}

/** A refusal: exit `code`, nothing on stdout, one `prog: error:` line on stderr. */
function refused(t: Test, r: RunResult, prog: 'jms_coord' | 'jms_console', code: number, says: RegExp): void {
  t.equal(r.code, code, `exit code ${code}`);
  t.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  t.match(lines[0] ?? '', new RegExp(`^${prog}: error: \\S`), `the stderr line starts with '${prog}: error:'`);
  t.match(lines[0] ?? '', says, 'the line says what is wrong');
  t.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
}

interface Served {
  log(): string;
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  pid: number;
}

/** A coordinator that keeps running, started with exactly `args` in `cwd`. */
async function serve(t: Test, cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [COORD, ...args], { cwd, env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (log += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor('the coordinator to serve', () => log.includes('serving on') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`jms_coord exited ${child.exitCode}: ${log}`);
  return { log: () => log, ended, pid: child.pid ?? -1 };
}

const mkfifo = (path: string): void => {
  execFileSync('mkfifo', ['-m', '600', path]);
};

t.test('jms_coord refuses a bad command line', async (t) => {
  const cases: { name: string; args: string[]; code: number; says: RegExp }[] = [
    { name: 'missing -n', args: ['-l', 'out'], code: 2, says: /-n/ },
    { name: '-n abc', args: ['-l', 'out', '-n', 'abc'], code: 2, says: /jobs_pool.*whole number/ },
    { name: '-n 0', args: ['-l', 'out', '-n', '0'], code: 2, says: /jobs_pool.*at least 1/ },
    { name: '-n -3', args: ['-l', 'out', '-n', '-3'], code: 2, says: /jobs_pool.*whole number/ },
    { name: 'missing -l', args: ['-n', '2'], code: 2, says: /-l/ },
    { name: 'an unknown flag', args: ['-l', 'out', '-n', '2', '--bogus'], code: 2, says: /--bogus/ },
    { name: 'a stray argument', args: ['-l', 'out', '-n', '2', 'extra'], code: 2, says: /argument/ },
    { name: '-r and -w the same path', args: ['-l', 'out', '-n', '2', '-r', 'x', '-w', './x'], code: 2, says: /different/ },
  ];
  for (const c of cases) {
    t.test(c.name, async (t) => {
      const dir = t.testdir({});
      refused(t, await runCoord(dir, c.args), 'jms_coord', c.code, c.says);
      t.same(fifosUnder(dir), [], 'no FIFO is left behind');
      t.notOk(fs.existsSync(join(dir, 'out')), 'a usage error creates nothing');
    });
  }
});

t.test('jms_coord refuses paths it cannot use', async (t) => {
  t.test('-l is a regular file', async (t) => {
    const dir = t.testdir({ file: 'data' });
    refused(t, await runCoord(dir, ['-l', 'file', '-n', '2']), 'jms_coord', 3, /is not a directory/);
    t.equal(fs.readFileSync(join(dir, 'file'), 'utf8'), 'data', 'the file is untouched');
    t.same(fifosUnder(dir), []);
  });

  t.test('-l under a regular file', async (t) => {
    const dir = t.testdir({ file: 'data' });
    refused(t, await runCoord(dir, ['-l', 'file/out', '-n', '2']), 'jms_coord', 3, /output directory/);
    t.same(fifosUnder(dir), []);
  });

  t.test('-l in a directory without write permission', { skip: process.getuid?.() === 0 ? 'runs as root, which may write anywhere' : false }, async (t) => {
    const dir = t.testdir({ ro: {} });
    fs.chmodSync(join(dir, 'ro'), 0o500);
    t.teardown(() => fs.chmodSync(join(dir, 'ro'), 0o700));
    refused(t, await runCoord(dir, ['-l', 'ro/out', '-n', '2']), 'jms_coord', 3, /output directory/);
    t.same(fifosUnder(dir), []);
  });

  t.test('-r is a regular file', async (t) => {
    const dir = t.testdir({ x_in: 'precious' });
    refused(t, await runCoord(dir, ['-l', 'out', '-n', '2', '-r', 'x_in']), 'jms_coord', 3, /not a FIFO/);
    t.equal(fs.readFileSync(join(dir, 'x_in'), 'utf8'), 'precious', 'the file is untouched');
    t.same(fifosUnder(dir), [], 'no FIFO is left behind');
  });

  t.test('-w is a regular file', async (t) => {
    const dir = t.testdir({ x_out: 'precious' });
    refused(t, await runCoord(dir, ['-l', 'out', '-n', '2', '-w', 'x_out']), 'jms_coord', 3, /not a FIFO/);
    t.equal(fs.readFileSync(join(dir, 'x_out'), 'utf8'), 'precious', 'the file is untouched');
    t.same(fifosUnder(dir), [], 'no FIFO is left behind (jms_in)');
  });

  t.test('-r is a symbolic link', async (t) => {
    const dir = t.testdir({});
    mkfifo(join(dir, 'target'));
    fs.symlinkSync('target', join(dir, 'x_in'));
    refused(t, await runCoord(dir, ['-l', 'out', '-n', '2', '-r', 'x_in']), 'jms_coord', 3, /not a FIFO/);
    t.ok(fs.lstatSync(join(dir, 'x_in')).isSymbolicLink(), 'the link is untouched');
    t.same(fifosUnder(dir), ['target'], 'no FIFO is made or removed');
  });

  t.test('-r in a directory that does not exist', async (t) => {
    const dir = t.testdir({});
    refused(t, await runCoord(dir, ['-l', 'out', '-n', '2', '-r', 'nodir/x_in']), 'jms_coord', 3, /nodir\/x_in/);
    t.same(fifosUnder(dir), []);
  });
});

t.test('flags in any order', async (t) => {
  const dir = t.testdir({});
  const coord = await serve(t, dir, ['-n', '2', '-r', 'x_in', '-l', 'out', '-w', 'x_out']);
  const out = fs.statSync(join(dir, 'out'));
  t.ok(out.isDirectory(), 'out is created');
  t.equal(out.mode & 0o777, 0o700, 'out is owner-only');
  for (const name of ['x_in', 'x_out']) {
    const st = fs.lstatSync(join(dir, name));
    t.ok(st.isFIFO(), `${name} is a FIFO`);
    t.equal(st.mode & 0o777, 0o600, `${name} has mode 0600`);
  }
  const r = await runConsole(dir, ['-w', 'x_in', '-r', 'x_out', 'shutdown']);
  t.same(r && { code: r.code, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: 'Served 0 jobs, 0 were still in progress\n', stderr: '' });
  t.same(await coord.ended, { code: 0, signal: null });
  t.same(fifosUnder(dir), [], 'both FIFOs are removed');
});

t.test('defaults: jms_in and jms_out in the per-user directory, JMS_DIR here', async (t) => {
  const dir = t.testdir({ here: {} });
  const env = { JMS_DIR: join(dir, 'run') };
  const coord = await serve(t, join(dir, 'here'), ['-l', 'out', '-n', '1'], env);
  t.same(fifosUnder(join(dir, 'here')), [], 'none in the current directory');
  t.same(fifosUnder(join(dir, 'run')), ['jms_in', 'jms_out'], 'both in $JMS_DIR');
  t.equal(fs.statSync(join(dir, 'run')).mode & 0o777, 0o700, '$JMS_DIR is created owner-only');
  const pools = await run(process.execPath, [CONSOLE, 'show-pools'], { cwd: dir, env });
  t.same([pools.code, pools.stdout], [0, 'Pool & NumOfJobs:\n'], 'a console with its defaults reaches it from another directory');
  const r = await run(process.execPath, [CONSOLE, 'shutdown'], { cwd: dir, env });
  t.equal(r.code, 0);
  t.same(await coord.ended, { code: 0, signal: null });
  t.same(fifosUnder(dir), []);
});

t.test('a second coordinator on the same jms_in is refused', async (t) => {
  const dir = t.testdir({});
  const first = await serve(t, dir, ['-l', 'out', '-n', '1', '-r', 'a_in', '-w', 'a_out']);
  const inode = (name: string): number => fs.lstatSync(join(dir, name)).ino;
  const before = [inode('a_in'), inode('a_out')];

  const second = await runCoord(dir, ['-l', 'out2', '-n', '1', '-r', 'a_in', '-w', 'a_out']);
  refused(t, second, 'jms_coord', 3, /another coordinator/);
  t.same(fifosUnder(dir), ['a_in', 'a_out'], 'no FIFO was added or removed');
  t.same([inode('a_in'), inode('a_out')], before, "the first coordinator's FIFOs were not replaced");

  const sharedOut = await runCoord(dir, ['-l', 'out3', '-n', '1', '-r', 'b_in', '-w', 'a_out']);
  refused(t, sharedOut, 'jms_coord', 3, /another coordinator is already using .*a_out/);
  t.same(fifosUnder(dir), ['a_in', 'a_out'], 'the refusal on -w removed the b_in it had made');
  t.same([inode('a_in'), inode('a_out')], before, 'nor did a second one on the same jms_out replace it');

  const r = await runConsole(dir, ['-w', 'a_in', '-r', 'a_out', 'show-pools']);
  t.same(r && [r.code, r.stdout], [0, 'Pool & NumOfJobs:\n'], 'the first keeps serving');
  const bye = await runConsole(dir, ['-w', 'a_in', '-r', 'a_out', 'shutdown']);
  t.equal(bye?.code, 0);
  t.same(await first.ended, { code: 0, signal: null });
});

t.test('FIFOs left by a SIGKILLed coordinator do not block a restart', async (t) => {
  const dir = t.testdir({});
  const args = ['-l', 'out', '-n', '1', '-r', 'a_in', '-w', 'a_out'];
  const dead = await serve(t, dir, args);
  process.kill(dead.pid, 'SIGKILL');
  t.same(await dead.ended, { code: null, signal: 'SIGKILL' });
  t.same(fifosUnder(dir), ['a_in', 'a_out'], 'the stale FIFOs are still there');

  const again = await serve(t, dir, args);
  const r = await runConsole(dir, ['-w', 'a_in', '-r', 'a_out', 'show-pools']);
  t.same(r && [r.code, r.stdout], [0, 'Pool & NumOfJobs:\n'], 'the new coordinator serves');
  const bye = await runConsole(dir, ['-w', 'a_in', '-r', 'a_out', 'shutdown']);
  t.equal(bye?.code, 0);
  t.same(await again.ended, { code: 0, signal: null });
  t.same(fifosUnder(dir), []);
});

t.test('jms_console without a coordinator', async (t) => {
  t.test('jms_in does not exist', async (t) => {
    const dir = t.testdir({});
    const began = Date.now();
    const r = await runConsole(dir, ['-w', 'x_in', '-r', 'x_out', 'status', '1']);
    if (r === null) return void t.fail('the console hung');
    t.ok(Date.now() - began < 3000, 'it ends at once');
    refused(t, r, 'jms_console', 3, /^jms_console: error: .*x_in/);
    t.same(fifosUnder(dir), [], 'it leaves no FIFO');
  });

  t.test('jms_in is a FIFO nobody reads', async (t) => {
    const dir = t.testdir({});
    mkfifo(join(dir, 'x_in'));
    const r = await runConsole(dir, ['-w', 'x_in', '-r', 'x_out', 'status', '1'], 4000);
    if (r === null) t.fail('the console ends by itself (it hung and was killed after 4 s)');
    else refused(t, r, 'jms_console', 3, /no coordinator is listening/i);
    t.same(fifosUnder(dir), ['x_in'], 'it leaves no FIFO of its own');
  });

  t.test('-o names a missing file', async (t) => {
    const dir = t.testdir({});
    const r = await runConsole(dir, ['-w', 'x_in', '-r', 'x_out', '-o', 'missing-file']);
    if (r === null) return void t.fail('the console hung');
    refused(t, r, 'jms_console', 2, /missing-file/);
  });

  t.test('an unknown flag', async (t) => {
    const dir = t.testdir({});
    const r = await runConsole(dir, ['--bogus', '-w', 'x_in']);
    if (r === null) return void t.fail('the console hung');
    refused(t, r, 'jms_console', 2, /--bogus/);
  });
});

t.test('--help', async (t) => {
  t.test('jms_coord', async (t) => {
    const dir = t.testdir({});
    const r = await runCoord(dir, ['--help']);
    t.equal(r.code, 0);
    t.match(r.stdout, /^Usage: jms_coord /);
    t.match(r.stdout, /-l, --path <path>/);
    t.match(r.stdout, /-n, --jobs-pool <jobs_pool>/);
    t.equal(r.stderr, '');
    t.same(fs.readdirSync(dir), [], 'it creates nothing');
  });
  t.test('jms_console', async (t) => {
    const dir = t.testdir({});
    const r = await runConsole(dir, ['--help']);
    if (r === null) return void t.fail('the console hung');
    t.equal(r.code, 0);
    t.match(r.stdout, /^Usage: jms_console /);
    t.match(r.stdout, /-w, --jms-in <jms_in>/);
    t.equal(r.stderr, '');
    t.same(fs.readdirSync(dir), [], 'it creates nothing');
  });
});
