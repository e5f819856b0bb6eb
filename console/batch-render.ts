// The text of what batches brought to the answers: a batch's line in show-batches, the
// status-batch lines, and the lines info and show-finished --long add for a job of a batch,
// its dependencies, retries, attempts, hooks, archive, priority and begin time.

import type { Paint } from './paint.js';
import { type BatchView, type HookView, type JobStatus, type JobView, type Outcome, OUTCOMES, outcomeOf } from '../protocol/messages.js';
import { ending, localTime } from './render.js';

const STATUS_ORDER: readonly JobStatus[] = ['queued', 'active', 'suspended', 'finished'];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function outcomeWord(o: Outcome): string {
  return o.replace('-', ' ');
}

/** `3 succeeded, 1 failed` in the order of OUTCOMES; '' when none has ended. */
export function outcomeCounts(outcomes: Partial<Record<Outcome, number>>): string {
  return OUTCOMES.flatMap((o) => {
    const n = outcomes[o] ?? 0;
    return n > 0 ? [`${n} ${outcomeWord(o)}`] : [];
  }).join(', ');
}

function stateWord(b: BatchView, paint: Paint): string {
  switch (b.state) {
    case 'active':
      return paint.cyan('active');
    case 'done':
      return (b.outcomes.succeeded ?? 0) === b.jobs ? paint.green('done') : paint.yellow('done');
    case 'cancelled':
      return paint.red(b.reason === null ? 'cancelled' : `cancelled (${b.reason})`);
  }
}

/** show-batches: `alice/sweep-1 active: 8 jobs: 3 succeeded, 1 failed, 2 running, 2 queued`. */
export function batchLine(b: BatchView, paint: Paint): string {
  const running = b.counts.active + b.counts.suspended;
  const parts = [outcomeCounts(b.outcomes), running > 0 ? `${running} running` : '', b.counts.queued > 0 ? `${b.counts.queued} queued` : ''];
  const told = parts.filter((p) => p !== '').join(', ');
  return `${b.key} ${stateWord(b, paint)}: ${plural(b.jobs, 'job')}${told === '' ? '' : `: ${told}`}`;
}

function hookText(h: HookView): string {
  const how = h.how === null ? '' : ` (${h.how})`;
  const log = h.log === null ? '' : `; log ${h.log}`;
  return `${h.command}: ${h.state}${how}${log}`;
}

function failureLines(b: BatchView): string[] {
  if (b.failures.length === 0) return [];
  const lines = b.failures.map((f) => `  JobID ${f.jobId} ${f.name}: ${outcomeWord(f.outcome)}${f.why === '' ? '' : ` (${f.why})`}`);
  const failed = OUTCOMES.reduce((sum, o) => (o === 'succeeded' ? sum : sum + (b.outcomes[o] ?? 0)), 0);
  if (failed > b.failures.length) lines.push(`  … and ${failed - b.failures.length} more ('export-log ${b.key}' lists every run)`);
  return ['Not succeeded:', ...lines];
}

/** status-batch: one `Field: value` per line. */
export function batchStatusLines(b: BatchView, paint: Paint): string[] {
  const counts = STATUS_ORDER.map((s) => `${b.counts[s]} ${s}`).join(', ');
  const builds = b.builds.map((x) => `${x.host} ${x.outcome === null ? x.status : outcomeWord(x.outcome)} (JobID ${x.jobId})`);
  return [
    `Batch: ${b.key}`,
    `State: ${stateWord(b, paint)}`,
    `Submitted: ${localTime(b.submittedAt)}`,
    `Jobs: ${b.jobs} (${counts})`,
    `Outcomes: ${outcomeCounts(b.outcomes) || 'none yet'}`,
    `Builds: ${builds.length === 0 ? 'none' : builds.join(', ')}`,
    ...failureLines(b),
    `Windows: ${b.windows ?? 'none (any time)'}`,
    `Archive: ${b.archive}`,
    ...(b.notify === null ? [] : [`Notify: ${hookText(b.notify)}`]),
  ];
}

function endingText(view: { result: JobView['result'] }): string {
  if (view.result === null) return 'not ended';
  const e = ending(view.result);
  return e.sep === ' ' ? `${e.word} (${e.detail})` : `${e.word}: ${e.detail}`;
}

/** info: the lines of a job's batch, dependencies, retries, attempts, hooks, archive, priority and begin time, when it has them. */
export function batchInfoLines(v: JobView): string[] {
  const lines: string[] = [];
  if (v.batch !== null) lines.push(`Batch: ${v.batch}, ${v.kind === 'build' ? `build step${v.host === null ? '' : ` on ${v.host}`}` : `job ${v.name ?? '-'}`}`);
  if (v.after.length > 0) lines.push(`After: ${v.after.length === 1 ? 'JobID' : 'JobIDs'} ${v.after.join(', ')} (must succeed first)`);
  if (v.priority !== 0) lines.push(`Priority: ${v.priority}`);
  if (v.beginAt !== null) lines.push(`Begin: ${localTime(v.beginAt)}`);
  if (v.retries > 0 || v.attempts.length > 0) lines.push(`Retries: ${v.retries} (${v.attempts.length} used)`);
  v.attempts.forEach((a, i) => {
    lines.push(`Attempt ${i + 1}: ${endingText(a)} on ${a.host ?? '-'}, directory ${a.dir ?? '-'}`);
  });
  for (const h of v.hooks) lines.push(`Exit hook (${h.when}): ${hookText(h)}`);
  if (v.archive !== null) lines.push(`Archive: ${v.archive}`);
  return lines;
}

/** show-finished --long: what follows a job's outcome line (`, batch alice/sweep-1 job mesh, 2 attempts`). */
export function finishedNote(v: JobView): string {
  const parts: string[] = [];
  if (v.batch !== null) parts.push(`batch ${v.batch} ${v.kind === 'build' ? 'build step' : `job ${v.name ?? '-'}`}`);
  if (v.attempts.length > 0) parts.push(`${v.attempts.length + 1} attempts (earlier: ${v.attempts.map((a) => outcomeWord(outcomeOf(a.result))).join(', ')})`);
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}
