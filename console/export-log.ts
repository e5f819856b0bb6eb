// export-log: a job log in GNU parallel's --joblog format from the coordinator's full views
// of the jobs (batch-jobs): one tab-separated row per run that started and ended, earlier
// attempts first, Seq the JobID. Starttime is epoch seconds and JobRuntime seconds, each with
// three decimals and padded as parallel pads them (%10.3f, %8.3f); Send and Receive are 0.
// Exitval is the exit code, or -1 for a run that did not exit by itself; Signal the number of
// the signal that ended it, else 0.

import type { JobResult, JobView } from '../protocol/messages.js';
import { nodeOs } from '../protocol/node-os.js';

export const JOBLOG_HEADER = 'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand';

export interface JoblogRow {
  seq: number;
  host: string;
  startedAt: number;
  runtimeMs: number;
  exitval: number;
  signal: number;
  command: string;
  batch: string | null;
  name: string | null;
  /** 1 for the first run of the job. */
  attempt: number;
}

function signalNumber(name: string | null): number {
  if (name === null) return 0;
  const found = Object.entries(nodeOs().constants.signals).find(([k]) => k === name);
  return found === undefined ? 0 : found[1];
}

function exitOf(r: JobResult): { exitval: number; signal: number } {
  switch (r.kind) {
    case 'exited':
      return { exitval: r.code, signal: 0 };
    case 'signalled':
      return { exitval: -1, signal: signalNumber(r.signal) };
    case 'timed-out':
      return { exitval: r.code ?? -1, signal: signalNumber(r.signal) };
    case 'start-failed':
    case 'lost':
    case 'cancelled':
    case 'dependency-failed':
    case 'archive-failed':
      return { exitval: -1, signal: 0 };
  }
}

type Run = { host: string | null; startedAt: number | null; endedAt: number | null; result: JobResult | null };

/** The rows of `views`, by JobID, each job's attempts in order and then its last run. */
export function joblogRows(views: readonly JobView[]): JoblogRow[] {
  const rows: JoblogRow[] = [];
  for (const v of [...views].sort((a, b) => a.jobId - b.jobId)) {
    const runs: Run[] = [...v.attempts, ...(v.status === 'finished' ? [v] : [])];
    runs.forEach((r, i) => {
      if (r.startedAt === null || r.endedAt === null || r.result === null) return;
      rows.push({
        seq: v.jobId, host: r.host ?? '-', startedAt: r.startedAt, runtimeMs: Math.max(0, r.endedAt - r.startedAt), ...exitOf(r.result),
        command: v.command, batch: v.batch, name: v.name, attempt: i + 1,
      });
    });
  }
  return rows;
}

/** One row as parallel writes it; tabs and line breaks in the command become spaces. */
export function joblogLine(r: JoblogRow): string {
  const start = (r.startedAt / 1000).toFixed(3).padStart(10);
  const runtime = (r.runtimeMs / 1000).toFixed(3).padStart(8);
  return [r.seq, r.host, start, runtime, 0, 0, r.exitval, r.signal, r.command.replace(/[\t\r\n]/g, ' ')].join('\t');
}

export function joblogJson(r: JoblogRow): string {
  return JSON.stringify({
    seq: r.seq, host: r.host, startTime: r.startedAt / 1000, jobRuntime: r.runtimeMs / 1000, send: 0, receive: 0,
    exitval: r.exitval, signal: r.signal, command: r.command, batch: r.batch, name: r.name, attempt: r.attempt,
  });
}
