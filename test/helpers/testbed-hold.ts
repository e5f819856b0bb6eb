// Sharing the test bed between suites that run at the same time (tap runs two files at once):
// a test holds the boxes it uses, shared, or exclusive when it disturbs them (link down,
// sshd stopped, reboot, a check that nothing is left on them), so that it never pulls a host
// from under another suite's test. The locks are flock(1) locks on files beside the state
// file, held by a small child process until the test's teardown (or until this process dies).

import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import type { Test } from 'tap';
import type { Box } from './testbed-state.js';
import { STATE_PATH } from './testbed-state.js';

const WAIT_MS = 180_000;

function holdOne(box: Box, mode: 'shared' | 'exclusive'): Promise<() => Promise<void>> {
  const file = join(dirname(STATE_PATH), `hold-${box.name}.lock`);
  const child = spawn('flock', [mode === 'shared' ? '-s' : '-x', '-w', String(WAIT_MS / 1000), file, '-c',
    'echo held; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const ended = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const release = async (): Promise<void> => {
    child.stdin.end();
    await ended;
  };
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout.setEncoding('utf8').on('data', (s: string) => { if (s.includes('held')) resolve(release); });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`could not hold ${box.name} (${mode}) within ${WAIT_MS} ms: flock exited ${code} ${err}`)));
  });
}

/**
 * Holds boxes for the rest of the test `t` (released at its teardown): `shared` ones that the
 * test only uses, `exclusive` ones that it disturbs. Call it once per test, with every box the
 * test needs: the locks are taken in name order, so two tests never wait for each other in a
 * circle.
 */
export async function holdBoxes(t: Test, shared: readonly Box[], exclusive: readonly Box[] = []): Promise<void> {
  const want = new Map<string, { box: Box; mode: 'shared' | 'exclusive' }>();
  for (const box of shared) want.set(box.name, { box, mode: 'shared' });
  for (const box of exclusive) want.set(box.name, { box, mode: 'exclusive' });
  const releases: Array<() => Promise<void>> = [];
  t.teardown(async () => {
    for (const r of releases.reverse()) await r();
  });
  for (const name of [...want.keys()].sort()) {
    const w = want.get(name);
    if (w !== undefined) releases.push(await holdOne(w.box, w.mode));
  }
}
