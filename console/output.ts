// Where the console's answers go: lines to stdout and stderr, a job's bytes (logs) with
// backpressure, output held back until its turn (pipelined submits), and a quiet end
// when the reader of stdout goes away (`| head -1`), as `ls | head` ends.

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Bytes exactly as they are (a job's output); resolves once the reader has room. */
  bytes(chunk: Buffer): Promise<void> | void;
}

function whenDrained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

export const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  bytes: (chunk) => (process.stdout.write(chunk) ? undefined : whenDrained(process.stdout)),
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
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') process.exit(0);
      throw err;
    });
  }
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
  process.stdout.write('', done);
  process.stderr.write('', done);
}
