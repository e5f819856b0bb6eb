// Console sessions. A console's handshake on jms_in names its private FIFO pair; the
// coordinator checks both are FIFOs of its own user, answers with its version, then
// serves requests from that pair until the console goes (EOF on its request FIFO).
// A console that dies or stops reading mid-answer only ends its own session; a
// `cancel` (the console's ^C) ends one request: a wait or a batch still streaming.

import fs from 'node:fs';
import net from 'node:net';
import { LineDecoder, encode, encodeItem } from '../../protocol/codec.js';
import { FrameBatch } from '../../protocol/frame-batch.js';
import { openOwnFifo, removeFifo } from '../../protocol/fifo.js';
import { removeConsoleDir } from '../../protocol/paths.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION, type BatchItem, type Hello, type Reply, type Welcome } from '../../protocol/messages.js';
import { RequestCancelledError } from '../../protocol/errors.js';
import { parseRequest } from '../../protocol/parse.js';
import { dispatch, type Answer, type Context } from './dispatch.js';
import { LazyCancel } from './lazy-cancel.js';
import { log } from '../util/log.js';

/** A console that lets this much pile up unread is dropped. */
const MAX_UNREAD_BYTES = 64 * 1024 * 1024;
/** Nor may a console have more requests than this waiting for their answers. */
const MAX_WAITING = 10_000;
/** Batch frames are joined into writes of about this size. */
const WRITE_CHUNK = 64 * 1024;
/** A batch pauses while more than this is waiting for the console to read it. */
const STREAM_HIGH_WATER = 1024 * 1024;

export class Sessions {
  private readonly live = new Set<Session>();

  constructor(
    private readonly ctx: Context,
    private readonly uid: number,
    /** The coordinator's own FIFOs (dev:ino): a console may not name them as its own. */
    private readonly reserved: ReadonlySet<string>,
  ) {}

  get count(): number {
    return this.live.size;
  }

  async accept(hello: Hello): Promise<void> {
    const who = `console ${hello.pid}`;
    if (!hello.requestFifo.startsWith('/') || !hello.replyFifo.startsWith('/')) {
      log(`${who}: refused: its FIFO paths must be absolute`);
      return;
    }
    if ([hello.requestFifo, hello.replyFifo].some((path) => this.reserved.has(fileId(path)))) {
      log(`${who}: refused: it named the coordinator's own FIFOs as its private ones`);
      return;
    }
    let writer: net.Socket;
    let reader: net.Socket;
    try {
      writer = await openOwnFifo(hello.replyFifo, 'write', this.uid);
    } catch (err) {
      log(`${who}: refused: ${describe(err)}`);
      return;
    }
    writer.on('error', () => undefined);
    if (hello.version !== PROTOCOL_VERSION) {
      const message = `the coordinator speaks protocol ${PROTOCOL_VERSION} and this console ${hello.version}; use a jms_console and jms_coord of the same JMS version.`;
      writer.end(encode({ kind: 'refused', version: PROTOCOL_VERSION, message } satisfies Welcome));
      return;
    }
    try {
      reader = await openOwnFifo(hello.requestFifo, 'read', this.uid);
    } catch (err) {
      log(`${who}: refused: ${describe(err)}`);
      writer.destroy();
      return;
    }
    const session = new Session(hello, reader, writer, this.ctx, this.uid, () => this.live.delete(session));
    this.live.add(session);
    const { jobsPool, maxPools, outDir } = this.ctx.coord.config;
    const welcome: Welcome = { kind: 'welcome', version: PROTOCOL_VERSION, coordPid: process.pid, jobsPool, maxPools, outDir };
    writer.write(encode(welcome));
  }

  closeAll(): void {
    for (const session of this.live) session.close();
  }
}

class Session {
  private closed = false;
  /** Requests not yet answered in full (a console that never reads makes this grow). */
  private waiting = 0;
  /** Batches are streamed one after another, so only one is ever paused mid-write. */
  private batches: Promise<void> = Promise.resolve();
  /** Requests not yet answered in full, by id: a `cancel` aborts one. */
  private readonly cancels = new Map<number, LazyCancel>();
  /** Single answers of one turn of the loop, written together. */
  private readonly answers = new FrameBatch((data, done) => this.writeAnswers(data, done));

  constructor(
    private readonly hello: Hello,
    private readonly reader: net.Socket,
    private readonly writer: net.Socket,
    private readonly ctx: Context,
    private readonly uid: number,
    private readonly onClose: () => void,
  ) {
    const decoder = new LineDecoder(MAX_FRAME_BYTES);
    reader.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.ok) this.handle(frame.value);
        else this.send(badFrame(0, `the coordinator could not read a request (${frame.error}); use a jms_console of the same JMS version.`));
      }
    });
    reader.on('end', () => this.close());
    reader.on('error', () => this.close());
    writer.on('error', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    // What was answered goes out first (a shutdown answers every console, then closes them).
    this.answers.flush();
    this.closed = true;
    this.reader.destroy();
    this.writer.destroy();
    if (this.cancels.size > 0) log(`console ${this.hello.pid}: gone; forgot ${this.cancels.size} request(s) it was waiting for`);
    for (const c of this.cancels.values()) c.abort();
    // The console removes its FIFOs on exit; these are left by one that was killed.
    removeFifo(this.hello.requestFifo);
    removeFifo(this.hello.replyFifo);
    removeConsoleDir(this.hello.requestFifo, this.hello.replyFifo, this.hello.pid, this.uid);
    this.onClose();
  }

  private handle(value: unknown): void {
    const req = parseRequest(value);
    if ('invalid' in req) {
      this.send(badFrame(idOf(value), `the coordinator refused a request (${req.invalid}); use a jms_console of the same JMS version.`));
      return;
    }
    if (req.kind === 'cancel') {
      const pending = this.cancels.get(req.requestId);
      if (pending === undefined) return;
      log(`console ${this.hello.pid}: request ${req.requestId} cancelled`);
      pending.abort();
      return;
    }
    this.waiting += 1;
    if (this.waiting > MAX_WAITING) {
      log(`console ${this.hello.pid}: dropped, it left ${this.waiting} answers unread`);
      this.close();
      return;
    }
    const cancel = new LazyCancel();
    this.cancels.set(req.id, cancel);
    void dispatch(this.ctx, req, this.hello.pid, cancel).then((answer) => this.answer(req.id, answer, cancel));
  }

  private answer(id: number, answer: Answer, cancel: LazyCancel): void {
    if ('reply' in answer) {
      this.waiting -= 1;
      this.cancels.delete(id);
      this.send(answer.reply, answer.after);
      return;
    }
    this.batches = this.batches
      .then(() => this.stream(id, answer.items, cancel.signal))
      .catch((err: unknown) => log(`console ${this.hello.pid}: a batch answer failed: ${describe(err)}`))
      .finally(() => {
        this.waiting -= 1;
        this.cancels.delete(id);
      });
  }

  /**
   * Writes a batch as it is produced, a chunk at a time, pausing while the console has
   * not read what was sent: a long answer is never held whole in memory.
   */
  private async stream(id: number, items: Iterable<BatchItem> | AsyncIterable<BatchItem>, cancelled: AbortSignal): Promise<void> {
    if (Symbol.asyncIterator in items) return this.streamLive(id, items, cancelled);
    let count = 0;
    let chunk = '';
    for (const item of items) {
      if (this.closed) return;
      if (cancelled.aborted) {
        const err = new RequestCancelledError();
        await this.writeWhenRoom(chunk + encode({ kind: 'error', id, code: err.code, message: err.message } satisfies Reply));
        return;
      }
      chunk += encodeItem(item, id);
      count += 1;
      if (chunk.length < WRITE_CHUNK) continue;
      if (!(await this.writeWhenRoom(chunk))) return;
      chunk = '';
    }
    await this.writeWhenRoom(chunk + encode({ kind: 'end', id, count } satisfies Reply));
  }

  /**
   * A batch whose items come as they happen (a job's output as it writes it): each goes
   * out at once; leaving the loop (the console gone) closes the source.
   */
  private async streamLive(id: number, items: AsyncIterable<BatchItem>, cancelled: AbortSignal): Promise<void> {
    let count = 0;
    for await (const item of items) {
      if (this.closed) return;
      if (cancelled.aborted) {
        const err = new RequestCancelledError();
        await this.writeWhenRoom(encode({ kind: 'error', id, code: err.code, message: err.message } satisfies Reply));
        return;
      }
      count += 1;
      if (!(await this.writeWhenRoom(encodeItem(item, id)))) return;
    }
    await this.writeWhenRoom(encode({ kind: 'end', id, count } satisfies Reply));
  }

  /** Writes once the console has read all but STREAM_HIGH_WATER; false if it is gone. */
  private async writeWhenRoom(data: string): Promise<boolean> {
    if (this.writer.writableLength > STREAM_HIGH_WATER) await this.drained();
    if (this.closed) return false;
    // Single answers queued before this go out before it.
    this.answers.flush();
    this.writer.write(data);
    return true;
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.writer.off('drain', done);
        this.writer.off('close', done);
        resolve();
      };
      this.writer.once('drain', done);
      this.writer.once('close', done);
    });
  }

  /**
   * Queues one single answer (the answers of one turn of the loop go out in one write);
   * `after` runs once it is out (or the console is gone).
   */
  private send(reply: Reply, after?: () => void): void {
    if (this.closed) {
      after?.();
      return;
    }
    this.answers.push(encode(reply), after);
  }

  private writeAnswers(data: string, done?: () => void): void {
    if (this.closed) {
      done?.();
      return;
    }
    this.writer.write(data, () => done?.());
    if (this.writer.writableLength > MAX_UNREAD_BYTES) {
      log(`console ${this.hello.pid}: dropped, it left ${this.writer.writableLength} bytes unread`);
      this.close();
    }
  }
}

function badFrame(id: number, message: string): Reply {
  return { kind: 'error', id, code: 'E_BAD_REQUEST', message };
}

/** The request id of a frame that failed to parse, when it has a usable one. */
function idOf(value: unknown): number {
  if (typeof value === 'object' && value !== null && 'id' in value && Number.isSafeInteger(value.id) && Number(value.id) >= 0) {
    return Number(value.id);
  }
  return 0;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A file's identity (dev:ino) without following links; '' if it cannot be read. */
export function fileId(path: string): string {
  try {
    const st = fs.lstatSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return '';
  }
}
