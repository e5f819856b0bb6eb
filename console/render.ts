// The exact text of every answer (SPEC.md §2). Colour only through `paint`, which is
// a no-op unless stdout is a terminal and NO_COLOR is unset.

import { Chalk, type ChalkInstance } from 'chalk';
import { jobFailed, type JobBrief, type JobView, type Reply, type RequestKind } from '../protocol/messages.js';

export function makePaint(isTty: boolean): ChalkInstance {
  const off = !isTty || (process.env['NO_COLOR'] ?? '') !== '';
  return new Chalk({ level: off ? 0 : 1 });
}

function statusWord(job: JobBrief, paint: ChalkInstance, secWord: 'seconds' | 'sec'): string {
  switch (job.status) {
    case 'active':
      return paint.cyan(`Active (running for ${job.runningForSec ?? 0} ${secWord})`);
    case 'suspended':
      return paint.yellow('Suspended');
    case 'queued':
      return paint.dim('Queued');
    case 'finished':
      return job.failed ? paint.red('Finished') : paint.green('Finished');
  }
}

function brief(view: JobView): JobBrief {
  return { jobId: view.jobId, status: view.status, runningForSec: view.runningForSec, failed: jobFailed(view.result) };
}

const HEADERS: Partial<Record<RequestKind, string>> = {
  'show-active': 'Active jobs:',
  'show-pools': 'Pool & NumOfJobs:',
  'show-finished': 'Finished jobs:',
};

/** The line shown before a batch's items, if that batch has one. */
export function batchHeader(kind: RequestKind): string | null {
  return HEADERS[kind] ?? null;
}

/** One line for item number `n` (from 1) of a batch answer to `kind`. */
export function renderItem(kind: RequestKind, n: number, reply: Reply, paint: ChalkInstance): string {
  if (reply.kind === 'pool') return `${n}. ${reply.pool.pid} ${reply.pool.jobs}`;
  if (reply.kind !== 'job') return '';
  if (kind === 'status-all') return `${n}. JobID ${reply.job.jobId} Status: ${statusWord(reply.job, paint, 'sec')}`;
  return `${n}. JobID ${reply.job.jobId}`;
}

/** The text of a single answer; errors are rendered by the caller. */
export function renderSingle(reply: Reply, paint: ChalkInstance): string {
  switch (reply.kind) {
    case 'submitted':
      return `JobID: ${reply.jobId}, PID: ${reply.pid}`;
    case 'queued':
      return `JobID: ${reply.jobId}, ${paint.dim(`Queued (position ${reply.position})`)}`;
    case 'status':
      return `JobID ${reply.job.jobId} Status: ${statusWord(brief(reply.job), paint, 'seconds')}`;
    case 'signalled':
      return `Sent ${reply.action} signal to JobID ${reply.jobId}`;
    case 'served':
      return `Served ${reply.served} jobs, ${reply.inProgress} were still in progress`;
    case 'job':
    case 'pool':
    case 'end':
    case 'error':
      return '';
  }
}
