// The coordinator's durable record: an append-only journal of state changes under
// <path>/.jms/, one line per record, `<crc32 hex> <json>\n`. Appends made in the same
// turn of the event loop go out as one write + fdatasync (group commit); a record's
// promise settles only once it is on disk, and the coordinator acknowledges after that.
//
// Replay reads every line; a torn last line (a crash mid-write) or a line whose
// checksum or JSON is bad is skipped and counted, never fatal, and the file is cut
// back to its last good record before new appends. `compact` rewrites the journal
// as a snapshot (temp file, fsync, rename), so start-up stays fast as records grow.

import fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

export const JOURNAL_FILE = 'journal';
/** Compact once the journal holds this many records and twice its last compacted size. */
export const COMPACT_AT = 50_000;

export interface ReplayResult {
  records: unknown[];
  /** Lines that were torn or corrupt and so skipped. */
  skipped: number;
}

function frame(record: object): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** Parses a journal's bytes; returns the records and where the good prefix ends. */
export function parseJournal(data: Buffer): ReplayResult & { goodBytes: number } {
  const records: unknown[] = [];
  let skipped = 0;
  let goodBytes = 0;
  let start = 0;
  for (;;) {
    const nl = data.indexOf(0x0a, start);
    if (nl === -1) {
      if (start < data.length) skipped += 1; // torn tail: no newline
      break;
    }
    const record = parseLine(data.subarray(start, nl).toString('utf8'));
    if (record === undefined) skipped += 1;
    else records.push(record);
    start = nl + 1;
    goodBytes = start;
  }
  return { records, skipped, goodBytes };
}

function parseLine(line: string): unknown {
  const m = /^([0-9a-f]{8}) (.*)$/s.exec(line);
  if (m === null) return undefined;
  const json = m[2] ?? '';
  if (crc32(json) !== Number.parseInt(m[1] ?? '', 16)) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

const READ_CHUNK = 1024 * 1024;

/** Reads a journal file in chunks, handing each good record to `onRecord`. */
function readJournal(path: string, onRecord: (record: unknown) => void): { count: number; skipped: number; goodBytes: number; size: number } {
  const fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  let count = 0;
  let skipped = 0;
  let size = 0;
  let goodBytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  try {
    const chunk = Buffer.alloc(READ_CHUNK);
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, READ_CHUNK, null);
      if (n === 0) break;
      size += n;
      const data = carry.length === 0 ? chunk.subarray(0, n) : Buffer.concat([carry, chunk.subarray(0, n)]);
      let start = 0;
      for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
        const record = parseLine(data.subarray(start, nl).toString('utf8'));
        if (record === undefined) skipped += 1;
        else {
          count += 1;
          onRecord(record);
        }
        goodBytes += nl + 1 - start;
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    fs.closeSync(fd);
  }
  if (carry.length > 0) skipped += 1; // torn tail: no newline
  return { count, skipped, goodBytes, size };
}

export class Journal {
  private queue: string[] = [];
  private waiters: Array<(err: Error | null) => void> = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  /** Records in the file (for deciding when to compact). */
  appended = 0;
  private compactedSize = 0;
  private compacting = false;

  private constructor(
    private fd: number,
    private readonly dir: string,
  ) {}

  /**
   * Opens (creating) the journal in `dir` and reads it back, cutting off a torn tail.
   * With `onRecord`, records are handed over one by one as the file is read in chunks
   * (a long journal is never held whole); without, they are collected and returned.
   */
  static open(dir: string, onRecord?: (record: unknown) => void): { journal: Journal; replay: ReplayResult } {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, JOURNAL_FILE);
    const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
    const fd = fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    const records: unknown[] = [];
    const read = readJournal(path, onRecord ?? ((r) => void records.push(r)));
    // O_APPEND writes go to the end, which is the last good record once this is cut.
    if (read.goodBytes < read.size) fs.ftruncateSync(fd, read.goodBytes);
    const journal = new Journal(fd, dir);
    journal.appended = read.count;
    return { journal, replay: { records, skipped: read.skipped } };
  }

  /** Appends a record; resolves once it is written and synced to disk. */
  append(record: object): Promise<void> {
    this.queue.push(frame(record));
    this.appended += 1;
    const done = new Promise<void>((resolve, reject) => this.waiters.push((err) => (err ? reject(err) : resolve())));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  /**
   * Replaces the whole journal by the records `snapshot` returns (the current state).
   * After the queue is drained, the snapshot is taken, written, synced and swapped in
   * without yielding, so no record appended meanwhile can fall between old and new.
   */
  async compact(snapshot: () => readonly object[]): Promise<number> {
    // Re-checked after every await: the snapshot is taken in the same turn that saw the
    // queue empty, so no record can be both in the snapshot and still queued.
    while (this.flushing !== null || this.queue.length > 0) await this.drain();
    const records = snapshot();
    const path = join(this.dir, JOURNAL_FILE);
    const tmp = `${path}.compact`;
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      fs.writeSync(fd, records.map(frame).join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
    fs.closeSync(this.fd);
    this.fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW);
    this.appended = records.length;
    return records.length;
  }

  /**
   * Compacts in the background once the journal has grown past COMPACT_AT records and
   * twice its last compacted size; `snapshot` gives the records of the current state.
   */
  compactIfGrown(snapshot: () => readonly object[], log: (line: string) => void): void {
    if (this.compacting || this.appended <= Math.max(COMPACT_AT, 2 * this.compactedSize)) return;
    this.compacting = true;
    this.compact(snapshot).then(
      (n) => {
        this.compactedSize = n;
        log(`journal compacted to ${n} records`);
      },
      (err: unknown) => log(`journal compaction failed (the journal is intact): ${err instanceof Error ? err.message : String(err)}`),
    ).finally(() => (this.compacting = false));
  }

  /**
   * Resolves once everything appended before this call is on disk. Unlike drain(), it
   * does not wait for records appended later, so it cannot be starved by a busy queue.
   */
  barrier(): Promise<void> {
    if (this.queue.length > 0) {
      return new Promise((resolve, reject) => this.waiters.push((err) => (err ? reject(err) : resolve())));
    }
    return this.flushing ?? Promise.resolve();
  }

  /** Waits until the queue is empty and nothing is being written. */
  async drain(): Promise<void> {
    while (this.flushing !== null || this.queue.length > 0) {
      await (this.flushing ?? this.flush());
    }
  }

  /** Last resort on the way out (process 'exit'): writes what is still queued. */
  flushSync(): void {
    if (this.queue.length === 0) return;
    try {
      fs.writeSync(this.fd, this.queue.join(''));
      fs.fdatasyncSync(this.fd);
    } catch {
      // Exiting anyway; replay treats a torn tail as absent.
    }
    this.queue = [];
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing !== null) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    const data = this.queue.join('');
    const waiters = this.waiters;
    this.queue = [];
    this.waiters = [];
    this.flushing = writeAndSync(this.fd, data).then(
      (err) => {
        this.flushing = null;
        for (const w of waiters) w(err);
        if (this.queue.length > 0) void this.flush();
      },
    );
    return this.flushing;
  }
}

function writeAndSync(fd: number, data: string): Promise<Error | null> {
  const buf = Buffer.from(data);
  return new Promise((resolve) => {
    const writeFrom = (offset: number): void => {
      fs.write(fd, buf, offset, buf.length - offset, null, (err, n) => {
        if (err) return resolve(err);
        if (offset + n < buf.length) return writeFrom(offset + n);
        fs.fdatasync(fd, (syncErr) => resolve(syncErr));
      });
    };
    writeFrom(0);
  });
}
