// The batch requests: submit-batch (in parts), show-batches, status-batch, kill-batch,
// batch-jobs (every job in full, for export-log) and archive-list (for pull).

import fs from 'node:fs';
import { join, relative } from 'node:path';
import { hostname } from 'node:os';
import { BadRequestError } from '../../../protocol/errors.js';
import { outcomeOf, type BatchItem, type BatchView, type JobStatus, type Request } from '../../../protocol/messages.js';
import { buildState, batchArchiveDir, type Batch } from '../../engine/batches.js';
import type { Coordinator, SubmitOptions } from '../../engine/coordinator.js';
import { isFinal, statusOf, type Job } from '../../core/state.js';
import type { Answer } from '../dispatch.js';
import { view } from './status.js';
import { envOptions } from './submit.js';

const HOST = hostname();
/** Failures a batch view lists at most. */
const MAX_FAILURES = 50;

export async function submitBatch(coord: Coordinator, req: Extract<Request, { kind: 'submit-batch' }>, consolePid: number): Promise<Answer> {
  const base: SubmitOptions = { origin: { user: coord.config.user, host: HOST, consolePid } };
  envOptions(coord, req, base);
  const reply = await coord.intake.part(consolePid, req.token, req.part, req.parts, req.data, base);
  if (reply === null) return { reply: { kind: 'batch-part', id: req.id, part: req.part } };
  return { reply: { ...reply, id: req.id } };
}

function counts(): Record<JobStatus, number> {
  return { queued: 0, active: 0, suspended: 0, finished: 0 };
}

/** A batch as show-batches and status-batch show it. */
export function batchView(coord: Coordinator, batch: Batch): BatchView {
  const lookup = (id: number): Job | undefined => coord.jobs.get(id);
  const byStatus = counts();
  const outcomes: BatchView['outcomes'] = {};
  const failures: BatchView['failures'] = [];
  let final = 0;
  for (const id of batch.jobs) {
    const job = lookup(id);
    if (job === undefined) continue;
    byStatus[statusOf(job.state)] += 1;
    if (job.state.tag !== 'finished' || !isFinal(job)) continue;
    final += 1;
    const outcome = outcomeOf(job.state.result);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (outcome !== 'succeeded' && failures.length < MAX_FAILURES) failures.push({ jobId: id, name: job.name ?? '', outcome, why: why(job) });
  }
  const builds = [...batch.builds].map(([host, jobId]) => {
    const s = lookup(jobId)?.state;
    return { host, jobId, status: s === undefined ? 'finished' as const : statusOf(s), outcome: s?.tag === 'finished' ? outcomeOf(s.result) : null };
  });
  const build = buildState(batch, lookup);
  const cancelled = build !== null && build.succeeded.length === 0 && build.pending.length === 0;
  const buildsFinal = [...batch.builds.values()].every((id) => { const j = lookup(id); return j === undefined || isFinal(j); });
  const done = final === batch.jobs.length && buildsFinal;
  const notify = batch.rec.notify === null ? null : coord.hooks.views({ batch: batch.rec.key }, [{ when: 'any', command: batch.rec.notify }], 'notify')[0] ?? null;
  return {
    key: batch.rec.key, name: batch.rec.name, namespace: batch.rec.namespace, submittedAt: batch.rec.at,
    state: cancelled ? 'cancelled' : done ? 'done' : 'active',
    reason: cancelled ? `its build failed on every host it could run on (${builds.map((b) => `${b.host}: ${b.outcome ?? 'unknown'}`).join(', ')})` : null,
    jobs: batch.jobs.length, counts: byStatus, outcomes, builds, failures,
    archive: batchArchiveDir(coord.archiver.root, batch.rec.key), windows: batch.rec.windows, notify,
  };
}

/** How a job that did not succeed ended, in a few words. */
function why(job: Job): string {
  if (job.state.tag !== 'finished') return '';
  const r = job.state.result;
  switch (r.kind) {
    case 'exited':
      return `exit code ${r.code}`;
    case 'signalled':
      return r.signal;
    case 'timed-out':
      return `timed out after ${r.afterSec} s`;
    case 'dependency-failed':
      return `JobID ${r.jobId} ${r.outcome.replace('-', ' ')}`;
    case 'start-failed':
    case 'lost':
    case 'cancelled':
    case 'archive-failed':
      return r.reason;
  }
}

export function showBatches(coord: Coordinator): Answer {
  return { items: [...coord.batches.byKey.values()].map((b): BatchItem => ({ kind: 'batch', batch: batchView(coord, b) })) };
}

export function statusBatch(coord: Coordinator, req: Extract<Request, { kind: 'status-batch' }>): Answer {
  return { reply: { kind: 'batch', id: req.id, batch: batchView(coord, coord.batches.find(req.batch)) } };
}

export async function killBatch(coord: Coordinator, req: Extract<Request, { kind: 'kill-batch' }>): Promise<Answer> {
  const killed = await coord.intake.kill(req.batch);
  return { reply: { kind: 'batch-killed', id: req.id, ...killed } };
}

export function batchJobs(coord: Coordinator, req: Extract<Request, { kind: 'batch-jobs' }>): Answer {
  const ids = req.batch === null ? [...coord.jobs.keys()] : jobsOf(coord.batches.find(req.batch));
  return { items: details(coord, ids) };
}

function jobsOf(batch: Batch): number[] {
  return [...batch.builds.values(), ...batch.jobs].sort((a, b) => a - b);
}

function* details(coord: Coordinator, ids: readonly number[]): Generator<BatchItem> {
  const now = coord.clock.now();
  for (const id of ids) {
    const job = coord.jobs.get(id);
    if (job !== undefined) yield { kind: 'detail', job: view(coord, job, now) };
  }
}

export function archiveList(coord: Coordinator, req: Extract<Request, { kind: 'archive-list' }>): Answer {
  const batch = coord.batches.find(req.batch);
  const root = batchArchiveDir(coord.archiver.root, batch.rec.key);
  return { items: files(root) };
}

/** Every file under `root` (depth first, names sorted), never following a link out. */
function* files(root: string): Generator<BatchItem> {
  const stack = [root];
  for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root && err instanceof Error && 'code' in err && err.code === 'ENOENT') return;
      if (dir === root) throw new BadRequestError(`the archive ${root} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) stack.push(path);
      else if (e.isFile()) yield { kind: 'file', root, file: { path: relative(root, path), size: fs.statSync(path).size } };
    }
  }
}
