// `make install` in a fresh checkout puts jms_coord, jms_console and jms_script.sh on PATH
// (links into the checkout, under a PREFIX of the test's own), and the README's commands
// then work as printed from any directory; `make run` starts a coordinator on the defaults
// or says which settings the one already running keeps; `make stop` stops it, and says so
// when there is none; `make uninstall` takes the links away.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import t from 'tap';
import { ROOT, run, type RunResult } from '../helpers/coord.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A fresh checkout of the working tree: every file git tracks (or would), with its time
 * stamps, and the build, so make finds it up to date; node_modules is this one's, linked.
 */
function checkout(to: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const f of files) {
    if (!fs.existsSync(join(ROOT, f))) continue;
    fs.mkdirSync(dirname(join(to, f)), { recursive: true });
    fs.cpSync(join(ROOT, f), join(to, f), { preserveTimestamps: true });
  }
  fs.cpSync(join(ROOT, 'dist'), join(to, 'dist'), { recursive: true, preserveTimestamps: true });
  fs.symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'));
}

t.test('make install, then the commands from anywhere; make run, stop and uninstall', async (t) => {
  const dir = t.testdir({ elsewhere: {} });
  const repo = join(dir, 'jms');
  checkout(repo);
  const prefix = join(dir, 'prefix');
  const env = { JMS_DIR: join(dir, 'run'), PATH: `${join(prefix, 'bin')}:${process.env['PATH'] ?? ''}` };
  const sh = (line: string, cwd = join(dir, 'elsewhere')): Promise<RunResult> => run('bash', ['-c', line], { cwd, env, timeoutMs: 60_000 });

  // Whatever happens below, no coordinator outlives the test.
  t.teardown(() => sh('jms_console shutdown >/dev/null 2>&1; exit 0', ROOT));
  const install = await run('make', ['-C', repo, 'install', `PREFIX=${prefix}`], { env, timeoutMs: 120_000 });
  t.equal(install.code, 0, install.stderr);
  for (const name of ['jms_coord', 'jms_console', 'jms_script.sh']) {
    t.match(install.stdout, new RegExp(`Installed ${join(prefix, 'bin', name)} -> `), `it says where ${name} went`);
    t.ok(fs.lstatSync(join(prefix, 'bin', name)).isSymbolicLink(), `${name} is a link in PREFIX/bin`);
  }
  t.same((await sh('command -v jms_coord jms_console jms_script.sh')).stdout.split('\n').filter((l) => l !== ''),
    ['jms_coord', 'jms_console', 'jms_script.sh'].map((n) => join(prefix, 'bin', n)), 'all three are commands on PATH');

  // The README's first steps, as printed, from another directory.
  await sh('jms_coord -l jms_output -n 3 </dev/null >/dev/null 2>>coord.log &');
  await waitFor('the coordinator to serve', async () => (await sh('jms_console show-pools')).code === 0, 20_000);
  t.match((await sh('jms_console submit echo hello')).stdout, /^JobID: 1, PID: \d+\n$/, 'jms_console submit');
  t.equal((await sh('jms_console wait 1')).stdout, 'JobID 1 succeeded (exit code 0)\n', 'jms_console wait');
  t.match((await sh('jms_script.sh -l jms_output -c list')).stdout, /^jms_output\/jms_\w+_1_\d+_\d{8}_\d{6}\n$/, 'jms_script.sh list');
  t.equal((await sh('cat jms_output/jms_*_1_*/stdout_1')).stdout, 'hello\n');
  t.equal((await sh('jms_console shutdown')).stdout, 'Served 1 jobs, 0 were still in progress\n');

  // make run on the defaults: it starts one; run again with other settings, it says they stay.
  const first = await run('make', ['-s', '-C', repo, 'run', 'JOBS_POOL=2'], { env, timeoutMs: 60_000 });
  t.equal(first.code, 0, first.stderr);
  t.match(first.stdout, /^Started a coordinator \(jobs_pool 2, output in jms_output\/, log in jms_coord\.log\)\.\n/, 'make run starts one');
  t.match(first.stdout, /The coordinator keeps running; 'make run' reconnects, 'make stop' shuts it down\.\n$/);
  t.ok(fs.existsSync(join(dir, 'run', 'jms_in')), 'on the per-user FIFOs, which the installed commands find');
  t.equal((await sh('jms_console show-pools')).code, 0);
  const again = await run('make', ['-s', '-C', repo, 'run', 'JOBS_POOL=5', 'JMS_PATH=/tmp/elsewhere'], { env, timeoutMs: 60_000 });
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, new RegExp(`^Using the coordinator already running \\(pid \\d+, jobs_pool 2, output in ${join(repo, 'jms_output')}\\)\\.\\n` +
    "Its settings stay: JOBS_POOL=5 JMS_PATH=/tmp/elsewhere not applied; 'make stop' and then 'make run JOBS_POOL=5 JMS_PATH=/tmp/elsewhere' would apply them\\.\\n"),
  'a second make run says which settings stay');
  const same = await run('make', ['-s', '-C', repo, 'run', 'JOBS_POOL=2'], { env, timeoutMs: 60_000 });
  t.notMatch(same.stdout, /settings stay/, 'the same settings again: nothing to say');
  const stop = await run('make', ['-s', '-C', repo, 'stop'], { env, timeoutMs: 60_000 });
  t.same([stop.code, stop.stdout], [0, 'Served 0 jobs, 0 were still in progress\n'], 'make stop');
  const none = await run('make', ['-s', '-C', repo, 'stop'], { env, timeoutMs: 60_000 });
  t.same([none.code, none.stderr], [0, ''], 'make stop with no coordinator is no make error');
  t.match(none.stdout, /^No coordinator is running for \S+ on the default FIFOs; there is nothing to stop\.\n$/);

  const uninstall = await run('make', ['-s', '-C', repo, 'uninstall', `PREFIX=${prefix}`], { env });
  t.equal(uninstall.code, 0, uninstall.stderr);
  t.same(fs.readdirSync(join(prefix, 'bin')), [], 'make uninstall removes the links');
});

t.test('make install never replaces a file that is not its own link', async (t) => {
  const dir = t.testdir({ prefix: { bin: { jms_console: 'someone else\'s program' } } });
  const prefix = join(dir, 'prefix');
  const r = await run('make', ['-s', '-C', ROOT, 'install', `PREFIX=${prefix}`], { timeoutMs: 60_000 });
  t.not(r.code, 0, 'it fails');
  t.match(r.stderr, /^install\.sh: error: \S+\/jms_console exists and is not a link of JMS; remove it, or install elsewhere with PREFIX=…\.\n/);
  t.equal(fs.readFileSync(join(prefix, 'bin', 'jms_console'), 'utf8'), "someone else's program", 'the file is untouched');
  t.same(fs.readdirSync(join(prefix, 'bin')), ['jms_console'], 'and no other link was made');
});
