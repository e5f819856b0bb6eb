// Unit tests for protocol/codec.ts: framing of one JSON object per line, reassembly of
// frames split anywhere (also inside a multi-byte character), and bad frames as values.

import t from 'tap';
import { encode, encodeItem, LineDecoder, type Decoded } from '../../protocol/codec.js';

const MAX = 64;

/** Pushes every chunk in turn and collects every frame the decoder completes. */
function feed(decoder: LineDecoder, chunks: readonly Buffer[]): Decoded[] {
  const out: Decoded[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk));
  return out;
}

/** Splits a buffer into one-byte chunks. */
function bytes(buf: Buffer): Buffer[] {
  return [...buf].map((b) => Buffer.from([b]));
}

function errorOf(d: Decoded | undefined): string {
  if (d === undefined || d.ok) throw new Error(`expected an error frame, got ${JSON.stringify(d)}`);
  return d.error;
}

t.test('encode', async (t) => {
  const line = encode({ kind: 'submit', id: 1, command: 'echo "a\nb" é€😀' });
  t.ok(line.endsWith('\n'), 'ends with a newline');
  t.equal(line.indexOf('\n'), line.length - 1, 'has exactly one newline, at the end');
  t.notOk(line.endsWith('\n\n'), 'does not end with two newlines');

  const d = new LineDecoder(MAX * 16);
  t.strictSame(d.push(Buffer.from(line)), [{ ok: true, value: { kind: 'submit', id: 1, command: 'echo "a\nb" é€😀' } }],
    'round-trips through the decoder');
  t.equal(d.pending, 0, 'nothing pending after a whole frame');

  t.equal(encode({}), '{}\n', 'an empty object is one short line');
  t.equal(encode([1, 2]), '[1,2]\n', 'arrays are encoded as JSON too');
});

t.test('one frame in one chunk', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"a":1}\n')), [{ ok: true, value: { a: 1 } }]);
  t.equal(d.pending, 0);
});

t.test('a chunk without a newline completes nothing', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"a"')), []);
  t.equal(d.pending, 4, 'the partial frame is carried');
  t.strictSame(d.push(Buffer.alloc(0)), [], 'an empty chunk changes nothing');
  t.equal(d.pending, 4);
});

t.test('a frame split across two pushes', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"kind":"sub')), []);
  t.equal(d.pending, 12);
  t.strictSame(d.push(Buffer.from('mit","id":7}\n')), [{ ok: true, value: { kind: 'submit', id: 7 } }]);
  t.equal(d.pending, 0);
});

t.test('a frame split across many pushes, one byte at a time', async (t) => {
  const d = new LineDecoder(MAX);
  const frame = Buffer.from('{"kind":"status","id":3,"jobId":12}\n');
  const out: Decoded[] = [];
  let i = 0;
  for (const b of bytes(frame)) {
    out.push(...d.push(b));
    i += 1;
    if (i < frame.length) t.equal(d.pending, i, `pending after ${i} bytes`);
  }
  t.strictSame(out, [{ ok: true, value: { kind: 'status', id: 3, jobId: 12 } }]);
  t.equal(d.pending, 0);
});

t.test('a newline alone in the second chunk closes the frame', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"x":true}')), []);
  t.equal(d.pending, 10);
  t.strictSame(d.push(Buffer.from('\n')), [{ ok: true, value: { x: true } }]);
  t.equal(d.pending, 0);
});

t.test('split inside a multi-byte UTF-8 character', async (t) => {
  for (const ch of ['é', '€', '😀', 'a€é😀z']) {
    const frame = Buffer.from(encode({ s: ch }));
    const d = new LineDecoder(MAX);
    t.strictSame(feed(d, bytes(frame)), [{ ok: true, value: { s: ch } }], `${ch} pushed one byte at a time`);
    t.equal(d.pending, 0);

    // Every single cut point, in two pushes.
    for (let cut = 1; cut < frame.length; cut += 1) {
      const d2 = new LineDecoder(MAX);
      const first = d2.push(frame.subarray(0, cut));
      t.strictSame(first, [], `nothing before the newline (${ch}, cut ${cut})`);
      t.equal(d2.pending, cut, `pending counts bytes, not characters (${ch}, cut ${cut})`);
      t.strictSame(d2.push(frame.subarray(cut)), [{ ok: true, value: { s: ch } }], `${ch} cut at byte ${cut}`);
    }
  }
});

t.test('several frames in one chunk', async (t) => {
  const d = new LineDecoder(MAX);
  const chunk = Buffer.from('{"n":1}\n{"n":2}\n[3]\n"four"\n');
  t.strictSame(d.push(chunk), [
    { ok: true, value: { n: 1 } },
    { ok: true, value: { n: 2 } },
    { ok: true, value: [3] },
    { ok: true, value: 'four' },
  ], 'all frames, in order');
  t.equal(d.pending, 0);
});

t.test('several frames with a partial tail, then the rest', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"n":1}\n{"n":2}\n{"n"')), [
    { ok: true, value: { n: 1 } },
    { ok: true, value: { n: 2 } },
  ]);
  t.equal(d.pending, 4, 'the partial third frame is carried');
  t.strictSame(d.push(Buffer.from(':3}\n{"n":4}\n')), [
    { ok: true, value: { n: 3 } },
    { ok: true, value: { n: 4 } },
  ]);
  t.equal(d.pending, 0);
});

t.test('a frame of exactly the maximum size is accepted', async (t) => {
  const d = new LineDecoder(MAX);
  const body = `"${'x'.repeat(MAX - 2)}"`;
  t.equal(Buffer.byteLength(body), MAX);
  t.strictSame(d.push(Buffer.from(`${body}\n`)), [{ ok: true, value: 'x'.repeat(MAX - 2) }]);

  const d2 = new LineDecoder(MAX);
  t.strictSame(feed(d2, [Buffer.from(body.slice(0, 10)), Buffer.from(body.slice(10)), Buffer.from('\n')]),
    [{ ok: true, value: 'x'.repeat(MAX - 2) }], 'also when it arrives in pieces');
});

t.test('an oversized frame in one chunk: one error, then recovery', async (t) => {
  const d = new LineDecoder(MAX);
  const big = `"${'x'.repeat(MAX)}"`;
  const out = d.push(Buffer.from(`{"n":1}\n${big}\n{"n":2}\n`));
  t.equal(out.length, 3, 'three results');
  t.strictSame(out[0], { ok: true, value: { n: 1 } }, 'the frame before is fine');
  t.equal(out[1]?.ok, false, 'the oversized frame is an error value');
  t.match(errorOf(out[1]), /larger than 64 bytes/, 'the error names the limit');
  t.strictSame(out[2], { ok: true, value: { n: 2 } }, 'the frame after is parsed');
  t.equal(d.pending, 0);

  t.strictSame(d.push(Buffer.from('{"n":3}\n')), [{ ok: true, value: { n: 3 } }], 'later pushes still work');
});

t.test('an oversized frame split across chunks: one error, then recovery', async (t) => {
  const d = new LineDecoder(MAX);
  const big = Buffer.from(`"${'y'.repeat(MAX * 3)}"`);
  const results: Decoded[] = [];
  // First piece fits, so it is carried.
  results.push(...d.push(big.subarray(0, MAX - 4)));
  t.strictSame(results, [], 'nothing yet');
  t.equal(d.pending, MAX - 4);
  // Second piece pushes it over the limit.
  results.push(...d.push(big.subarray(MAX - 4, MAX + 10)));
  t.equal(results.length, 1, 'one error as soon as it is too big');
  t.match(errorOf(results[0]), /larger than/);
  t.equal(d.pending, 0, 'nothing is carried while skipping');
  // The rest of the frame is dropped without more errors.
  results.push(...d.push(big.subarray(MAX + 10, MAX * 2)));
  results.push(...d.push(big.subarray(MAX * 2)));
  t.equal(results.length, 1, 'no further errors for the rest of the frame');
  t.equal(d.pending, 0);
  // The newline ends the oversized frame; the next one decodes.
  results.push(...d.push(Buffer.from('\n{"after":')));
  t.equal(results.length, 1);
  t.equal(d.pending, 9);
  results.push(...d.push(Buffer.from('true}\n')));
  t.strictSame(results.slice(1), [{ ok: true, value: { after: true } }], 'the next frame is parsed correctly');
  t.equal(d.pending, 0);
});

t.test('an oversized frame pushed one byte at a time yields exactly one error', async (t) => {
  const d = new LineDecoder(MAX);
  const input = Buffer.from(`"${'z'.repeat(MAX * 2)}"\n{"ok":1}\n`);
  const out = feed(d, bytes(input));
  t.equal(out.length, 2);
  t.equal(out[0]?.ok, false);
  t.strictSame(out[1], { ok: true, value: { ok: 1 } });
  t.equal(d.pending, 0);
});

t.test('an oversized frame whose newline arrives with the overflow', async (t) => {
  const d = new LineDecoder(MAX);
  const big = `"${'w'.repeat(MAX)}"`;
  t.strictSame(d.push(Buffer.from(big.slice(0, 20))), []);
  const out = d.push(Buffer.from(`${big.slice(20)}\n{"n":5}\n`));
  t.equal(out.length, 2);
  t.equal(out[0]?.ok, false, 'one error');
  t.strictSame(out[1], { ok: true, value: { n: 5 } }, 'the next frame is not skipped');
});

t.test('a single first chunk bigger than the limit, without a newline', async (t) => {
  const d = new LineDecoder(MAX);
  const out = d.push(Buffer.alloc(MAX + 1, 0x61));
  t.equal(out.length, 1);
  t.equal(out[0]?.ok, false);
  t.equal(d.pending, 0);
  t.strictSame(d.push(Buffer.alloc(MAX * 2, 0x61)), [], 'still skipping: no second error');
  t.strictSame(d.push(Buffer.from('aaa\n{"n":6}\n')), [{ ok: true, value: { n: 6 } }]);
});

t.test('malformed JSON is an error value, never a throw', async (t) => {
  const d = new LineDecoder(MAX);
  for (const bad of ['{', '{"a":}', 'nope', "{'a':1}", '{"a":1}}', '[1,2']) {
    let out: Decoded[] = [];
    t.doesNotThrow(() => {
      out = d.push(Buffer.from(`${bad}\n`));
    }, `no throw for ${bad}`);
    t.equal(out.length, 1);
    t.match(errorOf(out[0]), /not valid JSON/, `error for ${bad}`);
    t.equal(d.pending, 0);
  }
  t.strictSame(d.push(Buffer.from('{"fine":1}\n')), [{ ok: true, value: { fine: 1 } }], 'recovers afterwards');
});

t.test('invalid UTF-8 is an error value', async (t) => {
  const d = new LineDecoder(MAX);
  const out = d.push(Buffer.concat([Buffer.from('{"s":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
  t.equal(out.length, 1);
  t.match(errorOf(out[0]), /not valid UTF-8/);

  // A truncated multi-byte sequence (first two bytes of '€') followed by the newline.
  const out2 = d.push(Buffer.from([0x22, 0xe2, 0x82, 0x0a]));
  t.match(errorOf(out2[0]), /not valid UTF-8/, 'a truncated character is invalid too');

  // An overlong encoding of '/'.
  const out3 = d.push(Buffer.from([0x22, 0xc0, 0xaf, 0x22, 0x0a]));
  t.match(errorOf(out3[0]), /not valid UTF-8/, 'an overlong encoding is invalid');

  t.strictSame(d.push(Buffer.from('{"s":"é"}\n')), [{ ok: true, value: { s: 'é' } }], 'the decoder still works after');
});

t.test('empty and blank lines are error values', async (t) => {
  const d = new LineDecoder(MAX);
  const out = d.push(Buffer.from('\n'));
  t.equal(out.length, 1);
  t.match(errorOf(out[0]), /empty frame/);

  const out2 = d.push(Buffer.from('   \t\n\n{"n":1}\n'));
  t.equal(out2.length, 3);
  t.match(errorOf(out2[0]), /empty/, 'whitespace only');
  t.match(errorOf(out2[1]), /empty/, 'a second empty line');
  t.strictSame(out2[2], { ok: true, value: { n: 1 } });
});

t.test('errors are non-empty strings', async (t) => {
  const d = new LineDecoder(8);
  const out = d.push(Buffer.concat([
    Buffer.from('\n'), Buffer.from('{\n'), Buffer.from([0xff, 0x0a]), Buffer.from('"0123456789"\n'),
  ]));
  t.equal(out.length, 4);
  for (const r of out) {
    t.equal(r.ok, false);
    if (!r.ok) t.ok(r.error.length > 0, r.error);
  }
});

t.test('a CRLF frame still decodes (\\r is JSON whitespace)', async (t) => {
  const d = new LineDecoder(MAX);
  t.strictSame(d.push(Buffer.from('{"n":1}\r\n')), [{ ok: true, value: { n: 1 } }]);
});

t.test('encodeItem writes exactly what encode would, for every shape of job brief', async (t) => {
  const briefs = [
    { jobId: 1, status: 'active', runningForSec: 0, outcome: null },
    { jobId: 22, status: 'suspended', runningForSec: 3600, outcome: null },
    { jobId: 333, status: 'queued', runningForSec: null, outcome: null },
    { jobId: 4444, status: 'finished', runningForSec: null, outcome: 'timed-out' },
    { jobId: 5, status: 'finished', runningForSec: null, outcome: 'succeeded' },
  ] as const;
  for (const job of briefs) {
    const line = encodeItem({ kind: 'job', job }, 17);
    t.equal(line, encode({ kind: 'job', id: 17, job }), `job ${job.jobId}: the same bytes as encode`);
    t.strictSame(JSON.parse(line), { kind: 'job', id: 17, job }, `job ${job.jobId}: round trip`);
    t.ok(line.endsWith('}\n') && line.indexOf('\n') === line.length - 1, 'one line');
  }
  const pool = { kind: 'pool', pool: { pid: 99, jobs: 2, host: 'local' } } as const;
  t.strictSame(JSON.parse(encodeItem(pool, 3)), { ...pool, id: 3 }, 'pool items go through encode');
});
