// pool/spread-dirs.ts on real file systems: ext4 images with and without a journal, and a
// tmpfs; then a real coordinator whose output path is such an ext4, checked with lsattr.
// Skips loudly where this machine cannot mount them (root, mkfs.ext4, loop devices).

import t, { type Test } from 'tap';
import { openOwnDir, type OwnDir } from '../../protocol/own-dir.js';
import { loadAddon } from '../../pool/spawn/native.js';
import { ext4Journal, spreadJobDirs } from '../../pool/spread-dirs.js';
import { startCoord, submitted } from '../helpers/coord.js';
import { EXT4_UNAVAILABLE, ext4, type Ext4 } from '../helpers/ext4.js';
import { attributes } from '../helpers/file-attrs.js';
import { MOUNT, tmpfs } from '../helpers/tmpfs.js';
import { waitFor } from '../helpers/wait.js';

const ADDON = loadAddon();
const NO_ADDON = 'addon' in ADDON ? null : `the native spawn addon cannot be used (${'missing' in ADDON ? ADDON.missing : ADDON.unusable})`;
const SKIP = EXT4_UNAVAILABLE ?? NO_ADDON ?? false;

function withDir<T>(path: string, fn: (dir: OwnDir) => T): T {
  const dir = openOwnDir(path);
  try {
    return fn(dir);
  } finally {
    dir.close();
  }
}

const journalOf = (dir: OwnDir): 'none' | 'journal' | null => ext4Journal(dir.id.dev);

t.test('ext4 without a journal: the output directory is given T', { skip: SKIP }, async (t) => {
  const out = ext4(t, { journal: false }).dir;
  t.equal(withDir(out, journalOf), 'none');
  t.notMatch(attributes(out), /T/);
  t.equal(withDir(out, spreadJobDirs), true);
  t.match(attributes(out), /T/);
});

t.test('ext4 with a journal: left as it is', { skip: SKIP }, async (t) => {
  const out = ext4(t, { journal: true }).dir;
  t.equal(withDir(out, journalOf), 'journal');
  t.equal(withDir(out, spreadJobDirs), false);
  t.notMatch(attributes(out), /T/);
});

t.test('tmpfs: not ext4, nothing done', { skip: MOUNT === 'ok' ? false : 'mounting a tmpfs needs root' }, async (t) => {
  const dir = tmpfs(t, 'size=64k');
  t.equal(withDir(dir, journalOf), null);
  t.equal(withDir(dir, spreadJobDirs), false);
});

async function poolRunsOn(t: Test, journal: boolean): Promise<string | null> {
  let disk: Ext4 | undefined;
  const c = await startCoord(t, { prepare: (out) => void (disk = ext4(t, { journal, at: out })) });
  const before = attributes(c.out);
  t.notMatch(before, /T/, 'not before a pool started');
  const job = submitted(await c.ok('submit echo hi'));
  await waitFor(`job ${job.jobId} to finish`, async () => (await c.ok(`status ${job.jobId}`)) === `JobID ${job.jobId} Status: Finished`);
  t.match(await c.ok('shutdown'), /^Served 1 jobs, 0 were still in progress$/);
  t.same(await c.exited(), { code: 0, signal: null });
  const after = attributes(c.out);
  disk?.unmount();
  return after;
}

t.test('a pool whose output path is ext4 without a journal sets T there; with one it does not', { skip: SKIP }, async (t) => {
  t.match(await poolRunsOn(t, false), /T/, 'no journal: T');
  t.notMatch(await poolRunsOn(t, true), /T/, 'a journal: no T');
});
