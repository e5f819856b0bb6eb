// A console's connection to its coordinator. The console makes its private FIFO pair
// (jms_in, jms_out, mode 0600) in a fresh directory of its own (mkdtemp next to the
// shared jms_in, mode 0700, protocol/paths.ts), sends a handshake naming them on the
// shared jms_in in one atomic write, and waits (bounded) for the coordinator's welcome.
// Every way set-up can fail is one sentence (exit status 3) and leaves nothing behind.
// Replies are routed to the request with their id; a batch ends with its `end` frame.
// EOF on the reply FIFO means the coordinator is gone: every pending request fails.

import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { LineDecoder, encode } from '../protocol/codec.js';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import type { FdReader, FdWriter } from '../protocol/fd-io.js';
import { errno, makeFifos, openDirectHolder, openDirectReader, openWriterFd, pathKind, removeFifo, writeFrame } from '../protocol/fifo.js';
import { BATCH_REQUESTS, MAX_FRAME_BYTES, PROTOCOL_VERSION, type Hello, type Reply, type Request, type Welcome } from '../protocol/messages.js';
import { parseReply, parseWelcome } from '../protocol/parse.js';
import { checkPrivateDir, consoleDirPrefix, PathError, reasonOf, removeConsoleDir, type FifoPaths } from '../protocol/paths.js';
import { stdio } from './output.js';

export const HANDSHAKE_TIMEOUT_MS = 5000;

/** The console could not set itself up (its private FIFOs, a bad -r): exit status 3. */
export class ConsoleSetupError extends Error {}

/** A request given up on by the console (^C): its answer, if any comes, is dropped. */
export class CancelledError extends Error {}

type Pending = {
  /** A request answered by a batch: its item frames come before its end. */
  batch: boolean;
  onItem: (reply: Reply) => void;
  resolve: (last: Reply) => void;
  reject: (err: Error) => void;
};

type Welcomed = Extract<Welcome, { kind: 'welcome' }>;

/** The command that would start a coordinator these FIFOs reach (for hints). */
export function startCommand(paths: FifoPaths): string {
  let cmd = 'jms_coord -l jms_output -n 3';
  if (paths.fromFlag.jmsIn) cmd += ` -r ${paths.jmsIn}`;
  if (paths.fromFlag.jmsOut) cmd += ` -w ${paths.jmsOut}`;
  return cmd;
}

/**
 * Checks jms_in and jms_out before anything is made: a missing coordinator, a bad -w or -r.
 * Resolves with jms_in opened for writing, where the hello goes.
 */
async function checkShared(paths: FifoPaths): Promise<number> {
  const { jmsIn, jmsOut } = paths;
  const start = `start one with '${startCommand(paths)}'`;
  if (paths.dir !== null) checkPrivateDir(paths.dir);
  const kind = pathKind(jmsIn);
  if (kind === 'missing') throw new CoordinatorNotRunningError(`no coordinator is running: ${jmsIn} does not exist; ${start}.`);
  if (kind !== 'fifo') throw new CoordinatorNotRunningError(`${jmsIn} is not a FIFO, so no coordinator listens there; give -w the FIFO a coordinator reads (its -r), or ${start}.`);
  let fd: number;
  try {
    fd = openWriterFd(jmsIn);
  } catch (err) {
    if (err instanceof CoordinatorNotRunningError) {
      throw new CoordinatorNotRunningError(`no coordinator is listening on ${jmsIn} (one that was killed left it); ${start}.`);
    }
    throw new ConsoleSetupError(`cannot open ${jmsIn}: ${reasonOf(err)}; run jms_console as the user that runs the coordinator.`);
  }
  const out = pathKind(jmsOut);
  if (out !== 'fifo') {
    const what = out === 'missing' ? 'does not exist' : 'is not a FIFO';
    const sibling = join(dirname(jmsIn), 'jms_out');
    const fix = sibling !== jmsOut && pathKind(sibling) === 'fifo' ? `, e.g. '-r ${sibling}'` : '';
    fs.closeSync(fd);
    throw new ConsoleSetupError(`${jmsOut} ${what}, so it is not the jms_out of the coordinator on ${jmsIn}; give -r the FIFO that coordinator writes (its -w)${fix}.`);
  }
  return fd;
}

/** The console's private directory and FIFO pair, removed again on every way out. */
function makePrivate(jmsIn: string): { dir: string; requestFifo: string; replyFifo: string; remove: () => void } {
  const parent = dirname(jmsIn);
  let dir: string;
  try {
    dir = fs.mkdtempSync(join(parent, consoleDirPrefix(process.pid)));
  } catch (err) {
    throw new ConsoleSetupError(`cannot create this console's private directory in ${parent}: ${reasonOf(err)}; run jms_console as the user that runs the coordinator.`);
  }
  const requestFifo = join(dir, 'jms_in');
  const replyFifo = join(dir, 'jms_out');
  const uid = process.getuid?.() ?? 0;
  const remove = (): void => {
    removeFifo(requestFifo);
    removeFifo(replyFifo);
    removeConsoleDir(requestFifo, replyFifo, process.pid, uid);
  };
  try {
    fs.chmodSync(dir, 0o700);
    makeFifos([requestFifo, replyFifo]);
  } catch (err) {
    remove();
    throw new ConsoleSetupError(`cannot create this console's FIFOs in ${dir}: ${reasonOf(err)}; check the space and permissions of ${parent}.`);
  }
  return { dir, requestFifo, replyFifo, remove };
}

/**
 * The frames of a batch answer before its end frame. `batch` is also the single answer of
 * status-batch: an item only in the answer to a request answered by a batch.
 */
const ITEM_KINDS: ReadonlySet<Reply['kind']> = new Set<Reply['kind']>(['job', 'pool', 'detail', 'host', 'chunk', 'batch', 'file']);

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private gone: Error | null = null;
  /** Called once if the coordinator goes away. */
  onGone: (err: Error) => void = () => undefined;

  private constructor(
    private readonly writer: FdWriter,
    private readonly reader: FdReader,
    private readonly decoder: LineDecoder,
    readonly welcome: Welcomed,
    readonly paths: FifoPaths,
  ) {
    reader.on('data', (chunk: Buffer) => this.receive(chunk));
    const lost = (): void => this.lose(new CoordinatorNotRunningError(`the coordinator closed the connection (it has shut down or died); start one again with '${startCommand(paths)}'.`));
    reader.on('end', lost);
    reader.on('error', lost);
    writer.on('error', lost);
    reader.resume();
  }

  get coordPid(): number {
    return this.welcome.coordPid;
  }

  static async open(paths: FifoPaths): Promise<Connection> {
    let shared: number;
    try {
      shared = await checkShared(paths);
    } catch (err) {
      if (err instanceof PathError) throw new ConsoleSetupError(err.message);
      throw err;
    }
    let own: ReturnType<typeof makePrivate>;
    try {
      own = makePrivate(paths.jmsIn);
    } catch (err) {
      fs.closeSync(shared);
      throw err;
    }
    process.on('exit', own.remove);
    try {
      return await Connection.handshake(paths, shared, own.requestFifo, own.replyFifo);
    } catch (err) {
      own.remove();
      if (err instanceof CoordinatorNotRunningError || err instanceof ConsoleSetupError) throw err;
      throw new ConsoleSetupError(`could not connect to the coordinator on ${paths.jmsIn}: ${reasonOf(err)}; try again, or see the coordinator's log.`);
    }
  }

  private static async handshake(paths: FifoPaths, shared: number, requestFifo: string, replyFifo: string): Promise<Connection> {
    const hello: Hello = { kind: 'hello', version: PROTOCOL_VERSION, pid: process.pid, requestFifo, replyFifo };
    let first: FdReader | undefined;
    let writer: FdWriter | undefined;
    try {
      // Read-write, so the open never blocks; its read is woken at exit (protocol/fd-io.ts).
      first = openDirectReader(replyFifo, { keepOpen: true });
      writer = openDirectHolder(requestFifo);
      // The leading newline ends any partial line a broken writer left in jms_in, so
      // that garbage cannot swallow this handshake; the empty line is ignored.
      await writeFrame(shared, `\n${encode(hello)}`, HANDSHAKE_TIMEOUT_MS, paths.jmsIn);
    } catch (err) {
      first?.destroy();
      writer?.destroy();
      // EPIPE: the coordinator went away since jms_in was opened.
      if (err instanceof CoordinatorNotRunningError || errno(err) === 'EPIPE') {
        throw new CoordinatorNotRunningError(`no coordinator is listening on ${paths.jmsIn}; start one with '${startCommand(paths)}'.`);
      }
      throw err;
    } finally {
      fs.closeSync(shared);
    }
    const reading = first;
    const decoder = new LineDecoder(MAX_FRAME_BYTES);
    const value = await withDeadline(firstFrame(reading, decoder), () => reading.destroy(), paths.jmsIn);
    const welcome = parseWelcome(value);
    if ('invalid' in welcome) throw new CoordinatorNotRunningError(`the coordinator's handshake answer was unreadable (${welcome.invalid}); use a jms_console and jms_coord of the same JMS version.`);
    if (welcome.kind === 'refused') throw new CoordinatorNotRunningError(welcome.message);
    // The welcome proves the coordinator holds the write end; from here on the replies
    // are read through a read-only descriptor, which sees end-of-file when it goes.
    // `reading` is still open read-write, a writer: this open does not wait.
    const reader = openDirectReader(replyFifo, { keepOpen: false });
    reading.destroy();
    return new Connection(writer, reader, decoder, welcome, paths);
  }

  /**
   * Sends one request; `onItem` sees each batch item; resolves with the last frame. An
   * abort (^C) sends `cancel`, so the coordinator forgets it, and rejects at once with
   * CancelledError: the answer the coordinator still sends is dropped.
   */
  request(body: DistributiveOmit<Request, 'id'>, onItem: (reply: Reply) => void = () => undefined, signal?: AbortSignal): Promise<Reply> {
    if (this.gone !== null) return Promise.reject(this.gone);
    const id = this.nextId++;
    const frame = encode({ ...body, id });
    if (Buffer.byteLength(frame) > MAX_FRAME_BYTES) {
      return Promise.reject(new RangeError(`the request is ${Buffer.byteLength(frame)} bytes, more than the ${MAX_FRAME_BYTES} a request may have; put the job in a script and submit that.`));
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        if (this.gone === null) this.writer.write(encode({ kind: 'cancel', id: this.nextId++, requestId: id }));
        reject(new CancelledError('cancelled'));
      };
      const settle = <T>(fn: (v: T) => void) => (v: T): void => {
        signal?.removeEventListener('abort', onAbort);
        fn(v);
      };
      this.pending.set(id, { batch: BATCH_REQUESTS.has(body.kind), onItem, resolve: settle(resolve), reject: settle(reject) });
      this.writer.write(frame);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Stops reading answers until `until` settles: a consumer that cannot keep up (a slow
   * stdout) holds the coordinator back instead of piling its answers up here.
   */
  holdUntil(until: Promise<unknown>): void {
    this.reader.pause();
    void until.finally(() => {
      if (this.gone === null) this.reader.resume();
    });
  }

  close(): void {
    this.gone ??= new Error('the connection is closed.');
    this.reader.destroy();
    this.writer.destroy();
  }

  private receive(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      const reply = frame.ok ? parseReply(frame.value) : { invalid: frame.error };
      if ('invalid' in reply) {
        stdio.err(`jms_console: error: ignored an unreadable answer of the coordinator (${reply.invalid}); use a jms_coord of the same JMS version.`);
        continue;
      }
      // A request the coordinator could not read comes back with id 0: it is the oldest one.
      const id = reply.id === 0 ? (this.pending.keys().next().value ?? 0) : reply.id;
      const waiting = this.pending.get(id);
      if (waiting === undefined) continue;
      if (waiting.batch && ITEM_KINDS.has(reply.kind)) {
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

function firstFrame(reader: FdReader, decoder: LineDecoder): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const [frame] = decoder.push(chunk);
      if (frame === undefined) return;
      reader.off('data', onData);
      reader.pause();
      if (frame.ok) resolve(frame.value);
      else reject(new CoordinatorNotRunningError(`the coordinator's handshake answer was unreadable (${frame.error}); use a jms_console and jms_coord of the same JMS version.`));
    };
    reader.on('data', onData);
    reader.resume();
  });
}

async function withDeadline<T>(work: Promise<T>, cancel: () => void, inPath: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      cancel();
      reject(new CoordinatorNotRunningError(`the coordinator on ${inPath} did not answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s (it may be stuck, or it refused this console); its log says which.`));
    }, HANDSHAKE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
