// A second local user for security tests: created with useradd for the test (root
// only) and removed at its end; commands run as that user with runuser. Where the
// machine cannot do it, `otherUser` says why, for a loud skip.

import { execFileSync, spawnSync } from 'node:child_process';
import type { Test } from 'tap';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs argv as that user; never throws. */
  run(argv: readonly string[], opts?: { input?: string; cwd?: string }): { code: number | null; stdout: string; stderr: string };
}

const RUNUSER = spawnSync('sh', ['-c', 'command -v runuser'], { encoding: 'utf8' }).stdout.trim() || '/usr/sbin/runuser';

/** Why no second user can be made here, or null. */
export function otherUserUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'creating a second user needs root (useradd)';
  for (const tool of ['useradd', 'userdel', 'runuser']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}

/** Creates the user (and its own group) for this test; removed in teardown. */
export function otherUser(t: Test): OtherUser {
  const name = `jmst${process.pid % 100000}${Math.floor(Math.random() * 1000)}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/bin/sh', name], { stdio: 'pipe' });
  t.teardown(() => {
    spawnSync('pkill', ['-KILL', '-u', name]);
    spawnSync('userdel', [name]);
  });
  const uid = Number(execFileSync('id', ['-u', name]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', name]).toString().trim());
  return {
    name, uid, gid,
    run(argv, opts = {}) {
      // tap adds NODE_OPTIONS to every child it sees spawned; her Node must not load tap's hooks.
      const r = spawnSync(RUNUSER, ['-u', name, '--', 'env', '-u', 'NODE_OPTIONS', ...argv], {
        input: opts.input ?? '', cwd: opts.cwd ?? '/', encoding: 'utf8', timeout: 30_000,
        env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C' },
      });
      return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
    },
  };
}
