// logs <JobID> [--stderr] [-n N] [-f]: the console reads a local job's output file
// itself (the coordinator's `info` says where it is; only the coordinator's user may
// connect, so the files are readable); a job of another host is read there and served
// through the coordinator (read-log). The bytes shown are the job's bytes, exactly, copied in
// chunks with backpressure (protocol/file-tail.ts); -n N reads from the end. With -f it
// keeps reading as the job writes, and ends once the job has ended and the file is
// read to its end. An abort (^C) ends it at once.

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errno } from '../protocol/fifo.js';
import { copyRange, tailStart } from '../protocol/file-tail.js';
import type { JobView } from '../protocol/messages.js';
import { reasonOf } from '../protocol/paths.js';
import type { LogsAction } from './commands.js';
import type { Connection } from './connection.js';

/** How often -f looks for new output and asks whether the job has ended. */
export const FOLLOW_POLL_MS = 200;

type Failure = { ok: false; code: string; message: string };
export type LogsOutcome = { ok: true } | Failure | { cancelled: true };

/** Where the bytes go: `bytes` resolves once the reader has room for more. */
export interface LogSink {
  bytes(chunk: Buffer): Promise<void> | void;
  /** The output is complete (a last line without a newline can be flushed). */
  end(): void;
}

/** Waits `ms`, or rejects at the abort; timers/promises is loaded only by logs -f. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  const timers = await import('node:timers/promises');
  await timers.setTimeout(ms, undefined, { signal });
}

async function infoOf(conn: Connection, jobId: number, signal: AbortSignal): Promise<JobView | Failure> {
  const reply = await conn.request({ kind: 'info', jobId }, undefined, signal);
  if (reply.kind === 'error') return { ok: false, code: reply.code, message: reply.message };
  if (reply.kind !== 'info') return { ok: false, code: 'E_INTERNAL', message: `the coordinator answered info with '${reply.kind}'; use a jms_coord of the same JMS version.` };
  return reply.job;
}

/** The job's view and directory once it has one (-f waits for a queued job to start). */
async function started(conn: Connection, action: LogsAction, signal: AbortSignal): Promise<{ view: JobView; dir: string } | Failure> {
  let view = await infoOf(conn, action.jobId, signal);
  while (!('ok' in view) && view.dir === null && action.follow && view.status !== 'finished') {
    await sleep(FOLLOW_POLL_MS, signal);
    view = await infoOf(conn, action.jobId, signal);
  }
  if ('ok' in view) return view;
  if (view.dir !== null) return { view, dir: view.dir };
  const id = action.jobId;
  const why = view.status === 'queued' ? `it has not started yet; 'logs ${id} -f' waits for it` : `it never started; 'info ${id}' says why`;
  return { ok: false, code: 'E_NO_OUTPUT', message: `there is no output of JobID ${id}: ${why}.` };
}

function unreadable(action: LogsAction, file: string, err: unknown): Failure {
  const id = action.jobId;
  const what = errno(err) === 'ENOENT' ? `${file} is gone (was its directory purged?)` : `${file}: ${reasonOf(err)}`;
  return { ok: false, code: 'E_NO_OUTPUT', message: `cannot read the output of JobID ${id}: ${what}; 'info ${id}' shows the job.` };
}

export async function showLogs(conn: Connection, action: LogsAction, sink: LogSink | null, signal: AbortSignal): Promise<LogsOutcome> {
  try {
    return await copyLogs(conn, action, sink, signal);
  } catch (err) {
    if (signal.aborted) return { cancelled: true };
    throw err;
  }
}

/**
 * A job of another host: its output is read there and served through the coordinator
 * (read-log), a chunk at a time, each written before the next is read.
 */
async function servedLogs(conn: Connection, action: LogsAction, sink: LogSink | null, signal: AbortSignal): Promise<LogsOutcome> {
  let written: Promise<void> = Promise.resolve();
  const body = { kind: 'read-log' as const, jobId: action.jobId, stream: action.stream, lines: action.lines, follow: action.follow };
  const last = await conn.request(body, (item) => {
    if (item.kind !== 'chunk' || sink === null) return;
    const data = Buffer.from(item.data, 'base64');
    written = written.then(() => sink.bytes(data));
    conn.holdUntil(written);
  }, signal);
  await written;
  if (last.kind === 'error') return { ok: false, code: last.code, message: last.message };
  sink?.end();
  return { ok: true };
}

async function copyLogs(conn: Connection, action: LogsAction, sink: LogSink | null, signal: AbortSignal): Promise<LogsOutcome> {
  const found = await started(conn, action, signal);
  if (!('view' in found)) return found;
  const { view, dir } = found;
  if (view.host !== null && view.host !== 'local') return servedLogs(conn, action, sink, signal);
  const file = join(dir, `${action.stream}_${action.jobId}`);
  let fh: FileHandle;
  try {
    // fs.promises, not node:fs/promises: loaded at the first logs, not at every start.
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    return unreadable(action, file, err);
  }
  try {
    if (sink === null) return { ok: true };
    const write = (chunk: Buffer): Promise<void> | void => sink.bytes(chunk);
    const size = (await fh.stat()).size;
    const from = action.lines === null ? 0 : await tailStart(fh, size, action.lines, signal);
    let offset = await copyRange(fh, from, size, write, signal);
    let finished = view.status === 'finished';
    while (action.follow && !finished && !signal.aborted) {
      await sleep(FOLLOW_POLL_MS, signal);
      const now = await infoOf(conn, action.jobId, signal);
      if ('ok' in now) return now;
      finished = now.status === 'finished';
      // Whatever it wrote before the answer is in the file by now: read once more, then stop.
      offset = await copyRange(fh, offset, (await fh.stat()).size, write, signal);
    }
    if (signal.aborted) return { cancelled: true };
    sink.end();
    return { ok: true };
  } finally {
    await fh.close();
  }
}
