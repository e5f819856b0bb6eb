// Descriptors read and written directly, with fs.read in libuv's thread pool and write(2),
// instead of through node:net and the streams: loading those costs a Node process about
// 3 ms, which every pool pays at its start (pool/stdio.ts) and every one-shot console too
// (console/connection.ts, console/output.ts). A descriptor this cannot serve (non-blocking,
// so a read or write says EAGAIN) is handed to the stream `fallback` makes, from the first
// byte not yet read or written: nothing is lost or doubled.
//
// A read in flight holds the process at its exit (libuv joins its threads there), so a
// reader made with `wakeAtExit` ends its own read at exit by writing one byte into its FIFO
// through /proc/self/fd (which reaches the FIFO even once its name is removed).

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';

const CHUNK = 64 * 1024;

/** The errno name an error carries (EAGAIN, ENXIO, ...). */
export function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Readers whose read may be in flight at exit, woken then. */
const awake = new Set<FdReader>();
let exitHooked = false;

function wakeAll(): void {
  for (const reader of awake) reader.wake();
}

/**
 * A descriptor as 'data', 'end' and 'error' events, from the first resume() on, with
 * pause() and resume(). `direct` false hands the descriptor to the fallback at once (one
 * that fs.read should not block on).
 */
export class FdReader extends EventEmitter {
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private stream: Readable | null = null;
  private reading = false;
  private paused = true;
  private done = false;
  /** A chunk read while paused, given out on resume. */
  private held: Buffer | null = null;

  constructor(
    private readonly fd: number,
    private readonly fallback: () => Readable,
    private readonly opts: { direct?: boolean; wakeAtExit?: boolean } = {},
  ) {
    super();
    if (opts.wakeAtExit === true) {
      awake.add(this);
      if (!exitHooked) process.on('exit', wakeAll);
      exitHooked = true;
    }
  }

  pause(): void {
    this.paused = true;
    this.stream?.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.opts.direct === false && this.stream === null) this.handOver();
    if (this.stream !== null) {
      this.stream.resume();
      return;
    }
    const held = this.held;
    this.held = null;
    if (held !== null) this.emit('data', held);
    if (!this.paused) this.next();
  }

  /** Stops reading and closes the descriptor (a read in flight is dropped). */
  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.wake();
    awake.delete(this);
    if (this.stream !== null) this.stream.destroy();
    else fs.close(this.fd, () => undefined);
  }

  /** Ends a read that blocks on this FIFO: one byte in, read by it and dropped. */
  wake(): void {
    if (!this.reading) return;
    try {
      const w = fs.openSync(`/proc/self/fd/${this.fd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      try {
        fs.writeSync(w, '\n');
      } finally {
        fs.closeSync(w);
      }
    } catch {
      // Not a FIFO, or no read waits on it: nothing holds the exit.
    }
  }

  private next(): void {
    if (this.done || this.paused || this.reading || this.stream !== null) return;
    this.reading = true;
    fs.read(this.fd, this.buf, 0, CHUNK, null, (err, n) => {
      this.reading = false;
      if (this.done) return;
      if (err !== null) {
        if (errno(err) === 'EAGAIN') return this.handOver();
        this.done = true;
        this.emit('error', err);
        return;
      }
      if (n === 0) {
        this.done = true;
        this.emit('end');
        return;
      }
      const chunk = Buffer.from(this.buf.subarray(0, n));
      if (this.paused) {
        this.held = chunk;
        return;
      }
      this.emit('data', chunk);
      this.next();
    });
  }

  private handOver(): void {
    if (this.done) return;
    const stream = this.fallback();
    this.stream = stream;
    awake.delete(this);
    stream.on('data', (chunk: Buffer) => this.emit('data', chunk));
    stream.on('end', () => this.emit('end'));
    stream.on('error', (err) => this.emit('error', err));
    const held = this.held;
    this.held = null;
    if (held !== null) this.emit('data', held);
    if (this.paused) stream.pause();
    else stream.resume();
  }
}

/**
 * A descriptor written whole with write(2); the stream `fallback` makes takes the rest
 * after an EAGAIN (a full non-blocking pipe). 'error' on a failed write, 'drain' when a
 * fallback that said "full" has room again, 'close' when the fallback closes.
 */
export class FdWriter extends EventEmitter {
  private stream: Writable | null = null;

  constructor(
    private readonly fd: number,
    private readonly fallback: () => Writable,
  ) {
    super();
  }

  /** False when the bytes wait in the fallback's queue (then 'drain' follows), or failed. */
  write(data: string | Uint8Array): boolean {
    if (this.stream !== null) return this.stream.write(data);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    try {
      while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (err) {
      if (errno(err) !== 'EAGAIN') {
        this.emit('error', asError(err));
        return false;
      }
      return this.handOver().write(bytes.subarray(off));
    }
    return true;
  }

  /** Calls `done` once everything written has been handed to the system. */
  flush(done: () => void): void {
    if (this.stream === null) done();
    else this.stream.write('', done);
  }

  /** Closes the descriptor, or ends the fallback once its queue is written. */
  destroy(): void {
    if (this.stream !== null) this.stream.destroy();
    else fs.close(this.fd, () => undefined);
  }

  private handOver(): Writable {
    const stream = this.fallback();
    this.stream = stream;
    stream.on('error', (err) => this.emit('error', err));
    stream.on('drain', () => this.emit('drain'));
    stream.on('close', () => this.emit('close'));
    return stream;
  }
}
