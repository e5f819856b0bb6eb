// Reading a job's output the way `tail` does: in bounded memory and in time
// proportional to what is shown, whatever the file holds (one 2 GB line, binary bytes).
// `tailStart` finds where the last N lines begin by reading backwards from the end in
// chunks; `copyRange` hands a byte range on chunk by chunk, waiting for the reader
// (backpressure) and stopping at once when aborted. Only node: built-ins, so the pool
// (on remote hosts) and the coordinator can serve logs with the same code.

import type { FileHandle } from 'node:fs/promises';

/** How much `tailStart` reads at a time, backwards. */
export const SCAN_BYTES = 64 * 1024;
/** How much `copyRange` hands on at a time. */
export const COPY_BYTES = 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * The offset at which the last `lines` lines of the file's first `size` bytes begin
 * (0 when it has no more than that). A last line without a newline counts as a line;
 * the newline that ends the file does not start another.
 */
export async function tailStart(file: FileHandle, size: number, lines: number, signal?: AbortSignal): Promise<number> {
  if (lines <= 0) return size;
  let left = lines;
  let end = size;
  const buf = Buffer.allocUnsafe(SCAN_BYTES);
  while (end > 0) {
    signal?.throwIfAborted();
    const start = Math.max(0, end - SCAN_BYTES);
    const { bytesRead } = await file.read(buf, 0, end - start, start);
    const chunk = buf.subarray(0, bytesRead);
    for (let i = chunk.length - 1; i >= 0; i -= 1) {
      const nl = chunk.lastIndexOf(NEWLINE, i);
      if (nl < 0) break;
      i = nl;
      if (start + nl === size - 1) continue;
      left -= 1;
      if (left === 0) return start + nl + 1;
    }
    end = start;
  }
  return 0;
}

/**
 * Copies bytes [from, to) of the file to `write`, a chunk at a time, each only once
 * `write` has taken the last. Returns the offset reached: `to`, or less if the file is
 * shorter or `signal` aborted. A chunk is never reused, so `write` may keep it.
 */
export async function copyRange(
  file: FileHandle,
  from: number,
  to: number,
  write: (chunk: Buffer) => Promise<void> | void,
  signal?: AbortSignal,
): Promise<number> {
  let pos = from;
  while (pos < to && signal?.aborted !== true) {
    const buf = Buffer.allocUnsafe(Math.min(COPY_BYTES, to - pos));
    const { bytesRead } = await file.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    await write(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return pos;
}
