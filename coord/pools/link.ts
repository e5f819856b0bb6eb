// A frame pipe to one pool, whatever carries it: the stdio of a process the coordinator
// started (the pool itself, or ssh/srun in front of it), or a socket to an orphaned
// pool it re-attached to. Frames in become typed events; the link reports its end
// once, with how it ended.

import net from 'node:net';
import { LineDecoder, encode } from '../../protocol/codec.js';
import { MAX_FRAME_BYTES } from '../../protocol/messages.js';
import type { PoolCommand, PoolEvent } from '../../protocol/pool-messages.js';
import { parsePoolEvent } from '../../protocol/pool-parse.js';
import { FrameBatch } from '../../protocol/frame-batch.js';
import { spawnPiped } from './process-spawn.js';

export interface LinkListener {
  event(event: PoolEvent): void;
  /** Every frame the link carried has been handed to `event` by then. */
  closed(how: string): void;
  /** A line the far side wrote to its stderr, or a bad frame. */
  log(line: string): void;
}

export interface PoolLink {
  /** The local process behind the link (the pool, or ssh), if any. */
  readonly pid: number | null;
  /** Queues a frame: the frames of one turn of the loop go out in one write. */
  send(command: PoolCommand): void;
  /** Writes what is queued now. */
  flush?(): void;
  /** Stops talking (after what is queued): our side ends; the far side sees end of input. */
  end(): void;
  /** Ends the local process behind the link at once. */
  kill(): void;
}

class FrameReader {
  private readonly decoder = new LineDecoder(MAX_FRAME_BYTES);
  constructor(private readonly listener: LinkListener) {}

  push(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      const event = frame.ok ? parsePoolEvent(frame.value) : { invalid: frame.error };
      if ('invalid' in event) this.listener.log(`sent a bad frame: ${event.invalid}`);
      else this.listener.event(event);
    }
  }
}

/** Lines of a stream (a pool's stderr) to the log. */
function logLines(stream: NodeJS.ReadableStream, log: (line: string) => void): void {
  let carry = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const lines = (carry + text).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line !== '') log(line);
  });
}

/**
 * Starts `argv` with frames on its stdin/stdout and its stderr as log lines; `isPool`:
 * the process is the pool itself (not ssh or srun in front of it), so its pid is the pool's.
 */
export function spawnLink(argv: readonly string[], env: NodeJS.ProcessEnv, listener: LinkListener, isPool = true): PoolLink {
  const child = spawnPiped(argv, env);
  const reader = new FrameReader(listener);
  child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
  logLines(child.stderr, listener.log);
  child.onError((err) => listener.log(err.message));
  child.stdin.on('error', () => undefined); // EPIPE: the close accounts for it.
  child.onClose((how) => listener.closed(how));
  const batch = new FrameBatch((data) => {
    if (child.stdin.writable) child.stdin.write(data);
  });
  return {
    pid: isPool ? child.pid : null,
    send: (command) => batch.push(encode(command)),
    flush: () => batch.flush(),
    end: () => {
      batch.flush();
      child.stdin.end();
    },
    kill: () => {
      batch.drop();
      child.kill();
    },
  };
}

/** Connects to a pool's attach socket; resolves null when nobody listens there. */
export function socketLink(path: string, listener: LinkListener): Promise<PoolLink | null> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      const reader = new FrameReader(listener);
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.once('close', () => listener.closed('closed its attach socket'));
      resolve({
        pid: null,
        send: (command) => {
          if (socket.writable) socket.write(encode(command));
        },
        end: () => socket.end(),
        kill: () => socket.destroy(),
      });
    });
    socket.on('error', () => {
      if (!connected) resolve(null);
    });
  });
}
