// Records on disk, one per line: `<crc32 hex> <json>\n`. The coordinator's journal and
// each pool's ledger use this framing. A line whose checksum or JSON is bad, or a torn
// last line (no newline), is skipped and counted; `goodBytes` says where the last good
// line ends, so a writer can cut the file back there before appending again.

import fs from 'node:fs';
import { crc32 } from './crc32.js';

export function frameRecord(record: object): string {
  const json = JSON.stringify(record);
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The record of one line (without its newline), or undefined when it is damaged. */
export function parseRecordLine(line: string): unknown {
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

export interface ScanResult {
  count: number;
  /** Lines that were torn or damaged, and so skipped. */
  skipped: number;
  /** Bytes up to the end of the last whole line (good or skipped). */
  goodBytes: number;
  size: number;
}

/** Turns chunks of a record file into records, carrying a partial line between chunks. */
export class RecordScanner {
  private carry: Buffer = Buffer.alloc(0);
  private readonly result: ScanResult = { count: 0, skipped: 0, goodBytes: 0, size: 0 };

  constructor(private readonly onRecord: (record: unknown) => void) {}

  push(chunk: Buffer): void {
    this.result.size += chunk.length;
    const data = this.carry.length === 0 ? chunk : Buffer.concat([this.carry, chunk]);
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      const record = parseRecordLine(data.subarray(start, nl).toString('utf8'));
      if (record === undefined) this.result.skipped += 1;
      else {
        this.result.count += 1;
        this.onRecord(record);
      }
      this.result.goodBytes += nl + 1 - start;
      start = nl + 1;
    }
    this.carry = Buffer.from(data.subarray(start));
  }

  end(): ScanResult {
    if (this.carry.length > 0) this.result.skipped += 1; // torn tail: no newline
    this.carry = Buffer.alloc(0);
    return { ...this.result };
  }
}

const READ_CHUNK = 1024 * 1024;

/** Reads a record file from an open fd, a chunk at a time, never holding it whole. */
export function scanRecordFd(fd: number, onRecord: (record: unknown) => void, from = 0): ScanResult {
  const scanner = new RecordScanner(onRecord);
  const chunk = Buffer.alloc(READ_CHUNK);
  for (let pos = from; ;) {
    const n = fs.readSync(fd, chunk, 0, READ_CHUNK, pos);
    if (n === 0) break;
    pos += n;
    scanner.push(chunk.subarray(0, n));
  }
  return scanner.end();
}

/** All records of a buffer (tests, small files). */
export function scanRecords(data: Buffer): { records: unknown[] } & ScanResult {
  const records: unknown[] = [];
  const scanner = new RecordScanner((r) => records.push(r));
  scanner.push(data);
  return { records, ...scanner.end() };
}
