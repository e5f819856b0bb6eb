// --json: every answer as JSON with stable field names (README "JSON answers"): one
// document for a single answer, one per line for lists. Times are ISO 8601 (UTC).

import { outcomeOf, type AttemptView, type BatchView, type JobBrief, type JobResult, type JobView, type Reply } from '../protocol/messages.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** How a run ended, as the job document tells it. */
function endingDoc(r: JobResult | null): { outcome: string | null; exitCode: number | null; signal: string | null; reason: string | null } {
  const exitCode = r === null ? null : r.kind === 'exited' ? r.code : r.kind === 'timed-out' ? r.code : null;
  const signal = r === null ? null : r.kind === 'signalled' ? r.signal : r.kind === 'timed-out' ? r.signal : null;
  const reason = r === null ? null : r.kind === 'start-failed' || r.kind === 'lost' || r.kind === 'cancelled' || r.kind === 'archive-failed' ? r.reason
    : r.kind === 'dependency-failed' ? `JobID ${r.jobId} ${r.outcome}` : null;
  return { outcome: r === null ? null : outcomeOf(r), exitCode, signal, reason };
}

function attemptDoc(a: AttemptView): Record<string, unknown> {
  return { host: a.host, dir: a.dir, startedAt: iso(a.startedAt), endedAt: iso(a.endedAt), ...endingDoc(a.result) };
}

/** The job document: status, info, wait, show-finished --long and export-log's batch-jobs. */
export function jobDoc(v: JobView): Record<string, unknown> {
  return {
    jobId: v.jobId,
    command: v.command,
    status: v.status,
    ...endingDoc(v.result),
    pid: v.pid,
    poolPid: v.poolPid,
    dir: v.dir,
    submittedAt: iso(v.submittedAt),
    startedAt: iso(v.startedAt),
    endedAt: iso(v.endedAt),
    runningForSec: v.runningForSec,
    timeoutSec: v.timeoutSec,
    cwd: v.cwd,
    submittedBy: v.origin,
    pausedByPauseAll: v.pause !== null,
    pauseEndsAt: iso(v.pause?.until ?? null),
    host: v.host,
    needs: v.needs,
    waiting: v.waiting,
    batch: v.batch,
    name: v.name,
    kind: v.kind,
    after: v.after,
    retries: v.retries,
    attempts: v.attempts.map(attemptDoc),
    priority: v.priority,
    beginAt: iso(v.beginAt),
    hooks: v.hooks,
    archive: v.archive,
  };
}

/** A batch as status-batch and show-batches give it. */
export function batchDoc(b: BatchView): Record<string, unknown> {
  return { ...b, submittedAt: iso(b.submittedAt) };
}

export function briefDoc(b: JobBrief): Record<string, unknown> {
  return { jobId: b.jobId, status: b.status, runningForSec: b.runningForSec, outcome: b.outcome };
}

/** One batch item as its JSON line. */
export function itemJson(reply: Reply): string {
  switch (reply.kind) {
    case 'pool': {
      const { pid, jobs, long, host } = reply.pool;
      return JSON.stringify(long === undefined ? { pid, jobs } : { pid, jobs, host, taken: long.taken, capacity: long.capacity, spare: long.spare });
    }
    case 'host': {
      const { pause, ...h } = reply.host;
      return JSON.stringify({ ...h, paused: pause !== null, pausedUntil: pause === null ? null : iso(pause.until) });
    }
    case 'detail':
      return JSON.stringify(jobDoc(reply.job));
    case 'job':
      return JSON.stringify(briefDoc(reply.job));
    case 'batch':
      return JSON.stringify(batchDoc(reply.batch));
    case 'file':
      return JSON.stringify({ root: reply.root, path: reply.file.path, size: reply.file.size });
    default:
      return '';
  }
}

/** A single answer as one JSON document. */
export function singleJson(reply: Reply): string {
  const doc = ((): Record<string, unknown> => {
    switch (reply.kind) {
      case 'submitted':
        return { jobId: reply.jobId, status: 'active', pid: reply.pid };
      case 'queued':
        return { jobId: reply.jobId, status: 'queued', position: reply.position };
      case 'status':
      case 'info':
        return jobDoc(reply.job);
      case 'signalled':
        return { jobId: reply.jobId, action: reply.action, removedFromQueue: false };
      case 'dequeued':
        return { jobId: reply.jobId, action: 'kill', removedFromQueue: true };
      case 'paused':
        return { paused: reply.jobs, until: iso(reply.until) };
      case 'resumed-all':
        return { resumed: reply.jobs };
      case 'served':
        return { served: reply.served, inProgress: reply.inProgress };
      case 'error':
        return { error: { code: reply.code, message: reply.message } };
      case 'host-switched':
        return { host: reply.host, state: reply.state, running: reply.running };
      case 'batch-submitted':
        return { batch: reply.batch, jobs: reply.jobs, firstJobId: reply.firstJobId, lastJobId: reply.lastJobId, builds: reply.builds };
      case 'batch-killed':
        return { batch: reply.batch, dequeued: reply.dequeued, signalled: reply.signalled };
      case 'batch':
        return batchDoc(reply.batch);
      case 'batch-part':
      case 'file':
      case 'job':
      case 'detail':
      case 'pool':
      case 'host':
      case 'chunk':
      case 'end':
        return {};
    }
  })();
  return JSON.stringify(doc);
}

/** An error document; `errors`: the mistakes it sums up (a batch file's), when there are. */
export function errorJson(code: string, message: string, errors: readonly string[] = []): string {
  return JSON.stringify({ error: errors.length === 0 ? { code, message } : { code, message, errors } });
}

/** A long line goes out as documents of at most this many bytes each. */
export const LOG_PIECE_BYTES = 64 * 1024;

/**
 * `logs --json`: the job's bytes as one `{"jobId","stream","line","newline"}` document
 * per line. `newline` is false for a last line without one and for each piece but the
 * last of a line longer than LOG_PIECE_BYTES, so joining `line` (plus "\n" where
 * `newline`) gives the output back; invalid UTF-8 shows as U+FFFD here only.
 */
export class JsonLogLines {
  private readonly parts: Buffer[] = [];
  private held = 0;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly head: { jobId: number; stream: string },
    private readonly emit: (doc: string) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      // Whole pieces of a long line first, each its own document.
      while (this.held + (end - start) > LOG_PIECE_BYTES) {
        const take = LOG_PIECE_BYTES - this.held;
        this.parts.push(chunk.subarray(start, start + take));
        this.flush(false);
        start += take;
      }
      if (nl < 0) {
        if (start < chunk.length) {
          this.parts.push(Buffer.from(chunk.subarray(start)));
          this.held += chunk.length - start;
        }
        return;
      }
      this.parts.push(chunk.subarray(start, nl));
      this.flush(true);
      start = nl + 1;
    }
  }

  end(): void {
    if (this.held > 0) this.flush(false, true);
  }

  private flush(newline: boolean, last = false): void {
    const bytes = Buffer.concat(this.parts);
    this.parts.length = 0;
    this.held = 0;
    // A piece of a longer line may end inside a character: the decoder carries it over.
    const line = this.decoder.decode(bytes, { stream: !newline && !last });
    this.emit(JSON.stringify({ ...this.head, line, newline }));
  }
}
