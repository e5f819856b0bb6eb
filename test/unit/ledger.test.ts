// Unit tests for a pool's ledger: pool/ledger.ts writes it (fresh file, never through
// a link, owner-only), protocol/ledger.ts folds it back into per-job traces, and a
// torn or damaged line is skipped, never fatal.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { scanRecords } from '../../protocol/crc-lines.js';
import { LedgerReader, parseLedgerRecord } from '../../protocol/ledger.js';
import { Ledger } from '../../pool/ledger.js';

function read(file: string): LedgerReader {
  const reader = new LedgerReader();
  for (const r of scanRecords(fs.readFileSync(file)).records) reader.add(r);
  return reader;
}

t.test('written, then read back into traces', async (t) => {
  const dir = join(t.testdir(), 'pools');
  const ledger = Ledger.create(dir, 'k-1');
  const file = join(dir, 'k-1.ledger');
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'the directory is made owner-only');
  t.equal(fs.statSync(file).mode & 0o777, 0o600, 'the ledger is owner-only');
  ledger.write({ r: 'pool', key: 'k-1', pid: 42, at: 1 });
  ledger.write({ r: 'starting', job: 7, at: 2 });
  ledger.write({ r: 'started', job: 7, pid: 99, dir: '/o/jms_u_7_99_x', at: 3 });
  ledger.write({ r: 'starting', job: 8, at: 4 });
  ledger.write({ r: 'start-failed', job: 8, reason: 'no cwd', at: 5 });
  ledger.write({ r: 'starting', job: 9, at: 6 });
  ledger.write({ r: 'orphaned', at: 7 });
  ledger.write({ r: 'expired', job: 7, at: 8 });
  ledger.write({ r: 'exited', job: 7, code: null, signal: 'SIGTERM', at: 9 });
  const v = read(file).view;
  t.match(v, { key: 'k-1', pid: 42, orphaned: true, rejected: 0 });
  t.same(v.jobs.get(7), { jobId: 7, starting: true, started: { pid: 99, dir: '/o/jms_u_7_99_x', at: 3 }, end: { kind: 'exited', code: null, signal: 'SIGTERM', at: 9 }, expiredAt: 8 });
  t.same(v.jobs.get(8), { jobId: 8, starting: true, started: null, end: { kind: 'start-failed', reason: 'no cwd', at: 5 }, expiredAt: null });
  t.same(v.jobs.get(9), { jobId: 9, starting: true, started: null, end: null, expiredAt: null }, 'a job caught mid-start');
  t.throws(() => Ledger.create(dir, 'k-1'), { code: 'EEXIST' }, 'a second ledger of the same key is refused, never reused');
  ledger.remove();
  t.notOk(fs.existsSync(file), 'remove() deletes it');
});

t.test('a ledger is never created through a planted link', async (t) => {
  const dir = t.testdir({ pools: {}, target: '' });
  fs.chmodSync(join(dir, 'pools'), 0o700);
  fs.symlinkSync(join(dir, 'target'), join(dir, 'pools', 'k-2.ledger'));
  t.throws(() => Ledger.create(join(dir, 'pools'), 'k-2'), { code: 'EEXIST' });
  t.equal(fs.readFileSync(join(dir, 'target'), 'utf8'), '', 'the link target is untouched');
  fs.chmodSync(join(dir, 'pools'), 0o777);
  t.throws(() => Ledger.create(join(dir, 'pools'), 'k-3'), /writable by other users/, 'a directory others may write is refused');
});

t.test('damaged lines and unknown records are counted, the rest kept', async (t) => {
  const dir = join(t.testdir(), 'pools');
  const ledger = Ledger.create(dir, 'k-4');
  ledger.write({ r: 'starting', job: 1, at: 1 });
  const file = join(dir, 'k-4.ledger');
  fs.appendFileSync(file, '00000000 {"r":"exited"}\n{"no":"crc"}\n');
  ledger.write({ r: 'exited', job: 1, code: 0, signal: null, at: 2 });
  fs.appendFileSync(file, '1234abcd {"r":"start');
  const reader = read(file);
  t.same(reader.view.jobs.get(1)?.end, { kind: 'exited', code: 0, signal: null, at: 2 }, 'the good records around the damage are read');
  t.match(parseLedgerRecord({ r: 'exited', job: 0, at: 1 }), { invalid: String }, 'job 0 is not a record');
  t.match(parseLedgerRecord({ r: 'lunch', at: 1 }), { invalid: String }, 'an unknown kind is not a record');
  reader.add({ r: 'lunch' });
  t.equal(reader.view.rejected, 1, 'and is counted');
});
