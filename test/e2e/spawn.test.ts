// pool/spawn against real processes: one table of cases run on both spawners (the
// posix_spawn addon and the child_process fallback), each checked in /proc and in the
// output files; then how jobSpawner() chooses and how a missing or bad addon is met.
// The posix_spawn cases skip loudly when the addon is not built or not usable here.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { childProcessSpawner } from '../../pool/spawn/child-process.js';
import { jobSpawner, type JobSpawner } from '../../pool/spawn/index.js';
import { loadAddon, nativeSpawner } from '../../pool/spawn/native.js';
import { attributes } from '../helpers/file-attrs.js';
import { groupMembers, isAlive } from '../helpers/proc.js';
import { children, inheritableFds, mustStart, sleeping, startJob, statusField, unwrapTapSpawnHook } from '../helpers/spawn-job.js';
import { MOUNT, tmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

if (unwrapTapSpawnHook()) t.comment("tap's wrapper of child_process.spawn taken off: it adds variables to every child's environment");

const ADDON = loadAddon();
const NATIVE_SKIP = 'addon' in ADDON ? false : `the native spawn addon cannot be used: ${'missing' in ADDON ? ADDON.missing : ADDON.unusable} (make build builds it)`;

/** Each spawner, made for a given shell; null when it cannot be had here. */
const SPAWNERS: { kind: string; skip: string | false; make: (shell?: string) => JobSpawner }[] = [
  {
    kind: 'posix_spawn',
    skip: NATIVE_SKIP,
    make: (shell) => {
      if (!('addon' in ADDON)) throw new Error('no addon');
      return nativeSpawner(ADDON.addon, shell);
    },
  },
  { kind: 'child_process', skip: false, make: (shell) => childProcessSpawner(shell) },
];

const ENV = { PATH: '/usr/bin:/bin', JMS_SPAWN_TEST: 'a value with spaces = and an equals sign', EMPTY: '' };

type Case = (t: Test, make: (shell?: string) => JobSpawner, dir: string) => Promise<void>;

const CASES: Record<string, Case> = {
  'the job leads its own session and process group, without a terminal': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: 'cat /proc/$$/stat', env: ENV });
    t.same(await job.exited, { code: 0, signal: null });
    const line = job.stdout();
    const [, ppid, pgrp, session, tty] = line.slice(line.lastIndexOf(')') + 2).split(' ');
    t.equal(line.split(' ')[0], String(job.pid), 'the shell is the pid reported');
    t.same({ ppid, pgrp, session, tty }, { ppid: String(process.pid), pgrp: String(job.pid), session: String(job.pid), tty: '0' });
  },

  'stdout and stderr land in the files, stdin is /dev/null': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: 'echo out; echo err >&2; readlink /proc/$$/fd/0; cat; echo done', env: ENV });
    t.same(await job.exited, { code: 0, signal: null });
    t.equal(job.stdout(), 'out\n/dev/null\ndone\n');
    t.equal(job.stderr(), 'err\n');
  },

  'cwd and environment exactly as given, nothing extra': async (t, make, dir) => {
    const cwd = fs.mkdtempSync(join(dir, 'cwd with space-'));
    const job = mustStart(make(), dir, { command: 'pwd -P; cat /proc/$$/environ', cwd, env: ENV });
    t.same(await job.exited, { code: 0, signal: null });
    const [pwd, environ] = job.stdout().split('\n');
    t.equal(pwd, fs.realpathSync(cwd));
    const got = (environ ?? '').split('\0').filter((s) => s !== '');
    t.same(got.sort(), Object.entries(ENV).map(([k, v]) => `${k}=${v}`).sort());
    const none = mustStart(make(), dir, { command: 'cat /proc/$$/environ | wc -c', env: {} });
    await none.exited;
    t.equal(none.stdout().trim(), '0', 'an empty environment stays empty');
    const undef = mustStart(make(), dir, { command: 'cat /proc/$$/environ', env: { A: 'a', B: undefined } });
    await undef.exited;
    t.equal(undef.stdout(), 'A=a\0', 'an undefined value is left out');
  },

  'without a cwd the job runs in the caller\'s': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: 'pwd -P', env: ENV });
    await job.exited;
    t.equal(job.stdout(), `${fs.realpathSync(process.cwd())}\n`);
  },

  'exit codes, a job starting with a dash': async (t, make, dir) => {
    for (const code of [0, 1, 7, 255]) {
      const job = mustStart(make(), dir, { command: `exit ${code}`, env: ENV });
      t.same(await job.exited, { code, signal: null }, `exit ${code}`);
    }
    const dash = mustStart(make(), dir, { command: '-x', env: ENV });
    t.same(await dash.exited, { code: 127, signal: null }, "'-x' is a command (not found), not an option of sh");
  },

  'death by SIGTERM and SIGKILL to the group': async (t, make, dir) => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const job = mustStart(make(), dir, { command: 'sleep 30; echo not killed', env: ENV });
      await waitFor('the sleep to start', () => groupMembers(job.pid).length >= 2);
      process.kill(-job.pid, signal);
      t.same(await job.exited, { code: null, signal }, signal);
      t.equal(job.stdout(), '');
    }
  },

  'what the job left running in its group is killed at its end, before onExit': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: 'sleep 30 & echo $!', env: ENV });
    t.same(await job.exited, { code: 0, signal: null });
    const straggler = Number(job.stdout().trim());
    t.ok(straggler > 0, `the background sleep is ${straggler}`);
    // SIGKILL was sent before onExit; its delivery is the kernel's. Left alone it would
    // sleep 30 s. PID 1 here does not reap, so dead may be a zombie.
    await waitFor('the straggler to die', () => !isAlive(straggler), 10_000);
    t.same(groupMembers(job.pid), [], 'nothing of the group lives on');
  },

  'each environment object as it is, one spawner, shared and alternating': async (t, make, dir) => {
    const spawner = make();
    const other = { PATH: '/usr/bin:/bin', ONLY_HERE: 'b' };
    const envOf = async (env: Record<string, string>): Promise<string[]> => {
      const job = mustStart(spawner, dir, { command: 'cat /proc/$$/environ', env });
      await job.exited;
      return job.stdout().split('\0').filter((s) => s !== '').sort();
    };
    const want = (env: Record<string, string>): string[] => Object.entries(env).map(([k, v]) => `${k}=${v}`).sort();
    for (const env of [ENV, other, ENV, other, { ...ENV, EXTRA: 'one job only' }, ENV]) t.same(await envOf(env), want(env));
  },

  'an unusable shell or cwd is a clear error, and no onExit': async (t, make, dir) => {
    const plain = join(dir, 'not-executable');
    fs.writeFileSync(plain, '#!/bin/sh\necho no\n', { mode: 0o644 });
    const expect: [string | undefined, string | undefined, string][] = [
      [join(dir, 'missing-sh'), undefined, `cannot execute ${join(dir, 'missing-sh')}: it does not exist`],
      [plain, undefined, `cannot execute ${plain}: permission denied`],
      [dir, undefined, `cannot execute ${dir}: it is not a regular file`],
      [undefined, join(dir, 'gone'), `its working directory ${join(dir, 'gone')} does not exist`],
      [undefined, plain, `its working directory ${plain} is not a directory`],
    ];
    for (const [shell, cwd, error] of expect) {
      const got = startJob(make(shell), dir, { command: 'echo started', env: ENV, ...(cwd === undefined ? {} : { cwd }) });
      t.equal(got, error, error);
    }
    const nul = startJob(make(), dir, { command: 'true', env: { A: 'x\0y' } });
    t.match(nul, /^cannot start \/bin\/sh: .*(null|NUL) bytes/, 'a NUL byte in the environment');
    // Let any stray exit event arrive: none may (startJob would have no job to give it to).
    const after = mustStart(make(), dir, { command: 'true', env: ENV });
    await after.exited;
    t.same(children(), [], 'no process left behind, not even a zombie');
  },

  'SIGPIPE is default in the job': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: '(yes; echo "yes ended $?" >&2) | head -1', env: ENV });
    t.same(await job.exited, { code: 0, signal: null });
    t.equal(job.stdout(), 'y\n');
    t.equal(job.stderr(), 'yes ended 141\n', 'yes was killed by SIGPIPE (141), not told EPIPE');
  },

  'no signal blocked or ignored, only 0, 1 and 2 open': async (t, make, dir) => {
    const job = mustStart(make(), dir, { command: 'exec sleep 30', env: ENV });
    await sleeping(job.pid);
    t.equal(statusField(job.pid, 'SigBlk'), '0000000000000000', 'SigBlk');
    // child_process (libuv) resets signals 1-31 only: a real-time signal this process
    // inherited ignored passes on (GNU make's posix_spawn leaves 32 so; the addon resets it).
    const inheritedIgn = make().kind === 'child_process' ? BigInt(`0x${statusField(process.pid, 'SigIgn') ?? '0'}`) & ~0x7fffffffn : 0n;
    if (inheritedIgn !== 0n) t.comment(`this process inherited real-time signals ignored (SigIgn ${inheritedIgn.toString(16)}); child_process passes them on`);
    t.equal(statusField(job.pid, 'SigIgn'), inheritedIgn.toString(16).padStart(16, '0'), 'SigIgn');
    const fds = fs.readdirSync(`/proc/${job.pid}/fd`).map(Number).sort((a, b) => a - b);
    const inherited = inheritableFds();
    if (make().kind === 'child_process' && inherited.length > 0) {
      // child_process closes nothing: what this process itself inherited without
      // FD_CLOEXEC passes on (the addon closes it); nothing it opened may.
      t.comment(`this process inherited fds ${inherited.join(',')} without FD_CLOEXEC; child_process passes them on`);
      t.same(fds.filter((fd) => fd > 2 && !inherited.includes(fd)), [], 'no descriptor of this process beyond those');
    } else {
      t.same(fds, [0, 1, 2]);
    }
    process.kill(-job.pid, 'SIGKILL');
    t.same(await job.exited, { code: null, signal: 'SIGKILL' });
  },

  '200 concurrent short jobs: all reaped, right codes, onExit once each': async (t, make, dir) => {
    const spawner = make();
    const jobs = Array.from({ length: 200 }, (_, i) => mustStart(spawner, dir, { command: `echo ${i}; exit ${i % 100}`, env: ENV }));
    const ends = await Promise.all(jobs.map((j) => j.exited));
    t.same(ends, jobs.map((_, i) => ({ code: i % 100, signal: null })), 'every code');
    t.ok(jobs.every((j, i) => j.stdout() === `${i}\n`), 'every output');
    const last = mustStart(spawner, dir, { command: 'true', env: ENV });
    await last.exited;
    t.same(jobs.filter((j) => j.calls() !== 1).length, 0, 'onExit called exactly once for each');
    t.same(children(), [], 'no zombie left');
  },
};

for (const { kind, skip, make } of SPAWNERS) {
  t.test(kind, { skip }, async (t) => {
    t.equal(make().kind, kind);
    for (const [name, run] of Object.entries(CASES)) {
      await t.test(name, async (t) => run(t, make, t.testdir({})));
    }
  });
}

t.test('both spawners at once: each reaps only its own jobs', { skip: NATIVE_SKIP }, async (t) => {
  const dir = t.testdir({});
  const both = SPAWNERS.map((s) => s.make());
  const jobs = Array.from({ length: 100 }, (_, i) => mustStart(both[i % 2] ?? childProcessSpawner(), dir, { command: `exit ${i}`, env: ENV }));
  t.same(await Promise.all(jobs.map((j) => j.exited)), jobs.map((_, i) => ({ code: i, signal: null })));
  t.same(jobs.filter((j) => j.calls() !== 1).length, 0, 'onExit once each');
  t.same(children(), [], 'no zombie left');
});

t.test('posix_spawn: a signal Node has no name for is reported as the shell would', { skip: NATIVE_SKIP }, async (t) => {
  const job = mustStart(SPAWNERS[0]?.make() ?? childProcessSpawner(), t.testdir({}), { command: 'kill -40 $$', env: ENV });
  // child_process reports code 0 here (Node finds no name and drops the signal).
  t.same(await job.exited, { code: 128 + 40, signal: null });
});

/** A Node program that starts one job whose onExit queues a microtask, then throws. */
const THROWER = `
import fs from 'node:fs';
import { jobSpawner } from ${JSON.stringify(new URL('../../pool/spawn/index.js', import.meta.url).href)};
const spawner = jobSpawner();
process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); setTimeout(() => process.exit(0), 20); });
const fd = fs.openSync('/dev/null', 'w');
spawner.spawn({ command: 'exit 3', env: {}, stdoutFd: fd, stderrFd: fd }, (e) => {
  Promise.resolve().then(() => console.log('microtask ran'));
  throw new Error(spawner.kind + ' onExit threw, code ' + e.code);
});
`;

for (const { kind, skip } of SPAWNERS) {
  t.test(`${kind}: a throw in onExit is an uncaught exception, microtasks still run`, { skip }, async (t) => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', THROWER], { env: { PATH: '/usr/bin:/bin', JMS_SPAWN: kind }, encoding: 'utf8', timeout: 20_000 });
    t.same(out.split('\n').filter((l) => l !== '').sort(), [`uncaught: ${kind} onExit threw, code 3`, 'microtask ran'].sort());
  });
}

t.test('jobSpawner() chooses', async (t) => {
  t.equal(jobSpawner({ JMS_SPAWN: 'child_process' }).kind, 'child_process', 'JMS_SPAWN=child_process forces the fallback');
  t.equal(jobSpawner({}).kind, NATIVE_SKIP === false ? 'posix_spawn' : 'child_process', 'the addon when it can be used');
  t.equal(jobSpawner({ JMS_SPAWN: 'posix_spawn' }).kind, NATIVE_SKIP === false ? 'posix_spawn' : 'child_process');
});

t.test('a missing or broken addon is a reason, not a crash', async (t) => {
  const dir = t.testdir({ 'jms_spawn.node': 'not an ELF file' });
  const missing = loadAddon([join(dir, 'nowhere', 'jms_spawn.node')]);
  t.match(missing, { missing: /jms_spawn\.node is not built \(looked in: .*nowhere/ });
  t.match(loadAddon([]), { missing: /looked in: nowhere/ });
  t.match(loadAddon([join(dir, 'jms_spawn.node')]), { unusable: /jms_spawn\.node does not load: / });
});

t.test('spreadSubdirs: the T attribute where the file system has one, false where not', { skip: NATIVE_SKIP }, async (t) => {
  if (!('addon' in ADDON)) return;
  const { addon } = ADDON;
  const spread = (dir: string): boolean => {
    const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      return addon.spreadSubdirs(fd);
    } finally {
      fs.closeSync(fd);
    }
  };
  const out = t.testdir({ out: {} }) + '/out';
  const before = attributes(out);
  await t.test('on ext2/3/4', { skip: before === null ? `lsattr reads no attributes of ${out} (not ext2/3/4, or no lsattr): the T attribute is not checked here` : false }, async (t) => {
    t.notMatch(before, /T/, 'a new directory has no T');
    t.equal(spread(out), true);
    t.match(attributes(out), /T/, 'lsattr shows T');
    t.equal((before ?? '').replace(/-/g, ''), (attributes(out) ?? '').replace(/[-T]/g, ''), 'its other attributes as they were');
    t.equal(spread(out), true, 'again: it has it');
  });
  await t.test('on tmpfs', { skip: MOUNT === 'ok' ? false : 'mounting a tmpfs needs root: the file system without attributes is not checked here' }, async (t) => {
    t.equal(spread(tmpfs(t, 'size=64k')), false, 'no such attribute: false, nothing thrown');
  });
  t.throws(() => addon.spreadSubdirs('3' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  t.equal(addon.spreadSubdirs(1_000_000), false, 'a descriptor that is not open: false');
});
