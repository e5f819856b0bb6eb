// The pool's own stdin, stdout and stderr, read and written through their descriptors
// (protocol/fd-io.ts) rather than process.stdin/stdout/stderr: those are net.Sockets on a
// pipe, and loading node:net and the streams costs every pool about 3 ms of CPU at its
// start (a pool starts every jobs_pool jobs). node:net is loaded only by a pool that is
// orphaned (its attach socket) or whose descriptors are not plain blocking pipes (then
// process.stdin/stdout take over, from the first byte not yet read or written).

import fs from 'node:fs';
import { FdReader, FdWriter } from '../protocol/fd-io.js';

/** A line on stderr; a stderr that is gone (the coordinator's log pipe, EPIPE) is ignored. */
export function say(line: string): void {
  try {
    fs.writeSync(2, line);
  } catch {
    // Nobody reads it any more: the pool carries on all the same.
  }
}

function isFifo(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}

/** fd 0: read directly when it is a pipe, else (a socket, a terminal) as process.stdin. */
export function stdinReader(): FdReader {
  const reader = new FdReader(0, () => process.stdin, { direct: isFifo(0) });
  // After the caller's listeners are on.
  setImmediate(() => reader.resume());
  return reader;
}

/** fd 1, written whole; process.stdout takes the rest after an EAGAIN. */
export function stdoutWriter(): FdWriter {
  return new FdWriter(1, () => process.stdout);
}
