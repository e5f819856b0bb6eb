// The V8 flags of the often-started Node processes (protocol/quick-start.ts): the installed
// jms_console gets them from its #! line, a local pool (and --no-opt) from its coordinator,
// and the code cache of each bundle is kept per set of flags (V8 refuses a cache made
// under other flags), so a run with them and a run without do not undo each other's cache.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { cachePath } from '../../protocol/cached-bundle.js';
import { POOL_NODE_FLAGS, QUICK_START_FLAGS } from '../../protocol/quick-start.js';
import { CONSOLE, startCoord, testEnv } from '../helpers/coord.js';
import { poolsOf } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';

const CACHED_BUNDLE = fileURLToPath(new URL('../../protocol/cached-bundle.js', import.meta.url));
const POOL = join(dirname(CONSOLE), 'jms_pool.cjs');

t.test('this Node accepts the flags', async (t) => {
  for (const flags of [QUICK_START_FLAGS, POOL_NODE_FLAGS]) {
    const r = spawnSync(process.execPath, [...flags, '-e', 'process.stdout.write("ran")'], { encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stdout, 'ran', flags.join(' '));
  }
});

t.test("the installed jms_console's #! line starts Node with the flags", async (t) => {
  const first = fs.readFileSync(CONSOLE, 'utf8').split('\n')[0];
  t.equal(first, `#!/usr/bin/env -S node ${QUICK_START_FLAGS.join(' ')}`);
  // Run as a user runs it (through the #! line), it reports what Node was started with.
  const dir = t.testdir({ 'show.cjs': 'process.stderr.write("execArgv=" + JSON.stringify(process.execArgv) + "\\n");' });
  const r = spawnSync(CONSOLE, ['--help'], { encoding: 'utf8', env: testEnv({ NODE_OPTIONS: `--require ${join(dir, 'show.cjs')}` }) });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, `execArgv=${JSON.stringify(QUICK_START_FLAGS)}`);
});

t.test("a local pool runs with the flags before its program", async (t) => {
  const c = await startCoord(t, { jobsPool: 2 });
  await c.ok('submit /bin/sleep 30');
  let pools: number[] = [];
  await waitFor('a pool', () => (pools = poolsOf(c.child.pid ?? -1)).length > 0);
  // Every pool there is (a spare one may have started beside the one that runs the job).
  for (const pid of pools) {
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
    t.same(argv.slice(1, 1 + POOL_NODE_FLAGS.length), POOL_NODE_FLAGS);
    t.match(argv[1 + POOL_NODE_FLAGS.length] ?? '', /(jms_pool\.cjs|pool\/main\.js)$/);
  }
  await c.ok('shutdown');
});

// Under these flags Node's own code cache is refused, so each built-in module a start loads
// is compiled from source: the bundles load node:module (and the ESM loader with it) only
// when createRequire is called (scripts/bundle.mjs).
t.test('a pool and a one-shot console start without loading node:module', async (t) => {
  const dir = t.testdir({ 'list.cjs': 'process.on("exit", () => require("fs").writeFileSync(process.env.LIST_TO, process.moduleLoadList.join("\\n")));' });
  const loaded = (argv: readonly string[], name: string): string[] => {
    const to = join(dir, name);
    // Through env(1): tap's process-info hook puts itself into the NODE_OPTIONS of every
    // process a test spawns (and it loads half of Node); env sets ours over it.
    spawnSync('/usr/bin/env', [`NODE_OPTIONS=--require ${join(dir, 'list.cjs')}`, `LIST_TO=${to}`, ...argv], { stdio: 'ignore', env: testEnv() });
    return fs.readFileSync(to, 'utf8').split('\n');
  };
  // A pool whose coordinator is gone at once (stdin at its end), and a console with no coordinator.
  const pool = loaded([process.execPath, ...POOL_NODE_FLAGS, POOL, '--key', 'quick-start-test'], 'pool.txt');
  const oneShot = loaded([CONSOLE, '-w', join(dir, 'none_in'), '-r', join(dir, 'none_out'), 'status', '1'], 'console.txt');
  for (const [what, list] of [['pool', pool], ['console', oneShot]] as const) {
    t.ok(list.includes('NativeModule vm'), `${what}: the list is real (vm runs the bundle)`);
    t.notOk(list.includes('NativeModule module'), `${what}: no node:module`);
  }
});

t.test('cache files are named by the flags they were made under', async (t) => {
  t.equal(cachePath('/d/x.cjs', []), '/d/x.cache');
  t.equal(cachePath('/d/x.cjs', ['--no-rehash-snapshot']), '/d/x.no-rehash-snapshot.cache');
  const long1 = cachePath('/d/x.cjs', ['--require', '/a/very/long/path/to/some/preload/one.cjs']);
  const long2 = cachePath('/d/x.cjs', ['--require', '/a/very/long/path/to/some/preload/two.cjs']);
  t.not(long1, long2, 'long sets that share their first characters stay apart');
  t.ok(long1.length < 60, long1);
});

t.test('a cache made under the flags is kept by a run without them, and used again', async (t) => {
  const dir = t.testdir({ 'b.cjs': 'module.exports = 1; process.stdout.write("bundle ran");\n' });
  const bundle = join(dir, 'b.cjs');
  // A file, not -e: Node's own options (--input-type) would be flags of the cache too.
  const runner = join(dir, 'run.mjs');
  fs.writeFileSync(runner, `const { runCachedBundle } = await import(${JSON.stringify(CACHED_BUNDLE)});\nrunCachedBundle(${JSON.stringify(bundle)});\n`);
  const run = (flags: readonly string[]): string => execFileSync(process.execPath, [...flags, runner], { encoding: 'utf8' });
  const withFlags = cachePath(bundle, QUICK_START_FLAGS);
  const without = cachePath(bundle, []);
  t.equal(run(QUICK_START_FLAGS), 'bundle ran');
  const made = fs.statSync(withFlags);
  t.equal(run([]), 'bundle ran');
  t.ok(fs.existsSync(without), 'the run without the flags made its own cache');
  t.equal(run(QUICK_START_FLAGS), 'bundle ran');
  // A refused cache is written again (a new file through a rename): the same inode means it was used.
  t.equal(fs.statSync(withFlags).ino, made.ino, 'the cache made under the flags was neither replaced nor refused');
});
