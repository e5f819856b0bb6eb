// protocol/file-tail.ts on real files: where the last N lines begin (against a plain
// reading of the whole file, on files whose lines straddle the chunk boundaries), copying a
// byte range exactly, backpressure, an abort, a 64 MB single line and a large file of short
// lines in bounded time and memory.

import fs from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { COPY_BYTES, copyRange, SCAN_BYTES, tailStart } from '../../protocol/file-tail.js';

/** Where the last `n` lines of `data` begin, read the plain way. */
function naiveStart(data: Buffer, n: number): number {
  if (n <= 0) return data.length;
  const starts = [0];
  for (let i = 0; i < data.length; i += 1) if (data[i] === 0x0a && i + 1 < data.length) starts.push(i + 1);
  return starts.length <= n ? 0 : (starts[starts.length - n] ?? 0);
}

/** A deterministic pseudo-random generator (so a failure can be replayed). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

async function startOf(file: string, n: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    return await tailStart(fh, (await fh.stat()).size, n);
  } finally {
    await fh.close();
  }
}

async function copied(file: string, from: number, to: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  const parts: Buffer[] = [];
  try {
    await copyRange(fh, from, to, (chunk) => void parts.push(chunk));
  } finally {
    await fh.close();
  }
  return Buffer.concat(parts);
}

t.test('tailStart agrees with a plain reading, across chunk boundaries', async (t) => {
  const dir = t.testdir({});
  const rand = rng(20261201);
  const shapes: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one newline', Buffer.from('\n')],
    ['no newline at all', Buffer.from('abc')],
    ['a last line without newline', Buffer.from('a\nb\nc')],
    ['empty lines', Buffer.from('\n\n\n')],
    ['binary bytes', Buffer.from([0xff, 0x0a, 0x00, 0xfe, 0x0a, 0x80])],
  ];
  for (let k = 0; k < 12; k += 1) {
    // Lines from 0 bytes to a few chunks long, so newlines fall on and around SCAN_BYTES.
    const parts: Buffer[] = [];
    let size = 0;
    const total = Math.floor(rand() * 4 * SCAN_BYTES) + SCAN_BYTES - 3;
    while (size < total) {
      const len = rand() < 0.1 ? Math.floor(rand() * 2 * SCAN_BYTES) : Math.floor(rand() * 80);
      parts.push(Buffer.alloc(len, 0x61 + (k % 26)), Buffer.from('\n'));
      size += len + 1;
    }
    const data = Buffer.concat(parts).subarray(0, total);
    shapes.push([`random ${k} (${data.length} bytes)`, data]);
  }
  const edge = Buffer.alloc(2 * SCAN_BYTES, 0x62);
  edge[SCAN_BYTES - 1] = 0x0a;
  edge[SCAN_BYTES] = 0x0a;
  shapes.push(['newlines at both sides of a chunk boundary', edge]);
  for (const [what, data] of shapes) {
    const file = join(dir, 'f');
    fs.writeFileSync(file, data);
    const lines = data.toString('latin1').split('\n').length;
    for (const n of [0, 1, 2, 3, 7, lines - 1, lines, lines + 5]) {
      t.equal(await startOf(file, n), naiveStart(data, n), `${what}: -n ${n}`);
    }
  }
});

t.test('copyRange gives exactly the bytes of the range, in chunks of at most COPY_BYTES', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'bytes');
  const data = Buffer.alloc(3 * COPY_BYTES + 17);
  for (let i = 0; i < data.length; i += 1) data[i] = (i * 7919) % 256;
  fs.writeFileSync(file, data);
  t.ok((await copied(file, 0, data.length)).equals(data), 'the whole file, byte for byte');
  t.ok((await copied(file, 5, 5 + COPY_BYTES + 3)).equals(data.subarray(5, 5 + COPY_BYTES + 3)), 'a range across a chunk');
  t.ok((await copied(file, data.length - 1, data.length + 100)).equals(data.subarray(-1)), 'past the end: what there is');
  t.equal((await copied(file, 10, 10)).length, 0, 'an empty range');

  const fh = await open(file, 'r');
  t.teardown(() => fh.close());
  const sizes: number[] = [];
  let inFlight = 0;
  let most = 0;
  const reached = await copyRange(fh, 0, data.length, async (chunk) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    sizes.push(chunk.length);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
  });
  t.equal(reached, data.length, 'it returns the offset reached');
  t.equal(most, 1, 'each chunk waits for the writer to take the one before (backpressure)');
  t.ok(sizes.every((n) => n <= COPY_BYTES), 'no chunk is larger than COPY_BYTES');

  const stop = new AbortController();
  let calls = 0;
  const at = await copyRange(fh, 0, data.length, () => {
    calls += 1;
    stop.abort();
  }, stop.signal);
  t.same([calls, at], [1, COPY_BYTES], 'an abort stops it after the chunk in hand');
});

t.test('a 64 MB single line and a large file of short lines: fast, and small', async (t) => {
  const dir = t.testdir({});
  const line = join(dir, 'one-line');
  const MB = 1024 * 1024;
  const fd = fs.openSync(line, 'w');
  const block = Buffer.alloc(MB, 0x78);
  for (let i = 0; i < 64; i += 1) fs.writeSync(fd, block);
  fs.closeSync(fd);
  const heapBefore = process.memoryUsage().rss;
  let began = Date.now();
  t.equal(await startOf(line, 1), 0, 'the last line of one 64 MB line starts at 0');
  t.equal(await startOf(line, 10), 0, 'and so do its last 10');
  const scanMs = Date.now() - began;
  began = Date.now();
  let bytes = 0;
  const fh = await open(line, 'r');
  await copyRange(fh, 0, 64 * MB, (chunk) => void (bytes += chunk.length));
  await fh.close();
  const copyMs = Date.now() - began;
  t.equal(bytes, 64 * MB, 'all 64 MB are copied');
  const grew = (process.memoryUsage().rss - heapBefore) / MB;
  t.ok(grew < 48, `memory stays bounded: RSS grew ${grew.toFixed(1)} MB for a 64 MB line`);
  t.ok(scanMs < 5000 && copyMs < 5000, `scan backwards ${scanMs} ms, copy ${copyMs} ms`);

  const many = join(dir, 'many-lines');
  const rows = Buffer.from(Array.from({ length: 100_000 }, (_, i) => `line ${String(i).padStart(6, '0')}\n`).join(''));
  const fd2 = fs.openSync(many, 'w');
  for (let i = 0; i < 8; i += 1) fs.writeSync(fd2, rows);
  fs.closeSync(fd2);
  began = Date.now();
  const start = await startOf(many, 3);
  const tail = await copied(many, start, fs.statSync(many).size);
  t.equal(tail.toString(), 'line 099997\nline 099998\nline 099999\n', `the last 3 of ${fs.statSync(many).size} bytes`);
  t.ok(Date.now() - began < 500, `-n 3 reads from the end: ${Date.now() - began} ms`);
});
