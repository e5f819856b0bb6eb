// A console's connection to its coordinator. The console makes its private FIFO pair
// (<jms_in>.<pid>, <jms_out>.<pid>, mode 0600), sends a handshake naming them on the
// shared jms_in in one atomic write, and waits (bounded) for the coordinator's welcome.
// Replies are routed to the request with their id; a batch ends with its `end` frame.
// EOF on the reply FIFO means the coordinator is gone: every pending request fails.

import fs from 'node:fs';
import type net from 'node:net';
import { resolve } from 'node:path';
import { LineDecoder, encode } from '../protocol/codec.js';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { makeFifo, openHolder, openReader, pathKind, removeFifo, writeAtomic } from '../protocol/fifo.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type Hello, type Reply, type Request } from '../protocol/messages.js';
import { parseReply, parseWelcome } from '../protocol/parse.js';

export const HANDSHAKE_TIMEOUT_MS = 5000;

type Pending = {
  onItem: (reply: Reply) => void;
  resolve: (last: Reply) => void;
  reject: (err: Error) => void;
};

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private gone: Error | null = null;
  /** Called once if the coordinator goes away. */
  onGone: (err: Error) => void = () => undefined;

  private constructor(
    private readonly writer: net.Socket,
    private readonly reader: net.Socket,
    private readonly decoder: LineDecoder,
    readonly coordPid: number,
  ) {
    reader.on('data', (chunk: Buffer) => this.receive(chunk));
    const lost = (): void => this.lose(new CoordinatorNotRunningError('The coordinator closed the connection: it has shut down or died.'));
    reader.on('end', lost);
    reader.on('error', lost);
    writer.on('error', lost);
    reader.resume();
  }

  static async open(jmsIn: string, jmsOut: string): Promise<Connection> {
    const inPath = resolve(jmsIn);
    const kind = pathKind(inPath);
    if (kind === 'missing') {
      throw new CoordinatorNotRunningError(`No coordinator: ${inPath} does not exist. Start one with 'jms_coord -l <path> -n <jobs_pool>' or name its FIFO with -w.`);
    }
    if (kind !== 'fifo') throw new CoordinatorNotRunningError(`${inPath} is not a FIFO, so no coordinator listens there; check -w.`);
    const hello: Hello = {
      kind: 'hello', version: PROTOCOL_VERSION, pid: process.pid,
      requestFifo: `${inPath}.${process.pid}`, replyFifo: `${resolve(jmsOut)}.${process.pid}`,
    };
    for (const path of [hello.requestFifo, hello.replyFifo]) {
      if (pathKind(path) === 'fifo') fs.unlinkSync(path);
      makeFifo(path);
    }
    process.on('exit', () => [hello.requestFifo, hello.replyFifo].forEach(removeFifo));
    // Read-write, so the open never blocks and nothing can hold the process at exit.
    const first = await openReader(hello.replyFifo, { keepOpen: true });
    let writer: net.Socket | undefined;
    try {
      writer = await openHolder(hello.requestFifo);
      // The leading newline ends any partial line a broken writer left in jms_in, so
      // that garbage cannot swallow this handshake; the empty line is ignored.
      await writeAtomic(inPath, `\n${encode(hello)}`, HANDSHAKE_TIMEOUT_MS);
    } catch (err) {
      first.destroy();
      writer?.destroy();
      throw err;
    }
    const decoder = new LineDecoder(MAX_FRAME_BYTES);
    const value = await withDeadline(firstFrame(first, decoder), () => first.destroy(), inPath);
    const welcome = parseWelcome(value);
    if ('invalid' in welcome) throw new CoordinatorNotRunningError(`The coordinator's handshake answer was unreadable: ${welcome.invalid}.`);
    if (welcome.kind === 'refused') throw new CoordinatorNotRunningError(welcome.message);
    // The welcome proves the coordinator holds the write end; from here on the replies
    // are read through a read-only descriptor, which sees end-of-file when it goes.
    const reader = await openReader(hello.replyFifo, { keepOpen: false });
    first.destroy();
    return new Connection(writer, reader, decoder, welcome.coordPid);
  }

  /** Sends one request; `onItem` sees each batch item; resolves with the last frame. */
  request(body: DistributiveOmit<Request, 'id'>, onItem: (reply: Reply) => void = () => undefined): Promise<Reply> {
    if (this.gone !== null) return Promise.reject(this.gone);
    const id = this.nextId++;
    const frame = encode({ ...body, id });
    if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
      return Promise.reject(new RangeError(`The request is ${Buffer.byteLength(frame)} bytes; the most is ${MAX_FRAME_BYTES}.`));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { onItem, resolve, reject });
      this.writer.write(frame);
    });
  }

  close(): void {
    this.gone ??= new Error('The connection is closed.');
    this.reader.destroy();
    this.writer.destroy();
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      const reply = frame.ok ? parseReply(frame.value) : { invalid: frame.error };
      if ('invalid' in reply) {
        process.stderr.write(`jms_console: ignored an unreadable reply: ${reply.invalid}\n`);
        continue;
      }
      // A request the coordinator could not read comes back with id 0: it is the oldest one.
      const id = reply.id === 0 ? (this.pending.keys().next().value ?? 0) : reply.id;
      const waiting = this.pending.get(id);
      if (waiting === undefined) continue;
      if (reply.kind === 'job' || reply.kind === 'pool' || reply.kind === 'detail') {
        waiting.onItem(reply);
        continue;
      }
      this.pending.delete(id);
      waiting.resolve(reply);
    }
  }

  private lose(err: Error): void {
    if (this.gone !== null) return;
    this.gone = err;
    for (const waiting of this.pending.values()) waiting.reject(err);
    this.pending.clear();
    this.onGone(err);
  }
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function firstFrame(reader: net.Socket, decoder: LineDecoder): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const [frame] = decoder.push(chunk);
      if (frame === undefined) return;
      reader.off('data', onData);
      reader.pause();
      if (frame.ok) resolve(frame.value);
      else reject(new CoordinatorNotRunningError(`The coordinator's handshake answer was unreadable: ${frame.error}.`));
    };
    reader.on('data', onData);
  });
}

async function withDeadline<T>(work: Promise<T>, cancel: () => void, inPath: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancel();
      reject(new CoordinatorNotRunningError(`The coordinator on ${inPath} did not answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s; it may be stuck, or refused this console (see its log).`));
    }, HANDSHAKE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
