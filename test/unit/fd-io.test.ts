// protocol/fd-io.ts on real FIFOs: a writer on a non-blocking FIFO that fills hands the rest
// to its fallback socket with every byte in order; a reader held by pause() gives its chunk
// out on resume(), in order; and a process whose read of its own FIFO is in flight still
// exits at once (the read woken through /proc/self/fd), where libuv would otherwise wait.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { FdReader, FdWriter } from '../../protocol/fd-io.js';
import { makeFifo } from '../../protocol/fifo.js';
import { waitFor } from '../helpers/wait.js';

const { O_RDONLY, O_RDWR, O_NONBLOCK } = fs.constants;

function fifo(t: Test, name: string): string {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'jms-fd-io-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  makeFifo(path);
  return path;
}

t.test('a writer whose FIFO fills goes on through its fallback, every byte in order', async (t) => {
  const path = fifo(t, 'full');
  const readFd = fs.openSync(path, O_RDONLY | O_NONBLOCK);
  const writeFd = fs.openSync(path, fs.constants.O_WRONLY | O_NONBLOCK);
  let fallbacks = 0;
  const writer = new FdWriter(writeFd, () => {
    fallbacks += 1;
    return new net.Socket({ fd: writeFd, readable: false, writable: true });
  });
  // 1 MB in 4 KB lines, far more than a pipe holds: the writes past the first 64 KB wait.
  const lines = Array.from({ length: 256 }, (_, i) => `${String(i).padStart(4, '0')}${'x'.repeat(4091)}\n`);
  for (const line of lines) writer.write(line);
  t.equal(fallbacks, 1, 'the fallback was made once, at the first EAGAIN');
  const reader = new net.Socket({ fd: readFd, readable: true, writable: false });
  const got: Buffer[] = [];
  reader.on('data', (b: Buffer) => got.push(b));
  const want = lines.join('');
  await waitFor('all of it read', () => Buffer.concat(got).length >= want.length || undefined, 20_000);
  t.equal(Buffer.concat(got).toString(), want, 'the reader got every byte, in order');
  await new Promise<void>((resolve) => writer.flush(resolve));
  writer.destroy();
  reader.destroy();
});

t.test('a paused reader holds what it read until resume, in order', async (t) => {
  const path = fifo(t, 'paused');
  const fd = fs.openSync(path, O_RDWR);
  const reader = new FdReader(fd, () => {
    throw new Error('a blocking FIFO needs no fallback');
  });
  const got: string[] = [];
  reader.on('data', (b: Buffer) => got.push(b.toString()));
  reader.resume();
  fs.writeFileSync(path, 'one');
  await waitFor('the first chunk', () => got.length === 1 || undefined);
  // Paused with the next read in flight: what it reads is held, not given out.
  await waitFor('the next read to be in flight', () => (reader as unknown as { reading: boolean }).reading || undefined);
  reader.pause();
  fs.writeFileSync(path, 'two');
  await waitFor('the read in flight to finish', () => (reader as unknown as { held: Buffer | null }).held !== null || undefined);
  t.same(got, ['one'], 'nothing given out while paused');
  reader.resume();
  fs.writeFileSync(path, 'three');
  await waitFor('the rest', () => got.join('') === 'onetwothree' || undefined);
  t.same(got.join(''), 'onetwothree');
  reader.destroy();
});

t.test('a process with a read of its FIFO in flight exits at once, its read woken', async (t) => {
  const path = fifo(t, 'held');
  const fdIo = fileURLToPath(new URL('../../protocol/fd-io.js', import.meta.url));
  // Reads its FIFO read-write (so no EOF can ever end the read), then exits at 100 ms.
  const script = `
    import fs from 'node:fs';
    import { FdReader } from ${JSON.stringify(fdIo)};
    const reader = new FdReader(fs.openSync(${JSON.stringify(path)}, fs.constants.O_RDWR), () => { throw new Error('no'); }, { wakeAtExit: true });
    reader.on('data', () => undefined);
    reader.resume();
    setTimeout(() => process.exit(7), 100);
  `;
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  // A hung exit is killed at the deadline, and then has no exit status of its own.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(deadline);
  t.equal(code, 7, `it exited by itself with its own status, after ${Date.now() - started} ms ${stderr}`);
});
