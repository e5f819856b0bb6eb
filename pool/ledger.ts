// The pool's side of its ledger (protocol/ledger.ts): one append-only file in the
// ledger directory, created fresh (O_EXCL, never through a link) and written with one
// write(2) per record before the coordinator is told, so a record survives any crash
// of the coordinator; an fdatasync follows in the background for power loss. A write
// that fails (a full disk) is cut back to the last good record, never left half.

import fs from 'node:fs';
import { frameRecord } from '../protocol/crc-lines.js';
import { LEDGER_SUFFIX, type LedgerRecord } from '../protocol/ledger.js';
import { openOwnDir, type OwnDir } from '../protocol/own-dir.js';

const { O_CREAT, O_EXCL, O_WRONLY, O_APPEND, O_NOFOLLOW } = fs.constants;

export class Ledger {
  private size = 0;
  private syncing = false;
  private dirty = false;

  private constructor(
    readonly dir: OwnDir,
    private readonly name: string,
    private readonly fd: number,
  ) {}

  /** Creates `<ledgerDir>/<key>.ledger` (making the directory, owner-only, if missing). */
  static create(ledgerDir: string, key: string): Ledger {
    const dir = openOwnDir(ledgerDir, { create: true });
    const name = `${key}${LEDGER_SUFFIX}`;
    const fd = fs.openSync(dir.at(name), O_CREAT | O_EXCL | O_WRONLY | O_APPEND | O_NOFOLLOW, 0o600);
    return new Ledger(dir, name, fd);
  }

  /** Appends one record; throws (having cut the file back) when it cannot be written whole. */
  write(record: LedgerRecord): void {
    const data = Buffer.from(frameRecord(record));
    try {
      const n = fs.writeSync(this.fd, data);
      if (n !== data.length) throw new Error(`short write (${n} of ${data.length} bytes)`);
    } catch (err) {
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        // Nothing better to do: a torn line is skipped when the ledger is read.
      }
      throw err;
    }
    this.size += data.length;
    this.dirty = true;
    if (!this.syncing) this.sync();
  }

  private sync(): void {
    this.syncing = true;
    this.dirty = false;
    fs.fdatasync(this.fd, () => {
      this.syncing = false;
      if (this.dirty) this.sync();
    });
  }

  /** The coordinator has everything: the ledger goes. */
  remove(): void {
    try {
      fs.unlinkSync(this.dir.at(this.name));
    } catch {
      // Already gone.
    }
  }
}
