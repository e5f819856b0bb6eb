// Where the console's answers go: lines to stdout and stderr, a job's bytes (logs) with
// backpressure, output held back until its turn (pipelined submits), and a quiet end
// when the reader of stdout goes away (`| head -1`), as `ls | head` ends. Written with
// write(2) on fds 1 and 2 (protocol/fd-io.ts): a one-shot command never makes
// process.stdout, which loads node:net and the streams; after an EAGAIN (a non-blocking
// pipe that is full) process.stdout or process.stderr takes the rest.

import { FdWriter } from '../protocol/fd-io.js';

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Bytes exactly as they are (a job's output); resolves once the reader has room. */
  bytes(chunk: Buffer): Promise<void> | void;
}

const stdout = new FdWriter(1, () => process.stdout);
const stderr = new FdWriter(2, () => process.stderr);

function whenDrained(writer: FdWriter): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      writer.off('drain', done);
      writer.off('close', done);
      resolve();
    };
    writer.on('drain', done);
    writer.on('close', done);
  });
}

export const stdio: Output = {
  out: (line) => void stdout.write(`${line}\n`),
  err: (line) => void stderr.write(`${line}\n`),
  bytes: (chunk) => (stdout.write(chunk) ? undefined : whenDrained(stdout)),
};

/** Output held back until its turn, so answers of requests in flight print in order. */
export class HeldOutput implements Output {
  private readonly held: Array<{ to: 'out' | 'err'; line: string } | { to: 'bytes'; chunk: Buffer }> = [];

  out(line: string): void {
    this.held.push({ to: 'out', line });
  }

  err(line: string): void {
    this.held.push({ to: 'err', line });
  }

  bytes(chunk: Buffer): void {
    // Only pipelined submits are held, and they print lines; kept exact all the same.
    this.held.push({ to: 'bytes', chunk: Buffer.from(chunk) });
  }

  flushTo(io: Output): void {
    for (const h of this.held) {
      if (h.to === 'bytes') void io.bytes(h.chunk);
      else if (h.to === 'out') io.out(h.line);
      else io.err(h.line);
    }
    this.held.length = 0;
  }
}

/**
 * A reader that has gone (EPIPE on stdout or stderr) ends the console at once, quietly
 * and with status 0: what it asked for, it has had.
 */
export function endQuietlyOnClosedOutput(): void {
  for (const writer of [stdout, stderr]) writer.on('error', endIfClosed);
}

/** The same for a stream written directly (the REPL's process.stdout). */
export function endQuietlyOnClosed(stream: NodeJS.WriteStream): void {
  stream.on('error', endIfClosed);
}

function endIfClosed(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE' || err.code === 'ECONNRESET') process.exit(0);
  throw err;
}

/**
 * Exits once stdout and stderr have handed everything over: when they are sockets or
 * a slow reader's pipe, process.exit() alone would drop what is still queued.
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  stdout.flush(done);
  stderr.flush(done);
}
