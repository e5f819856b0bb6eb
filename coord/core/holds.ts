// What keeps a queued job from starting besides room on a host, pure: the jobs it runs
// after (`--after`), its begin time (`--begin`), its batch's run windows and build. A job
// whose dependency ended otherwise than in success never runs (dependency-failed); the
// scheduler sees only jobs nothing holds, and `status` tells the reason of the others.

import { outcomeOf, type Outcome } from '../../protocol/messages.js';
import { isOpen, nextChange, type Windows } from '../../protocol/windows.js';
import { isFinal, type Job } from './state.js';

export type DepState =
  | { kind: 'ready' }
  /** Dependencies not ended yet (their ids). */
  | { kind: 'waiting'; on: number[] }
  /** This dependency ended, and not in success. */
  | { kind: 'failed'; jobId: number; outcome: Outcome };

/** Where a job's dependencies are: every one succeeded, one failed, or some not yet ended. */
export function depState(job: Job, lookup: (id: number) => Job | undefined): DepState {
  const on: number[] = [];
  for (const id of job.after ?? []) {
    const dep = lookup(id);
    if (dep === undefined) continue; // refused at submit; a hand-edited journal's unknown id holds nothing
    if (!isFinal(dep)) {
      on.push(id);
      continue;
    }
    if (dep.state.tag !== 'finished') continue;
    const outcome = outcomeOf(dep.state.result);
    if (outcome !== 'succeeded') return { kind: 'failed', jobId: id, outcome };
  }
  return on.length === 0 ? { kind: 'ready' } : { kind: 'waiting', on };
}

/** A batch's build as the scheduler sees it: hosts where it succeeded, and whether any is still to end. */
export interface BuildState {
  succeeded: readonly string[];
  pending: readonly string[];
}

export interface HoldContext {
  now: number;
  job(id: number): Job | undefined;
  /** The run windows of the job's batch (null: it has none). */
  batchWindows(job: Job): Windows | null;
  /** Its batch's build (null: no build step). */
  build(job: Job): BuildState | null;
}

export type Hold =
  | { kind: 'free'; only?: readonly string[] }
  | { kind: 'held'; why: string; until: number | null }
  | { kind: 'dependency-failed'; jobId: number; outcome: Outcome };

function idList(ids: readonly number[]): string {
  const shown = ids.slice(0, 3).join(', ');
  return ids.length > 3 ? `${shown} and ${ids.length - 3} more` : shown;
}

/** Whether `job` (queued) may go to a host now, and where; or why not. Pure. */
export function holdOf(job: Job, ctx: HoldContext, format: (ms: number) => string): Hold {
  const deps = depState(job, ctx.job);
  if (deps.kind === 'failed') return { kind: 'dependency-failed', jobId: deps.jobId, outcome: deps.outcome };
  if (deps.kind === 'waiting') return { kind: 'held', why: `waiting for JobID ${idList(deps.on)} to succeed`, until: null };
  if (job.beginAt !== undefined && ctx.now < job.beginAt) return { kind: 'held', why: `held until ${format(job.beginAt)} (--begin)`, until: job.beginAt };
  const windows = ctx.batchWindows(job);
  if (windows !== null && !isOpen(windows, ctx.now)) {
    const opens = nextChange(windows, ctx.now);
    return { kind: 'held', why: `outside its batch's run windows${opens === null ? '' : ` (they open ${format(opens)})`}`, until: opens };
  }
  if (job.pin !== undefined) return { kind: 'free', only: [job.pin] };
  const build = ctx.build(job);
  if (build === null) return { kind: 'free' };
  if (build.succeeded.length > 0) return { kind: 'free', only: build.succeeded };
  const where = build.pending.length === 0 ? '' : ` (on ${build.pending.join(', ')})`;
  return { kind: 'held', why: `waiting for its batch's build${where}`, until: null };
}

/** Queue order: higher priority first, then submission order. */
export function before(a: Job, b: Job): boolean {
  const pa = a.priority ?? 0;
  const pb = b.priority ?? 0;
  return pa !== pb ? pa > pb : a.id < b.id;
}
