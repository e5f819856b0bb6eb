// The coordinator's durable record: an append-only journal of state changes under
// <path>/.jms/, one CRC-framed line per record (protocol/crc-lines.ts). Appends made
// in the same turn of the event loop go out as one write + fdatasync (group commit);
// a record's promise settles only once it is on disk.
//
// A write or sync that fails (a full disk, an I/O error, the state directory moved) is
// cut back to the last good record before anything else is written, so no half line is
// ever followed by another. Then the journal is degraded: a `rollback` record (a
// decision, such as accepting a job) is refused, its promise rejected, and the caller
// undoes it; a `hold` record (a fact, such as a job's end) is kept, in order, and
// written by a retry every second until it succeeds; nothing else is written meanwhile.
// `compact` rewrites the journal as a snapshot (a fresh file, fsync, rename).

import fs from 'node:fs';
import { frameRecord, scanRecordFd } from '../../protocol/crc-lines.js';
import type { OwnDir } from '../../protocol/own-dir.js';
import type { Clock, Timer } from '../core/clock.js';

export const JOURNAL_FILE = 'journal';
/** Compact once the journal holds this many records and twice its last compacted size. */
export const COMPACT_AT = 50_000;
const RETRY_MS = 1000;

export interface ReplayResult {
  records: unknown[];
  /** Lines that were torn or corrupt and so skipped. */
  skipped: number;
}

export type AppendMode = 'hold' | 'rollback';

interface Entry {
  data: string;
  mode: AppendMode | 'barrier';
  settle: (err: Error | null) => void;
}

/** The journal cannot take records now; the message says why and what to do. */
export class JournalError extends Error {}

const { O_WRONLY, O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;

export class Journal {
  private queue: Entry[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private retry: Timer | null = null;
  /** Bytes of good records in the file: a failed write is cut back to here. */
  private size: number;
  /** Why records cannot be written now; null while they can. */
  degraded: string | null = null;
  /** Called when a degraded journal could write again. */
  onRecovered: () => void = () => undefined;
  /** Records in the file (for deciding when to compact). */
  appended = 0;
  private compactedSize = 0;
  private compacting = false;

  private constructor(
    private fd: number,
    private readonly dir: OwnDir,
    private readonly clock: Clock,
    size: number,
  ) {
    this.size = size;
  }

  /**
   * Opens (creating) the journal in `dir` and reads it back, record by record, cutting
   * off a torn tail. Without `onRecord`, records are collected and returned.
   */
  static open(dir: OwnDir, clock: Clock, onRecord?: (record: unknown) => void): { journal: Journal; replay: ReplayResult } {
    const path = dir.at(JOURNAL_FILE);
    const fd = fs.openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    const records: unknown[] = [];
    const rfd = fs.openSync(path, O_RDONLY | O_NOFOLLOW);
    let read;
    try {
      read = scanRecordFd(rfd, onRecord ?? ((r) => void records.push(r)));
    } finally {
      fs.closeSync(rfd);
    }
    // O_APPEND writes go to the end, which is the last good record once this is cut.
    if (read.goodBytes < read.size) fs.ftruncateSync(fd, read.goodBytes);
    const journal = new Journal(fd, dir, clock, read.goodBytes);
    journal.appended = read.count;
    return { journal, replay: { records, skipped: read.skipped } };
  }

  /**
   * Appends a record; resolves once it is written and synced. `rollback`: if it cannot
   * be written, it is dropped and the promise rejects (JournalError); `hold`: it is kept
   * and the promise waits until it is on disk.
   */
  append(record: object, mode: AppendMode = 'hold'): Promise<void> {
    if (this.degraded !== null && mode === 'rollback') return Promise.reject(new JournalError(this.degraded));
    this.appended += 1;
    return this.enqueue(frameRecord(record), mode);
  }

  /** Resolves once everything appended before this call is on disk (or dropped). */
  barrier(): Promise<void> {
    if (this.queue.length === 0) return this.flushing ?? Promise.resolve();
    return this.enqueue('', 'barrier');
  }

  private enqueue(data: string, mode: Entry['mode']): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ data, mode, settle: (err) => (err === null ? resolve() : reject(err)) });
    });
    if (!this.scheduled && this.degraded === null) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return done;
  }

  /** Waits until the queue is empty and nothing is being written (not while degraded). */
  async drain(): Promise<void> {
    while (this.degraded === null && (this.flushing !== null || this.queue.length > 0)) {
      await (this.flushing ?? this.flush());
    }
  }

  private flush(): Promise<void> {
    this.scheduled = false;
    if (this.flushing !== null) return this.flushing;
    if (this.queue.length === 0) return Promise.resolve();
    const batch = this.queue;
    this.queue = [];
    const data = Buffer.from(batch.map((e) => e.data).join(''));
    if (data.length === 0) {
      // Only barriers: whatever came before them has been written or dropped.
      for (const e of batch) e.settle(null);
      return Promise.resolve();
    }
    const moved = this.dir.stillAt() ? null : new Error(`the state directory ${this.dir.path} was moved or replaced`);
    this.flushing = (moved !== null ? Promise.resolve(moved) : writeAndSync(this.fd, data)).then((err) => {
      this.flushing = null;
      if (err === null) this.written(batch, data.length);
      else this.failed(batch, err);
      if (this.queue.length > 0 && this.degraded === null) void this.flush();
    });
    return this.flushing;
  }

  private written(batch: Entry[], bytes: number): void {
    this.size += bytes;
    const wasDegraded = this.degraded !== null;
    this.degraded = null;
    for (const e of batch) e.settle(null);
    if (wasDegraded) this.onRecovered();
  }

  private failed(batch: Entry[], err: Error): void {
    try {
      fs.ftruncateSync(this.fd, this.size);
    } catch {
      // Shrinking needs no space; if even this fails, replay skips the torn line.
    }
    this.degraded = `the coordinator cannot write its records in ${this.dir.path} (${describeIo(err)})`;
    const kept = batch.filter((e) => e.mode !== 'rollback');
    for (const e of batch) if (e.mode === 'rollback') e.settle(new JournalError(this.degraded));
    this.appended -= batch.filter((e) => e.mode === 'rollback').length;
    this.queue = [...kept, ...this.queue];
    this.retry ??= this.clock.after(RETRY_MS, () => {
      this.retry = null;
      // With nothing held, a mark of the recovery is what tries the disk again.
      if (this.queue.every((e) => e.mode === 'barrier')) void this.append({ r: 'mark', at: this.clock.now(), note: 'the journal could be written again' });
      void this.flush();
    });
  }

  /**
   * Replaces the whole journal by the records `snapshot` returns (the current state):
   * written to a fresh file, synced, renamed over the journal, without yielding between
   * taking the snapshot and the swap, so no record appended meanwhile is lost.
   */
  async compact(snapshot: () => readonly object[]): Promise<number> {
    while (this.flushing !== null || this.queue.length > 0) {
      if (this.degraded !== null) throw new JournalError(this.degraded);
      await this.drain();
    }
    const records = snapshot();
    const tmp = `${JOURNAL_FILE}.compact.${process.pid}`;
    const data = records.map(frameRecord).join('');
    const fd = fs.openSync(this.dir.at(tmp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(this.dir.at(tmp), { force: true });
      throw err;
    }
    fs.closeSync(fd);
    fs.renameSync(this.dir.at(tmp), this.dir.at(JOURNAL_FILE));
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.dir.at(JOURNAL_FILE), O_WRONLY | O_APPEND | O_NOFOLLOW);
    this.size = Buffer.byteLength(data);
    this.appended = records.length;
    return records.length;
  }

  /** Compacts in the background once the journal has grown past COMPACT_AT records and twice its last size. */
  compactIfGrown(snapshot: () => readonly object[], log: (line: string) => void): void {
    if (this.compacting || this.degraded !== null || this.appended <= Math.max(COMPACT_AT, 2 * this.compactedSize)) return;
    this.compacting = true;
    this.compact(snapshot).then(
      (n) => {
        this.compactedSize = n;
        log(`journal compacted to ${n} records`);
      },
      (err: unknown) => log(`journal compaction failed (the journal is intact): ${err instanceof Error ? err.message : String(err)}`),
    ).finally(() => (this.compacting = false));
  }

  /** Last resort on the way out (process 'exit'): writes what is still queued. */
  flushSync(): void {
    if (this.queue.length === 0) return;
    try {
      fs.writeSync(this.fd, this.queue.map((e) => e.data).join(''));
      fs.fdatasyncSync(this.fd);
    } catch {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // Exiting anyway; replay treats a torn tail as absent.
      }
    }
    this.queue = [];
  }

  close(): void {
    this.retry?.cancel();
    fs.closeSync(this.fd);
  }
}

function describeIo(err: Error): string {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : null;
  if (code === 'ENOSPC') return 'the disk is full: ENOSPC';
  if (code === 'EDQUOT') return 'the disk quota is used up: EDQUOT';
  return err.message;
}

function writeAndSync(fd: number, buf: Buffer): Promise<Error | null> {
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
