// A job's output file as a stream of chunks: all of it, or from where its last `lines`
// lines begin, then (until `until` settles) whatever is appended, read every `pollMs`;
// once `until` settles, one last read takes what was written before. One chunk in
// memory at a time (the consumer pulls), the start of a tail found by reading backwards
// (protocol/file-tail.ts); opened without following a link. Used by the coordinator for
// local files and by the pool program's `--read` tool on other hosts.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { COPY_BYTES, tailStart } from './file-tail.js';

/** The bytes [from, to) of the file, a chunk at a time. */
async function* range(file: FileHandle, from: number, to: number): AsyncGenerator<Buffer> {
  for (let pos = from; pos < to;) {
    const buf = Buffer.allocUnsafe(Math.min(COPY_BYTES, to - pos));
    const { bytesRead } = await file.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) return;
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

export async function* followFile(path: string, lines: number | null, until: Promise<void>, pollMs = 200): AsyncGenerator<Buffer> {
  const file = await fs.promises.open(path, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  let done = false;
  const over = until.then(() => (done = true), () => (done = true));
  try {
    let size = (await file.stat()).size;
    let pos = lines === null ? 0 : await tailStart(file, size, lines);
    for (;;) {
      const last = done;
      for await (const chunk of range(file, pos, size)) {
        pos += chunk.length;
        yield chunk;
      }
      if (last) return;
      if (!done) await Promise.race([delay(pollMs), over]);
      size = (await file.stat()).size;
    }
  } finally {
    await file.close();
  }
}
