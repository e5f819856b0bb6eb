// The fallback spawner: child_process.spawn exactly as pools have always started jobs
// (detached, so a new session; stdin ignored; the two descriptors as stdout and stderr).

import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { whyNotStarted } from './failure.js';
import { killGroup } from './group.js';
import type { JobSpawner } from './types.js';

export function childProcessSpawner(shell = '/bin/sh'): JobSpawner {
  // Loaded only when it is the spawner (4 ms of a pool's start-up otherwise).
  const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  return {
    kind: 'child_process',
    spawn(spec, onExit) {
      let child: ChildProcess;
      try {
        // '--': a job that starts with '-' is the job, not an option of sh.
        child = spawn(shell, ['-c', '--', spec.command], {
          detached: true,
          stdio: ['ignore', spec.stdoutFd, spec.stderrFd],
          env: spec.env,
          ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
        });
      } catch (err) {
        return { error: whyNotStarted(shell, spec.cwd, err) };
      }
      const pid = child.pid;
      if (pid === undefined) {
        // Node reports ENOENT, EACCES, EAGAIN, EMFILE and ENFILE on the next tick, the
        // errno only in that event: the reason is diagnosed now, the event swallowed.
        child.once('error', () => undefined);
        return { error: whyNotStarted(shell, spec.cwd, new Error('the system did not start it (out of processes, memory or descriptors?)')) };
      }
      child.once('exit', (code, signal) => {
        killGroup(pid, 'SIGKILL');
        onExit({ code, signal });
      });
      return { pid };
    },
  };
}
