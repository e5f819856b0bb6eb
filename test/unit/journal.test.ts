// Unit tests for coord/persist/journal.ts and its reader (protocol/crc-lines.ts): records survive a reopen in order, appends of one
// tick go out as one write and resolve only once on disk, torn tails and corrupt lines
// are skipped and counted (a torn tail is cut off so later appends read cleanly), and
// compaction keeps exactly the snapshot without losing appends made while it drains.

import fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import t, { type Test } from 'tap';
import { systemClock } from '../../coord/core/clock.js';
import { JOURNAL_FILE, Journal } from '../../coord/persist/journal.js';
import { scanRecords } from '../../protocol/crc-lines.js';
import { openOwnDir } from '../../protocol/own-dir.js';
import { replay } from '../../coord/persist/recovery.js';

type Rec = { r: 'new'; id: number; cmd: string; at: number };

function rec(id: number, cmd = `echo ${id}`): Rec {
  return { r: 'new', id, cmd, at: 1_000 + id };
}

/** A line as the journal frames it. */
function frame(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function fileOf(dir: string): string {
  return join(dir, JOURNAL_FILE);
}

function readText(dir: string): string {
  return fs.readFileSync(fileOf(dir), 'utf8');
}

/** A fresh journal directory (not yet created) under the test's own directory. */
function freshDir(t: Test): string {
  return join(t.testdir(), '.jms');
}

/** Opens the journal in `dir` (created, owner-only, if missing), as the coordinator does. */
function openJournal(dir: string): ReturnType<typeof Journal.open> {
  return Journal.open(openOwnDir(dir, { create: true }), systemClock());
}

/** The records of a buffer, with where the good prefix ends (the journal's reader). */
function parseJournal(data: Buffer): { records: unknown[]; skipped: number; goodBytes: number } {
  const { records, skipped, goodBytes } = scanRecords(data);
  return { records, skipped, goodBytes };
}

/** Opens, returns the replay and closes again. */
function reopen(dir: string): { records: unknown[]; skipped: number } {
  const { journal, replay: r } = openJournal(dir);
  journal.close();
  return r;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

t.test('append N records and reopen: the same records, in order', async (t) => {
  const dir = freshDir(t);
  const { journal, replay: first } = openJournal(dir);
  t.strictSame(first, { records: [], skipped: 0 }, 'a new journal is empty');
  t.equal(journal.appended, 0, 'nothing appended yet');

  const all = Array.from({ length: 25 }, (_, i) => rec(i + 1, `cmd ${i + 1} "quoted" é€😀\nline2`));
  for (const [i, r] of all.entries()) {
    await journal.append(r);
    if (i === 9) await tick(); // some in separate ticks
  }
  t.equal(journal.appended, 25, 'appended counts every record');
  journal.close();

  const again = reopen(dir);
  t.strictSame(again.records, all, 'every record comes back, in order');
  t.equal(again.skipped, 0, 'nothing skipped');

  // Once more, appending to a journal that already holds records.
  const { journal: j2, replay: r2 } = openJournal(dir);
  t.equal(j2.appended, 25, 'appended starts at the number of records in the file');
  t.equal(r2.records.length, 25);
  await Promise.all([j2.append(rec(26)), j2.append(rec(27))]);
  j2.close();
  t.strictSame(reopen(dir).records, [...all, rec(26), rec(27)], 'new records follow the old ones');
  t.equal(readText(dir), [...all, rec(26), rec(27)].map(frame).join(''), 'the file is exactly the framed records');
});

t.test('appends in the same tick go out together, each resolving only once on disk', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  t.teardown(() => journal.close());

  // Count the writes and syncs the journal makes (it calls them through the fs object).
  const mfs = fs as unknown as Record<'write' | 'fdatasync', (...args: unknown[]) => void>;
  const realWrite = mfs.write;
  const realSync = mfs.fdatasync;
  let writes = 0;
  let syncs = 0;
  mfs.write = (...args: unknown[]) => {
    writes += 1;
    realWrite.apply(fs, args);
  };
  mfs.fdatasync = (...args: unknown[]) => {
    syncs += 1;
    realSync.apply(fs, args);
  };
  t.teardown(() => {
    mfs.write = realWrite;
    mfs.fdatasync = realSync;
  });

  const batch = [1, 2, 3, 4, 5].map((id) => rec(id));
  const seenInFile: boolean[] = [];
  const promises = batch.map((r) =>
    journal.append(r).then(() => {
      // Read synchronously the moment this record's promise resolves.
      seenInFile.push(readText(dir).includes(frame(r)));
    }),
  );
  t.equal(fs.statSync(fileOf(dir)).size, 0, 'nothing is written synchronously by append');
  await Promise.all(promises);
  t.strictSame(seenInFile, [true, true, true, true, true], 'each record is in the file when its promise resolves');
  t.equal(writes, 1, 'five appends in one tick: one write');
  t.equal(syncs, 1, 'five appends in one tick: one fdatasync');
  t.equal(readText(dir), batch.map(frame).join(''), 'in append order');

  // A batch made while a write is in flight goes out after it, again as one write.
  writes = 0;
  syncs = 0;
  const a = journal.append(rec(6));
  await tick(); // the flush of record 6 has started and cannot have finished
  const later = [7, 8, 9].map((id) => journal.append(rec(id)));
  await Promise.all([a, ...later]);
  t.equal(writes, 2, 'one write for record 6, one for 7-9');
  t.equal(syncs, 2);
  t.equal(readText(dir), [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => frame(rec(id))).join(''));
});

t.test('drain', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  t.teardown(() => journal.close());

  await journal.drain();
  t.pass('drain of an idle journal resolves');

  const resolved: number[] = [];
  for (const id of [1, 2, 3]) void journal.append(rec(id)).then(() => resolved.push(id));
  await journal.drain();
  t.equal(readText(dir), [1, 2, 3].map((id) => frame(rec(id))).join(''), 'everything appended before drain() is on disk');

  // Appends made while a flush is in flight, then drain.
  void journal.append(rec(4));
  await tick();
  void journal.append(rec(5));
  void journal.append(rec(6));
  await journal.drain();
  t.equal(readText(dir), [1, 2, 3, 4, 5, 6].map((id) => frame(rec(id))).join(''), 'including those made during a flush');
  await tick();
  t.strictSame(resolved, [1, 2, 3], 'and their promises resolved');
});

t.test('barrier: what was appended before it is on disk, and a busy queue cannot starve it', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  t.teardown(() => journal.close());

  await journal.barrier();
  t.pass('the barrier of an idle journal resolves');

  void journal.append(rec(1));
  void journal.append(rec(2));
  await journal.barrier();
  t.equal(readText(dir), [1, 2].map((id) => frame(rec(id))).join(''), 'records appended before it are on disk');

  // A producer that never stops appending: drain() would chase it, barrier() must not.
  let id = 3;
  let running = true;
  const produce = (): void => {
    if (!running) return;
    void journal.append(rec(id++));
    setImmediate(produce);
  };
  produce();
  await tick();
  const before = id - 1;
  await journal.barrier();
  const onDisk = readText(dir);
  running = false;
  t.ok(onDisk.includes(frame(rec(before))), `record ${before}, appended before the barrier, is on disk when it resolves`);
  await journal.drain();
});

t.test('a torn tail is skipped, counted and cut off', async (t) => {
  const cases: Record<string, (good: string) => string> = {
    'garbage without a newline': () => '0badf00d {"r":"new","id":',
    'a whole valid frame without its newline': () => frame(rec(99)).slice(0, -1),
    'half a multi-byte character': () => `${frame(rec(99, 'é€😀')).slice(0, 30)}\xff`,
  };
  for (const [name, tail] of Object.entries(cases)) {
    t.test(name, async (t) => {
      const dir = freshDir(t);
      const { journal } = openJournal(dir);
      await Promise.all([1, 2, 3].map((id) => journal.append(rec(id))));
      journal.close();
      const good = readText(dir);
      fs.appendFileSync(fileOf(dir), tail(good));

      const { journal: j2, replay: r } = openJournal(dir);
      t.strictSame(r.records, [rec(1), rec(2), rec(3)], 'the good records are kept');
      t.equal(r.skipped, 1, 'the torn tail is counted');
      t.equal(j2.appended, 3);
      t.equal(fs.statSync(fileOf(dir)).size, Buffer.byteLength(good), 'the file is cut back to the good prefix at open');

      await j2.append(rec(4));
      j2.close();
      t.equal(readText(dir), [1, 2, 3, 4].map((id) => frame(rec(id))).join(''), 'no garbage glued to the new record');
      const again = reopen(dir);
      t.strictSame(again.records, [rec(1), rec(2), rec(3), rec(4)], 'reopen reads the new record');
      t.equal(again.skipped, 0, 'and nothing is skipped any more');
    });
  }
});

t.test('a corrupt middle line is skipped and counted; lines after it are kept', async (t) => {
  const before = frame(rec(1));
  const after = frame(rec(3)) + frame(rec(4));
  const goodJson = JSON.stringify(rec(2));
  const notJson = '{"r":"new","id":2,';
  const cases: Record<string, string> = {
    'bad CRC': `${frame(rec(2)).slice(0, 8)} ${goodJson.replace('"id":2', '"id":7')}\n`,
    'CRC flipped': `${((crc32(goodJson) ^ 1) >>> 0).toString(16).padStart(8, '0')} ${goodJson}\n`,
    'CRC ok but not JSON': `${crc32(notJson).toString(16).padStart(8, '0')} ${notJson}\n`,
    'no CRC prefix': `${goodJson}\n`,
    'short CRC': `${crc32(goodJson).toString(16).slice(0, 6)} ${goodJson}\n`,
    'an empty line': '\n',
    'binary junk': `${Buffer.from([0, 1, 2, 0xff, 0xfe]).toString('latin1')}\n`,
  };
  for (const [name, middle] of Object.entries(cases)) {
    t.test(name, async (t) => {
      const data = Buffer.concat([Buffer.from(before), Buffer.from(middle, 'latin1'), Buffer.from(after)]);
      const parsed = parseJournal(data);
      t.strictSame(parsed.records, [rec(1), rec(3), rec(4)], 'parseJournal keeps the records around it');
      t.equal(parsed.skipped, 1, 'parseJournal counts it');
      t.equal(parsed.goodBytes, data.length, 'a newline-terminated bad line does not end the good prefix');

      const dir = freshDir(t);
      fs.mkdirSync(dir, { mode: 0o700 });
      fs.writeFileSync(fileOf(dir), data, { mode: 0o600 });
      const { journal, replay: r } = openJournal(dir);
      t.strictSame(r.records, [rec(1), rec(3), rec(4)], 'open keeps the records around it');
      t.equal(r.skipped, 1, 'open counts it');
      await journal.append(rec(5));
      journal.close();
      const again = reopen(dir);
      t.strictSame(again.records, [rec(1), rec(3), rec(4), rec(5)], 'an append after it reads back');
      t.equal(again.skipped, 1, 'the corrupt line is still just skipped');
    });
  }
});

t.test('parseJournal', async (t) => {
  t.strictSame(parseJournal(Buffer.alloc(0)), { records: [], skipped: 0, goodBytes: 0 }, 'empty');
  const one = frame(rec(1));
  t.strictSame(parseJournal(Buffer.from(one)), { records: [rec(1)], skipped: 0, goodBytes: Buffer.byteLength(one) });
  t.strictSame(parseJournal(Buffer.from(`${one}abc`)), { records: [rec(1)], skipped: 1, goodBytes: Buffer.byteLength(one) },
    'a torn tail ends the good prefix');
  t.strictSame(parseJournal(Buffer.from('abc')), { records: [], skipped: 1, goodBytes: 0 }, 'only a torn line');
  const multi = frame(rec(2, 'é€😀 ✓'));
  t.strictSame(parseJournal(Buffer.from(one + multi)).records, [rec(1), rec(2, 'é€😀 ✓')], 'multi-byte text');
  t.equal(parseJournal(Buffer.from(one + multi)).goodBytes, Buffer.byteLength(one + multi), 'goodBytes counts bytes');
  const withNewlineInJson = frame({ r: 'new', id: 3, cmd: 'a\nb', at: 1 });
  t.equal(withNewlineInJson.split('\n').length, 2, 'a newline inside a string is escaped in the frame');
  t.strictSame(parseJournal(Buffer.from(withNewlineInJson)).records, [{ r: 'new', id: 3, cmd: 'a\nb', at: 1 }]);
});

t.test('an empty or missing journal file', async (t) => {
  const dir = freshDir(t);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.writeFileSync(fileOf(dir), '', { mode: 0o600 });
  const { journal, replay: r } = openJournal(dir);
  t.strictSame(r, { records: [], skipped: 0 }, 'an empty file: no records, nothing skipped');
  t.equal(journal.appended, 0);
  await journal.append(rec(1));
  journal.close();
  t.strictSame(reopen(dir), { records: [rec(1)], skipped: 0 }, 'and it takes appends');

  const nested = join(t.testdir(), 'a', 'b', '.jms');
  t.strictSame(reopen(nested), { records: [], skipped: 0 }, 'a missing directory and file are created');
  t.ok(fs.existsSync(fileOf(nested)));
});

t.test('file and directory modes', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  await journal.append(rec(1));
  t.equal(fs.statSync(dir).mode & 0o777, 0o700, 'the directory is 0700');
  t.equal(fs.statSync(fileOf(dir)).mode & 0o777, 0o600, 'the journal is 0600');
  await journal.compact(() => [rec(1)]);
  t.equal(fs.statSync(fileOf(dir)).mode & 0o777, 0o600, 'still 0600 after compaction');
  journal.close();
});

t.test('compact replaces the content by exactly the snapshot', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  await Promise.all(Array.from({ length: 10 }, (_, i) => journal.append(rec(i + 1))));
  t.equal(journal.appended, 10);

  const snapshot = [rec(2, 'kept'), rec(5, 'kept'), { r: 'ev', id: 5, ev: { type: 'dispatched', poolId: 1 } }];
  const n = await journal.compact(() => snapshot);
  t.equal(n, 3, 'compact returns the snapshot size');
  t.equal(journal.appended, 3, 'appended is the snapshot size');
  t.equal(readText(dir), snapshot.map(frame).join(''), 'the file is exactly the framed snapshot');
  t.notOk(fs.existsSync(`${fileOf(dir)}.compact`), 'no temporary file is left');

  await journal.append(rec(11));
  t.equal(journal.appended, 4, 'appends after compaction count from the snapshot size');
  journal.close();
  t.strictSame(reopen(dir), { records: [...snapshot, rec(11)], skipped: 0 }, 'appends after compaction go to the new file');

  // An empty snapshot.
  const { journal: j2 } = openJournal(dir);
  t.equal(await j2.compact(() => []), 0);
  t.equal(j2.appended, 0);
  t.equal(readText(dir), '', 'an empty snapshot leaves an empty file');
  await j2.append(rec(12));
  j2.close();
  t.strictSame(reopen(dir), { records: [rec(12)], skipped: 0 });
});

t.test('compact drains first: records still queued are written before the snapshot', async (t) => {
  const dir = freshDir(t);
  const { journal } = openJournal(dir);
  t.teardown(() => journal.close());
  const pending = [1, 2, 3].map((id) => journal.append(rec(id)));
  let fileAtSnapshot = '';
  await journal.compact(() => {
    fileAtSnapshot = readText(dir);
    return [rec(1)];
  });
  await Promise.all(pending);
  t.equal(fileAtSnapshot, [1, 2, 3].map((id) => frame(rec(id))).join(''), 'the queued records were on disk when the snapshot was taken');
  t.equal(readText(dir), frame(rec(1)), 'and then replaced by the snapshot');
});

/**
 * A tiny model of the coordinator: state changes first, then its record is appended
 * (coordinator.apply → record), and compaction snapshots the state.
 */
class Model {
  readonly jobs = new Map<number, Rec>();
  readonly promises: Promise<void>[] = [];
  constructor(readonly journal: Journal) {}
  submit(id: number): void {
    const r = rec(id);
    this.jobs.set(id, r);
    this.promises.push(this.journal.append(r));
  }
  snapshot = (): Rec[] => [...this.jobs.values()];
}

t.test('appends issued while compact() drains are not lost', async (t) => {
  // (a) Records still queued when compact() is called, and one appended right after it.
  t.test('with records queued when compact is called', async (t) => {
    const dir = freshDir(t);
    const { journal } = openJournal(dir);
    const m = new Model(journal);
    for (const id of [1, 2, 3]) m.submit(id);
    const done = journal.compact(m.snapshot);
    m.submit(4); // right after calling compact(), without awaiting it
    await done;
    m.submit(5);
    await Promise.all(m.promises);
    journal.close();

    const r = reopen(dir);
    const rep = replay(r.records);
    t.strictSame([...rep.jobs.keys()], [1, 2, 3, 4, 5], 'every submitted job is on record after reopen');
    t.equal(r.skipped, 0);
    t.equal(rep.rejected, 0, 'no record is duplicated');
  });

  // (b) An idle journal: compact() finds nothing to drain, and the record appended right
  // after it is still in the queue when the snapshot is taken.
  t.test('with an idle journal', async (t) => {
    const dir = freshDir(t);
    const { journal } = openJournal(dir);
    const m = new Model(journal);
    for (const id of [1, 2, 3]) m.submit(id);
    await Promise.all(m.promises);

    let snapshotHad4 = false;
    const done = journal.compact(() => {
      snapshotHad4 = m.jobs.has(4);
      return m.snapshot();
    });
    m.submit(4); // right after calling compact(), without awaiting it
    await done;
    await Promise.all(m.promises);
    journal.close();

    const r = reopen(dir);
    const news4 = r.records.filter((x) => typeof x === 'object' && x !== null && 'id' in x && x.id === 4);
    t.ok(snapshotHad4 || news4.length > 0, 'record 4 is in the snapshot or in the file after it');
    const rep = replay(r.records);
    t.strictSame([...rep.jobs.keys()], [1, 2, 3, 4], 'every submitted job is on record after reopen');
    t.equal(news4.length, 1, 'record 4 is in the compacted journal exactly once');
    t.equal(rep.rejected, 0, 'replay rejects nothing');
  });
});
