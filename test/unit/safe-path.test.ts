// Unit tests for coord/setup/safe-path.ts (the StrictModes rule) on real directories:
// every directory on the way must be root's or ours and writable by nobody else unless
// sticky; the last one ours alone; links are followed and both chains checked.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixFor, unsafePath } from '../../coord/setup/safe-path.js';

const UID = process.getuid?.() ?? 0;

t.test('the rule', async (t) => {
  const dir = t.testdir({ ok: { leaf: {} }, shared: { leaf: {} }, sticky: { leaf: {} }, group: { leaf: {} }, open: {} });
  for (const d of ['ok', 'ok/leaf', 'shared/leaf', 'sticky/leaf', 'group/leaf', 'open']) fs.chmodSync(join(dir, d), 0o700);
  fs.chmodSync(join(dir, 'shared'), 0o777);
  fs.chmodSync(join(dir, 'sticky'), 0o1777);
  fs.chmodSync(join(dir, 'group'), 0o770);
  fs.chmodSync(join(dir, 'group'), 0o775);
  t.equal(unsafePath(join(dir, 'ok', 'leaf'), true, UID), null, 'owner-only all the way: safe');
  t.match(unsafePath(join(dir, 'shared', 'leaf'), true, UID), /shared is writable by every user \(mode 777\)/, 'a world-writable directory on the way');
  t.equal(unsafePath(join(dir, 'sticky', 'leaf'), true, UID), null, 'a sticky one (like /tmp) is safe on the way');
  t.match(unsafePath(join(dir, 'group', 'leaf'), true, UID), /group is writable by its group \(mode 775\)/, 'a group-writable one');
  fs.chmodSync(join(dir, 'open'), 0o1777);
  t.match(unsafePath(join(dir, 'open'), true, UID), /open is writable by every user/, 'the last directory may not be shared, sticky or not');
  t.equal(unsafePath(join(dir, 'open'), false, UID), null, 'but as the directory of a FIFO a sticky one is allowed');
  t.match(unsafePath(join(dir, 'ok', 'leaf'), true, UID + 1), /belongs to uid/, 'a directory of another user');
  fs.symlinkSync(join(dir, 'shared', 'leaf'), join(dir, 'ok', 'link'));
  t.match(unsafePath(join(dir, 'ok', 'link'), true, UID), /shared is writable by every user/, 'a link is followed: where it leads is checked too');
  t.equal(fixFor(`${join(dir, 'group')} is writable by its group (mode 775), so…`, '-l'), `run 'chmod go-w ${join(dir, 'group')}' or choose another -l`, 'the fix names the chmod');
});
