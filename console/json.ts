// --json: every answer as JSON with stable field names (README "JSON answers"): one
// document for a single answer, one per line for lists. Times are ISO 8601 (UTC).

import { outcomeOf, type JobBrief, type JobView, type Reply } from '../protocol/messages.js';

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The job document: status, info, wait and show-finished --long. */
export function jobDoc(v: JobView): Record<string, unknown> {
  const r = v.result;
  const exitCode = r === null ? null : r.kind === 'exited' ? r.code : r.kind === 'timed-out' ? r.code : null;
  const signal = r === null ? null : r.kind === 'signalled' ? r.signal : r.kind === 'timed-out' ? r.signal : null;
  const reason = r !== null && (r.kind === 'start-failed' || r.kind === 'lost' || r.kind === 'cancelled') ? r.reason : null;
  return {
    jobId: v.jobId,
    command: v.command,
    status: v.status,
    outcome: r === null ? null : outcomeOf(r),
    exitCode,
    signal,
    reason,
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
  };
}

export function briefDoc(b: JobBrief): Record<string, unknown> {
  return { jobId: b.jobId, status: b.status, runningForSec: b.runningForSec, outcome: b.outcome };
}

/** One batch item as its JSON line. */
export function itemJson(reply: Reply): string {
  switch (reply.kind) {
    case 'pool':
      return JSON.stringify({ pid: reply.pool.pid, jobs: reply.pool.jobs });
    case 'detail':
      return JSON.stringify(jobDoc(reply.job));
    case 'job':
      return JSON.stringify(briefDoc(reply.job));
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

export function errorJson(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
