// A console without jms_console, for tests that need one that misbehaves: it makes its
// FIFO pair, handshakes on jms_in by hand and then sends whatever frames (or bytes) a
// test wants, keeping every reply frame it reads. It can stop reading on purpose.
//
// Run as a program, `node raw-client.js <jms_in> <jms_out> <n>`, it handshakes as
// `<jms_in>.<its pid>`, sends n status-all requests, prints `ready` once they are all
// written, and then never reads its replies again: a client for a test to SIGKILL.

import fs from 'node:fs';
import type net from 'node:net';
import { fileURLToPath } from 'node:url';
import { LineDecoder, encode } from '../../protocol/codec.js';
import { errno, makeFifo, openHolder, openReader, openWriter, writeAtomic } from '../../protocol/fifo.js';
import { PROTOCOL_VERSION, type Hello } from '../../protocol/messages.js';

// Generous: a loaded CI machine may take seconds to answer a handshake (it passes as soon as it does).
const HANDSHAKE_MS = 15_000;
/** Larger than any frame the coordinator may send, so the client never drops one. */
const MAX_READ_FRAME = 4 * 1024 * 1024;

let made = 0;

export interface RawClient {
  readonly requestFifo: string;
  readonly replyFifo: string;
  /** The coordinator's first frame: a welcome, or a refusal. */
  readonly welcome: unknown;
  /** Every frame read after the welcome, in order (an undecodable one as its Decoded). */
  readonly frames: unknown[];
  /** Writes raw bytes into the request FIFO; resolves once they are in the pipe. */
  send(data: string | Buffer): Promise<void>;
  /** Sends one request frame. */
  request(req: object): Promise<void>;
  /** Frames carrying request id `id`. */
  repliesTo(id: number): Record<string, unknown>[];
  /** Stops reading the reply FIFO: the kernel pipe fills and the coordinator must buffer. */
  stopReading(): void;
  /** Reads the reply FIFO again. */
  resumeReading(): void;
  /** Closes both ends, as a dying process would (the FIFOs stay for the coordinator to remove). */
  close(): void;
}

export interface RawOptions {
  /** Suffix of the FIFO names; a unique one is made when absent. */
  tag?: string;
  version?: number;
}

/** A pending blocking O_RDONLY open of a FIFO, as a console makes for its reply FIFO. */
export interface PendingReader {
  /** Resolves with the reader once a writer opens the FIFO. */
  readonly opened: Promise<net.Socket>;
  /** Whether some writer has opened the FIFO yet. */
  readonly isOpen: boolean;
  /** Ends a still-pending open by being a writer for a moment; resolves with all that was read up to EOF. */
  release(): Promise<Buffer>;
}

export function pendingReader(path: string): PendingReader {
  let isOpen = false;
  let content: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
  const opened = openReader(path, { keepOpen: false, block: true }).then((reader) => {
    isOpen = true;
    content = readToEnd(reader);
    return reader;
  });
  return {
    opened,
    get isOpen() {
      return isOpen;
    },
    async release() {
      if (!isOpen) {
        // ENXIO: a writer opened it meanwhile and is gone, and so is our reader.
        await openWriter(path).then((s) => s.destroy(), () => undefined);
      }
      await opened;
      return await content;
    },
  };
}

function readToEnd(reader: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('no EOF within 5 s')), HANDSHAKE_MS);
    reader.on('data', (b: Buffer) => parts.push(b));
    reader.on('error', reject);
    reader.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(parts));
    });
    reader.resume();
  });
}

/** Handshakes like a console and returns once the coordinator's first frame is in. */
export async function connectRaw(jmsIn: string, jmsOut: string, opts: RawOptions = {}): Promise<RawClient> {
  const tag = opts.tag ?? `${process.pid}-raw${++made}`;
  const requestFifo = `${jmsIn}.${tag}`;
  const replyFifo = `${jmsOut}.${tag}`;
  makeFifo(requestFifo);
  makeFifo(replyFifo);
  const replyOpen = openReader(replyFifo, { keepOpen: false, block: true });
  const holder = await openHolder(requestFifo);
  holder.on('error', () => undefined);
  const hello: Hello = { kind: 'hello', version: opts.version ?? PROTOCOL_VERSION, pid: process.pid, requestFifo, replyFifo };
  await writeAtomic(jmsIn, encode(hello), HANDSHAKE_MS);
  // On a refusal nobody opens our reply FIFO: end our own blocked open by being its writer.
  const unblock = (): void => void openWriter(replyFifo).then((s) => s.destroy(), () => undefined);
  const reader = await deadline(replyOpen, `the coordinator to open ${replyFifo}`, unblock);
  reader.on('error', () => undefined);

  const decoder = new LineDecoder(MAX_READ_FRAME);
  const frames: unknown[] = [];
  let welcome: unknown;
  const first = new Promise<void>((resolve, reject) => {
    reader.on('data', (chunk: Buffer) => {
      for (const d of decoder.push(chunk)) {
        const v = d.ok ? d.value : d;
        if (welcome === undefined) {
          welcome = v;
          resolve();
        } else {
          frames.push(v);
        }
      }
    });
    reader.once('end', () => reject(new Error(`EOF on ${replyFifo} before the coordinator's first frame`)));
  });
  await deadline(first, 'the handshake answer', () => reader.destroy());

  const client: RawClient = {
    requestFifo, replyFifo, frames,
    get welcome() {
      return welcome;
    },
    send: (data) => new Promise((resolve, reject) => holder.write(data, (err) => (err ? reject(err) : resolve()))),
    request: (req) => client.send(encode(req)),
    repliesTo: (id) => frames.filter((f): f is Record<string, unknown> => isRecord(f) && f['id'] === id),
    stopReading: () => void reader.pause(),
    resumeReading: () => void reader.resume(),
    close() {
      reader.destroy();
      holder.destroy();
    },
  };
  return client;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function deadline<T>(work: Promise<T>, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${HANDSHAKE_MS} ms waiting for ${what}`));
    }, HANDSHAKE_MS);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes bytes of any size into a FIFO with O_WRONLY|O_NONBLOCK, retrying a full pipe. */
export function writeRaw(path: string, data: Buffer | string): void {
  const buf = Buffer.from(data);
  const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  const until = Date.now() + HANDSHAKE_MS;
  try {
    let off = 0;
    while (off < buf.length) {
      try {
        off += fs.writeSync(fd, buf, off, buf.length - off);
      } catch (err) {
        if (errno(err) !== 'EAGAIN' || Date.now() > until) throw err;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function cli(argv: readonly string[]): Promise<void> {
  const [jmsIn = '', jmsOut = '', n = '1'] = argv;
  const client = await connectRaw(jmsIn, jmsOut, { tag: String(process.pid) });
  client.stopReading();
  for (let id = 1; id <= Number(n); id++) await client.request({ kind: 'status-all', id, sinceSec: null });
  process.stdout.write('ready\n');
  setInterval(() => undefined, 60_000);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`raw-client: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
