// The exact text of every answer (SPEC.md §2 for the classic ones, README "Commands"
// for the rest). Colour only through `paint`, which is a no-op unless stdout is a
// terminal and NO_COLOR is unset.

import { outcomeOf, type HostInfo, type JobBrief, type JobResult, type JobView, type PoolView, type Reply, type RequestKind } from '../protocol/messages.js';
import { formatDuration } from '../protocol/duration.js';
import { batchInfoLines, batchLine, batchStatusLines, finishedNote } from './batch-render.js';
import type { Paint } from './paint.js';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time as YYYY-MM-DD HH:MM:SS. */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** HH:MM:SS today, the full local time otherwise. */
function clock(ms: number): string {
  const full = localTime(ms);
  return full.slice(0, 10) === localTime(Date.now()).slice(0, 10) ? full.slice(11) : full;
}

function pauseNote(pause: { until: number | null }): string {
  return pause.until === null ? 'pause-all, until resume-all' : `pause-all, resumes by itself at ${clock(pause.until)}`;
}

/** How a finished job ended: its outcome word and the detail that goes with it. */
export function ending(result: JobResult): { word: string; detail: string; sep: ' ' | ': ' } {
  const word = outcomeOf(result).replace('-', ' ');
  switch (result.kind) {
    case 'exited':
      return { word, detail: `exit code ${result.code}`, sep: ' ' };
    case 'signalled':
      return { word, detail: result.signal, sep: ' ' };
    case 'timed-out': {
      const how = result.signal ?? `exit code ${result.code ?? 0}`;
      return { word: `${word} after ${formatDuration(result.afterSec)}`, detail: how, sep: ' ' };
    }
    case 'start-failed':
    case 'lost':
    case 'cancelled':
    case 'archive-failed':
      return { word, detail: result.reason, sep: ': ' };
    case 'dependency-failed':
      return { word, detail: `JobID ${result.jobId} ${result.outcome.replace('-', ' ')}`, sep: ': ' };
  }
}

/** `JobID 4 succeeded (exit code 0)`, `JobID 5 failed: <why it could not start>` … */
export function outcomeLine(jobId: number, result: JobResult | null, paint: Paint): string {
  if (result === null) return `JobID ${jobId} has not finished`;
  const e = ending(result);
  const word = outcomeOf(result) === 'succeeded' ? paint.green(e.word) : paint.red(e.word);
  return e.sep === ' ' ? `JobID ${jobId} ${word} (${e.detail})` : `JobID ${jobId} ${word}: ${e.detail}`;
}

function statusWord(job: JobBrief, paint: Paint, secWord: 'seconds' | 'sec'): string {
  switch (job.status) {
    case 'active':
      return paint.cyan(`Active (running for ${job.runningForSec ?? 0} ${secWord})`);
    case 'suspended':
      return paint.yellow('Suspended');
    case 'queued':
      return paint.dim('Queued');
    case 'finished':
      return job.outcome === 'succeeded' ? paint.green('Finished') : paint.red('Finished');
  }
}

export function brief(view: JobView): JobBrief {
  const outcome = view.result === null ? null : outcomeOf(view.result);
  return { jobId: view.jobId, status: view.status, runningForSec: view.runningForSec, outcome };
}

/** The Status of `status` (classic) and of `info` (`full`: with how it ended). */
function statusOfView(view: JobView, paint: Paint, full: boolean): string {
  const word = statusWord(brief(view), paint, 'seconds');
  if (view.pause !== null) return `${word} (${pauseNote(view.pause)})`;
  // With a hosts file only: what a queued job waits for (`Queued (waiting for Slurm job 12: Resources)`).
  if (view.status === 'queued' && view.waiting !== null) return `${word} (${view.waiting})`;
  if (!full || view.result === null) return word;
  const e = ending(view.result);
  return e.sep === ' ' ? `${word} (${e.word}, ${e.detail})` : `${word} (${e.word}: ${e.detail})`;
}

function dash(v: string | number | null): string {
  return v === null ? '-' : String(v);
}

/** `info`: one `Field: value` per line, in the README's order. */
export function infoLines(view: JobView, paint: Paint): string[] {
  const r = view.result;
  const exit = r === null ? '-' : r.kind === 'exited' ? `code ${r.code}` : r.kind === 'signalled' ? `signal ${r.signal}`
    : r.kind === 'timed-out' ? (r.signal !== null ? `signal ${r.signal}` : `code ${r.code ?? 0}`) : '-';
  const o = view.origin;
  const time = (ms: number | null): string => (ms === null ? '-' : localTime(ms));
  return [
    `JobID: ${view.jobId}`,
    `Command: ${view.command}`,
    `Status: ${statusOfView(view, paint, true)}`,
    `PID: ${dash(view.pid)}`,
    `Pool: ${dash(view.poolPid)}`,
    `Host: ${dash(view.host)}`,
    `Directory: ${dash(view.dir)}`,
    `Submitted: ${time(view.submittedAt)}`,
    `Started: ${time(view.startedAt)}`,
    `Ended: ${time(view.endedAt)}`,
    `Exit: ${exit}`,
    `Timeout: ${view.timeoutSec === null ? 'none' : formatDuration(view.timeoutSec)}`,
    `Working directory: ${dash(view.cwd)}`,
    `Submitted by: ${o === null ? '-' : `${o.user}@${o.host}, console pid ${o.consolePid}`}`,
    ...batchInfoLines(view),
  ];
}

const HEADERS: Partial<Record<RequestKind, string>> = {
  'show-active': 'Active jobs:',
  'show-pools': 'Pool & NumOfJobs:',
  'show-finished': 'Finished jobs:',
  'show-queued': 'Queued jobs:',
  'show-hosts': 'Hosts:',
  'show-batches': 'Batches:',
};

/** The line shown before a batch's items, if that batch has one. */
export function batchHeader(kind: RequestKind): string | null {
  return HEADERS[kind] ?? null;
}

/** One line for item number `n` (from 1) of a batch answer to `kind`. */
export function renderItem(kind: RequestKind, n: number, reply: Reply, paint: Paint): string {
  if (reply.kind === 'pool') return `${n}. ${reply.pool.pid} ${reply.pool.jobs}${poolNote(reply.pool)}`;
  if (reply.kind === 'host') return `${n}. ${hostLine(reply.host, paint)}`;
  if (reply.kind === 'batch') return `${n}. ${batchLine(reply.batch, paint)}`;
  if (reply.kind === 'file') return `${n}. ${reply.file.path} (${reply.file.size} bytes)`;
  if (reply.kind === 'detail') {
    const line = outcomeLine(reply.job.jobId, reply.job.result, paint);
    if (kind === 'wait') return line;
    return kind === 'show-finished' ? `${n}. ${line}${finishedNote(reply.job)}` : `${n}. ${line}`;
  }
  if (reply.kind !== 'job') return '';
  if (kind === 'status-all') return `${n}. JobID ${reply.job.jobId} Status: ${statusWord(reply.job, paint, 'sec')}`;
  return `${n}. JobID ${reply.job.jobId}`;
}

/** One host of show-hosts: `h1 up: tags gpu, openfoam; 1 of 2 slots in use; 1 pool`. */
function hostLine(h: HostInfo, paint: Paint): string {
  const state = h.state === 'up' ? paint.green('up') : h.state === 'down' ? paint.red('down') : paint.yellow(h.state);
  const notes = [
    `tags ${h.tags.length === 0 ? '-' : h.tags.join(', ')}`,
    `${h.used} of ${h.slots} slot${h.slots === 1 ? '' : 's'} in use`,
    `${h.pools} pool${h.pools === 1 ? '' : 's'}`,
  ];
  if (h.pause !== null) notes.push(h.pause.until === null ? 'paused until resume-all' : `paused until ${clock(h.pause.until)}`);
  if (!h.windowOpen) notes.push('outside its run windows');
  if (h.why !== null && h.state === 'down') notes.push(h.why);
  return `${h.name} ${state}: ${notes.join('; ')}`;
}

/**
 * A Slurm host's pools under its show-hosts line, one each:
 * `  pool 3: Slurm job 1234 RUNNING on n1 (-C big, 2m), 1 job` or
 * `  pool 4: Slurm job 1235 PENDING (Resources) (-C big&tagA, 2m), 0 jobs`.
 */
export function allocationLines(host: HostInfo): string[] {
  return (host.allocations ?? []).map((a) => {
    const asked = [a.features.length > 0 ? `-C ${a.features.join('&')}` : '', a.timeSec === null ? '' : formatDuration(a.timeSec)].filter((x) => x !== '');
    const job = a.id === null ? 'Slurm job (not queued yet)' : `Slurm job ${a.id}`;
    const where = a.node === null || a.state === 'PENDING' ? '' : ` on ${a.node}`;
    const why = a.reason === null ? '' : ` (${a.reason})`;
    return `  pool ${a.pool}: ${job} ${a.state}${why}${where}${asked.length > 0 ? ` (${asked.join(', ')})` : ''}, ${a.jobs === 1 ? '1 job' : `${a.jobs} jobs`}`;
  });
}

/** host-off / host-on. */
function switchedLine(r: Extract<Reply, { kind: 'host-switched' }>): string {
  if (r.state !== 'off' && r.state !== 'draining') return `Switched on ${r.host}: jobs start there again`;
  return r.running === 0 ? `Switched off ${r.host}: no job starts there until host-on ${r.host}`
    : `Switched off ${r.host}: no job starts there until host-on ${r.host}; ${jobsWord(r.running)} finish there`;
}

/** show-pools --long: what the pool has taken, and which is the spare. */
function poolNote(pool: PoolView): string {
  const l = pool.long;
  if (l === undefined) return '';
  const on = pool.host === 'local' ? '' : ` on ${pool.host}`;
  if (l.spare) return `${on} (spare: started ahead of need, takes jobs once the current pool is full)`;
  return `${on} (has taken ${l.taken} of its ${l.capacity} job${l.capacity === 1 ? '' : 's'})`;
}

/** show-coordinator: the coordinator this console talks to. */
export function coordinatorLines(c: { pid: number; jobsPool: number; maxPools: number; outDir: string; jmsIn: string; jmsOut: string }): string[] {
  return [
    `Coordinator: pid ${c.pid}`,
    `Jobs per pool: ${c.jobsPool}`,
    `Most pools: ${c.maxPools} (the spare pool counts)`,
    `Output directory: ${c.outDir}`,
    `jms_in: ${c.jmsIn}`,
    `jms_out: ${c.jmsOut}`,
  ];
}

function jobsWord(n: number): string {
  return n === 1 ? '1 running job' : `${n} running jobs`;
}

/** The text of a single answer (lines joined by newlines); errors are rendered by the caller. */
export function renderSingle(reply: Reply, paint: Paint): string {
  switch (reply.kind) {
    case 'submitted':
      return `JobID: ${reply.jobId}, PID: ${reply.pid}`;
    case 'queued':
      return `JobID: ${reply.jobId}, ${paint.dim(`Queued (position ${reply.position})`)}`;
    case 'status':
      return `JobID ${reply.job.jobId} Status: ${statusOfView(reply.job, paint, false)}`;
    case 'info':
      return infoLines(reply.job, paint).join('\n');
    case 'signalled':
      return `Sent ${reply.action} signal to JobID ${reply.jobId}`;
    case 'dequeued':
      return `Removed JobID ${reply.jobId} from the queue`;
    case 'paused':
      if (reply.until === null) return `Paused ${jobsWord(reply.jobs)}; no job starts until resume-all`;
      return `Paused ${jobsWord(reply.jobs)}; everything resumes by itself at ${clock(reply.until)} ` +
        `(in ${formatDuration((reply.until - Date.now()) / 1000)})`;
    case 'resumed-all':
      return `Resumed ${reply.jobs === 1 ? '1 job' : `${reply.jobs} jobs`}; jobs start again`;
    case 'served':
      return `Served ${reply.served} jobs, ${reply.inProgress} were still in progress`;
    case 'host-switched':
      return switchedLine(reply);
    case 'batch-submitted': {
      const ids = reply.firstJobId === reply.lastJobId ? `JobID ${reply.firstJobId}` : `JobID ${reply.firstJobId}-${reply.lastJobId}`;
      const builds = reply.builds === 0 ? '' : ` (${reply.builds === 1 ? '1 of them a build' : `${reply.builds} of them builds`})`;
      return `Batch ${reply.batch}: ${reply.jobs === 1 ? '1 job' : `${reply.jobs} jobs`}, ${ids}${builds}`;
    }
    case 'batch-killed':
      return `Killed batch ${reply.batch}: removed ${reply.dequeued === 1 ? '1 queued job' : `${reply.dequeued} queued jobs`} from the queue, ` +
        `sent the kill signal to ${reply.signalled === 1 ? '1 running job' : `${reply.signalled} running jobs`}`;
    case 'batch':
      return batchStatusLines(reply.batch, paint).join('\n');
    case 'batch-part':
    case 'file':
    case 'job':
    case 'detail':
    case 'pool':
    case 'host':
    case 'chunk':
    case 'end':
    case 'error':
      return '';
  }
}
