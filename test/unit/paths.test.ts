// protocol/paths.ts: which FIFOs a program uses from its flags and environment, the checks
// of the per-user directory, and the removal of a console's private directory (only its
// own, empty, never through a link).

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkPrivateDir, consoleDirPrefix, defaultDir, ensurePrivateDir, PathError, removeConsoleDir, resolveFifos } from '../../protocol/paths.js';

const UID = process.getuid?.() ?? 0;

t.test('the per-user directory: JMS_DIR, else XDG_RUNTIME_DIR/jms, else ~/.jms', async (t) => {
  t.equal(defaultDir({ JMS_DIR: '/srv/j', XDG_RUNTIME_DIR: '/run/user/1' }), '/srv/j');
  t.equal(defaultDir({ XDG_RUNTIME_DIR: '/run/user/1' }), '/run/user/1/jms');
  t.equal(defaultDir({ JMS_DIR: '', XDG_RUNTIME_DIR: '' }), join(os.homedir(), '.jms'), 'empty values count as unset');
  t.equal(defaultDir({}), join(os.homedir(), '.jms'));
  t.equal(defaultDir({ JMS_DIR: 'rel' }), join(process.cwd(), 'rel'), 'a relative JMS_DIR is taken from the current directory');
});

t.test('jms_in and jms_out: the flag, else JMS_IN/JMS_OUT, else the directory', async (t) => {
  t.same(resolveFifos({}, { JMS_DIR: '/d' }), { jmsIn: '/d/jms_in', jmsOut: '/d/jms_out', dir: '/d', fromFlag: { jmsIn: false, jmsOut: false } });
  t.same(resolveFifos({}, { JMS_DIR: '/d', JMS_IN: '/a/in', JMS_OUT: '/a/out' }), { jmsIn: '/a/in', jmsOut: '/a/out', dir: null, fromFlag: { jmsIn: false, jmsOut: false } },
    'both from the environment: the directory is not needed');
  t.same(resolveFifos({ jmsIn: '/f/in' }, { JMS_DIR: '/d', JMS_IN: '/a/in' }), { jmsIn: '/f/in', jmsOut: '/d/jms_out', dir: '/d', fromFlag: { jmsIn: true, jmsOut: false } },
    'a flag overrides the environment; the other still defaults');
  t.same(resolveFifos({ jmsIn: 'x_in', jmsOut: 'x_out' }, {}).jmsIn, join(process.cwd(), 'x_in'), 'a relative flag keeps its classic meaning');
});

t.test('the directory must be ours alone', async (t) => {
  const dir = t.testdir({ ok: {}, loose: {}, file: 'x' });
  fs.chmodSync(join(dir, 'ok'), 0o700);
  fs.chmodSync(join(dir, 'loose'), 0o750);
  t.doesNotThrow(() => checkPrivateDir(join(dir, 'ok')));
  t.doesNotThrow(() => checkPrivateDir(join(dir, 'loose')), 'group read is fine; write is not');
  fs.chmodSync(join(dir, 'loose'), 0o770);
  t.throws(() => checkPrivateDir(join(dir, 'loose')), new PathError(`${join(dir, 'loose')} is writable by other users (mode 770), so it cannot hold the FIFOs; run 'chmod 700 ${join(dir, 'loose')}'.`));
  t.throws(() => checkPrivateDir(join(dir, 'file')), /is not a directory, so it cannot hold the FIFOs/, 'a file');
  fs.symlinkSync(join(dir, 'ok'), join(dir, 'link'));
  t.throws(() => checkPrivateDir(join(dir, 'link')), /is a symbolic link/, 'a link, even to a good directory');
  t.doesNotThrow(() => checkPrivateDir(join(dir, 'missing')), 'a missing one passes (a console then finds no coordinator)');
  ensurePrivateDir(join(dir, 'new', 'deeper'));
  t.equal(fs.statSync(join(dir, 'new', 'deeper')).mode & 0o777, 0o700, 'ensurePrivateDir creates it 0700');
  t.throws(() => ensurePrivateDir(join(dir, 'file', 'sub')), /^cannot create the directory .*; set JMS_DIR to a directory of your own\.$/);
});

t.test("a console's directory is removed only when it is that console's, empty and real", async (t) => {
  const dir = t.testdir({});
  const make = (name: string): string => {
    fs.mkdirSync(join(dir, name));
    return join(dir, name);
  };
  const mine = make(`${consoleDirPrefix(42)}abc123`);
  removeConsoleDir(join(mine, 'jms_in'), join(mine, 'jms_out'), 42, UID);
  t.notOk(fs.existsSync(mine), 'its own empty directory goes');

  const other = make(`${consoleDirPrefix(43)}abc123`);
  removeConsoleDir(join(other, 'jms_in'), join(other, 'jms_out'), 42, UID);
  t.ok(fs.existsSync(other), "another console's directory stays");

  const full = make(`${consoleDirPrefix(42)}full00`);
  fs.writeFileSync(join(full, 'keep'), 'x');
  removeConsoleDir(join(full, 'jms_in'), join(full, 'jms_out'), 42, UID);
  t.ok(fs.existsSync(join(full, 'keep')), 'a directory that is not empty stays');

  const split = make(`${consoleDirPrefix(42)}split0`);
  removeConsoleDir(join(split, 'jms_in'), join(dir, 'jms_out'), 42, UID);
  t.ok(fs.existsSync(split), 'FIFOs in two directories: nothing is removed');

  const plain = make('plain');
  removeConsoleDir(join(plain, 'jms_in'), join(plain, 'jms_out'), 42, UID);
  t.ok(fs.existsSync(plain), 'a directory without the prefix stays');

  const target = make('target');
  fs.symlinkSync(target, join(dir, `${consoleDirPrefix(42)}link00`));
  removeConsoleDir(join(dir, `${consoleDirPrefix(42)}link00`, 'jms_in'), join(dir, `${consoleDirPrefix(42)}link00`, 'jms_out'), 42, UID);
  t.ok(fs.lstatSync(join(dir, `${consoleDirPrefix(42)}link00`)).isSymbolicLink() && fs.existsSync(target), 'a link is never followed or removed');

  const theirs = make(`${consoleDirPrefix(42)}theirs`);
  removeConsoleDir(join(theirs, 'jms_in'), join(theirs, 'jms_out'), 42, UID + 1);
  t.ok(fs.existsSync(theirs), "a directory not of the coordinator's user stays");
});
