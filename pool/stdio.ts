// The pool's own stdin, stdout and stderr, read and written through their descriptors
// (fs.read in libuv's thread pool, write(2)) rather than process.stdin/stdout/stderr:
// those are net.Sockets on a pipe, and loading node:net and the streams costs every pool
// about 6 ms of CPU at its start (a pool starts every jobs_pool jobs). node:net is loaded
// only by a pool that is orphaned (its attach socket) or whose descriptors are not plain
// blocking pipes (then process.stdin/stdout take over, from the first byte not yet read or
// written: nothing is lost or doubled).

import { EventEmitter } from 'node:events';
import fs from 'node:fs';

const CHUNK = 64 * 1024;

function code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** A line on stderr; a stderr that is gone (the coordinator's log pipe, EPIPE) is ignored. */
export function say(line: string): void {
  try {
    fs.writeSync(2, line);
  } catch {
    // Nobody reads it any more: the pool carries on all the same.
  }
}

/** fd 0 as 'data', 'end' and 'error' events. */
export class StdinReader extends EventEmitter {
  private readonly buf = Buffer.allocUnsafe(CHUNK);

  constructor() {
    super();
    let pipe = false;
    try {
      pipe = fs.fstatSync(0).isFIFO();
    } catch {
      pipe = false;
    }
    // After the caller's listeners are on.
    setImmediate(() => (pipe ? this.next() : this.handOver()));
  }

  private next(): void {
    fs.read(0, this.buf, 0, CHUNK, null, (err, n) => {
      if (err !== null) {
        if (code(err) === 'EAGAIN') return this.handOver();
        this.emit('error', err);
        return;
      }
      if (n === 0) {
        this.emit('end');
        return;
      }
      this.emit('data', Buffer.from(this.buf.subarray(0, n)));
      this.next();
    });
  }

  /** process.stdin from here on (a socket, or a non-blocking pipe). */
  private handOver(): void {
    const stdin = process.stdin;
    stdin.on('data', (chunk: Buffer) => this.emit('data', chunk));
    stdin.on('end', () => this.emit('end'));
    stdin.on('error', (err) => this.emit('error', err));
  }
}

/** fd 1 written whole with write(2); process.stdout takes the rest after an EAGAIN. */
export class StdoutWriter extends EventEmitter {
  private fallback: NodeJS.WriteStream | null = null;

  write(data: string): boolean {
    if (this.fallback !== null) return this.fallback.write(data);
    const bytes = Buffer.from(data);
    let off = 0;
    try {
      while (off < bytes.length) off += fs.writeSync(1, bytes, off, bytes.length - off);
    } catch (err) {
      if (code(err) !== 'EAGAIN') {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
        return false;
      }
      this.fallback = process.stdout;
      this.fallback.on('error', (e) => this.emit('error', e));
      return this.fallback.write(bytes.subarray(off));
    }
    return true;
  }
}
