// logs <JobID> [--stderr] [-n N] [-f]: the console reads the job's output file itself
// (the coordinator's `info` says where it is; only the coordinator's user may connect,
// so the files are readable). With -f it keeps reading as the job writes, and ends
// once the job has ended and the file is read to its end.

import fs from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobView } from '../protocol/messages.js';
import type { LogsAction } from './commands.js';
import type { Connection } from './connection.js';

/** How often -f looks for new output and asks whether the job has ended. */
export const FOLLOW_POLL_MS = 200;
const CHUNK = 64 * 1024;

export type LogsOutcome = { ok: true } | { ok: false; code: string; message: string };

async function infoOf(conn: Connection, jobId: number): Promise<JobView | LogsOutcome> {
  const reply = await conn.request({ kind: 'info', jobId });
  if (reply.kind === 'error') return { ok: false, code: reply.code, message: reply.message };
  if (reply.kind !== 'info') return { ok: false, code: 'E_INTERNAL', message: `unexpected answer '${reply.kind}' to info` };
  return reply.job;
}

/** Splits bytes into lines, carrying a partial last line to the next chunk. */
class Lines {
  private carry = '';
  private readonly decoder = new TextDecoder('utf-8');

  push(chunk: Uint8Array, emit: (line: string) => void): void {
    const parts = (this.carry + this.decoder.decode(chunk, { stream: true })).split('\n');
    this.carry = parts.pop() ?? '';
    for (const p of parts) emit(p);
  }

  end(emit: (line: string) => void): void {
    const rest = this.carry + this.decoder.decode();
    this.carry = '';
    if (rest !== '') emit(rest);
  }
}

/** Reads `file` from `offset` to its current end; returns the new offset. */
function readFrom(file: string, offset: number, onChunk: (chunk: Uint8Array) => void): number {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, CHUNK, offset);
      if (n === 0) return offset;
      onChunk(buf.subarray(0, n));
      offset += n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

export async function showLogs(conn: Connection, action: LogsAction, emit: (line: string) => void): Promise<LogsOutcome> {
  const { jobId, stream } = action;
  let view = await infoOf(conn, jobId);
  if ('ok' in view) return view;
  // -f on a job still queued waits for it to start.
  while (view.dir === null && action.follow && view.status !== 'finished') {
    await sleep(FOLLOW_POLL_MS);
    view = await infoOf(conn, jobId);
    if ('ok' in view) return view;
  }
  if (view.dir === null) {
    const why = view.status === 'queued' ? "it has not started yet; 'logs -f' waits for it" : 'it never started';
    return { ok: false, code: 'E_NO_OUTPUT', message: `JobID ${jobId} has no output: ${why}.` };
  }
  const file = join(view.dir, `${stream}_${jobId}`);
  const lines = new Lines();
  // -n N: only the last N lines of what is there now are shown.
  const ring: string[] = [];
  const keep = action.lines === null ? emit : (line: string): void => {
    ring.push(line);
    if (ring.length > (action.lines ?? 0)) ring.shift();
  };
  let offset: number;
  try {
    offset = readFrom(file, 0, (chunk) => lines.push(chunk, keep));
  } catch (err) {
    return { ok: false, code: 'E_NO_OUTPUT', message: `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}; 'jms_script.sh list' shows the job directories.` };
  }
  if (!action.follow || view.status === 'finished') {
    lines.end(keep);
    for (const line of ring) emit(line);
    return { ok: true };
  }
  for (const line of ring) emit(line);
  for (;;) {
    await sleep(FOLLOW_POLL_MS);
    const now = await infoOf(conn, jobId);
    // Whatever it wrote before the answer is in the file by now: read once more, then stop.
    offset = readFrom(file, offset, (chunk) => lines.push(chunk, emit));
    if ('ok' in now) return now;
    if (now.status === 'finished') break;
  }
  lines.end(emit);
  return { ok: true };
}
