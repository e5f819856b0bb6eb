// The one wire format of JMS: one JSON object per line, UTF-8, `\n`-terminated.
// The decoder works on bytes, so a frame split anywhere (even inside a multi-byte
// character) is reassembled before it is decoded, and a bad frame comes back as a
// value, never as a throw.

import { TextDecoder } from 'node:util';
import type { BatchItem } from './messages.js';

export type Decoded =
  | { ok: true; value: unknown }
  | { ok: false; error: string };

const NEWLINE = 0x0a;
export const EMPTY_FRAME = 'empty frame';

export function encode(message: object): string {
  return `${JSON.stringify(message)}\n`;
}

/**
 * One item of a batch answer as a frame. Job items have a fixed shape of numbers,
 * booleans and one of four status words, so nothing needs escaping: they are written
 * directly, which makes a 100,000-job status-all several times cheaper to produce.
 */
export function encodeItem(item: BatchItem, id: number): string {
  if (item.kind !== 'job') return encode({ ...item, id });
  const j = item.job;
  const outcome = j.outcome === null ? 'null' : `"${j.outcome}"`;
  return `{"kind":"job","id":${id},"job":{"jobId":${j.jobId},"status":"${j.status}","runningForSec":${j.runningForSec},"outcome":${outcome}}}\n`;
}

export class LineDecoder {
  private readonly parts: Buffer[] = [];
  private carried = 0;
  // After an oversized frame we drop bytes until the next newline.
  private skipping = false;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds a chunk; returns every frame it completes, in order. */
  push(chunk: Buffer): Decoded[] {
    const out: Decoded[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) break;
      this.take(chunk.subarray(start, nl), out, true);
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start), out, false);
    return out;
  }

  /** Bytes held for an unfinished frame. */
  get pending(): number {
    return this.carried;
  }

  private take(piece: Buffer, out: Decoded[], complete: boolean): void {
    if (this.skipping) {
      if (complete) this.skipping = false;
      return;
    }
    if (this.carried + piece.length > this.maxFrameBytes) {
      this.reset();
      out.push({ ok: false, error: `frame larger than ${this.maxFrameBytes} bytes` });
      this.skipping = !complete;
      return;
    }
    if (!complete) {
      this.parts.push(Buffer.from(piece));
      this.carried += piece.length;
      return;
    }
    const line = this.parts.length === 0 ? piece : Buffer.concat([...this.parts, piece]);
    this.reset();
    out.push(decodeLine(line, this.utf8));
  }

  private reset(): void {
    this.parts.length = 0;
    this.carried = 0;
  }
}

function decodeLine(line: Buffer, utf8: TextDecoder): Decoded {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return { ok: false, error: 'frame is not valid UTF-8' };
  }
  if (text.trim() === '') return { ok: false, error: EMPTY_FRAME };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: 'frame is not valid JSON' };
  }
}
