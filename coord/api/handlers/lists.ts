// The batch answers: status-all [seconds], show-active, show-finished, show-pools [--long].

import type { BatchItem, JobStatus, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';
import { statusOf, toBrief, type Job } from '../../core/state.js';
import { view } from './status.js';

function* jobs(coord: Coordinator, keep: (job: Job) => boolean): Generator<BatchItem> {
  const now = coord.clock.now();
  for (const job of coord.jobs.values()) if (keep(job)) yield { kind: 'job', job: toBrief(job, now) };
}

export function statusAll(coord: Coordinator, req: Extract<Request, { kind: 'status-all' }>): Answer {
  if (req.sinceSec === null) return { items: jobs(coord, () => true) };
  const since = coord.clock.now() - req.sinceSec * 1000;
  return { items: jobs(coord, (job) => job.submittedAt >= since) };
}

function byStatus(coord: Coordinator, wanted: JobStatus): Answer {
  return { items: jobs(coord, (job) => statusOf(job.state) === wanted) };
}

export function showActive(coord: Coordinator): Answer {
  return byStatus(coord, 'active');
}

export function showFinished(coord: Coordinator, req: Extract<Request, { kind: 'show-finished' }>): Answer {
  if (req.long !== true) return byStatus(coord, 'finished');
  return { items: details(coord) };
}

function* details(coord: Coordinator): Generator<BatchItem> {
  const now = coord.clock.now();
  for (const job of coord.jobs.values()) if (job.state.tag === 'finished') yield { kind: 'detail', job: view(coord, job, now) };
}

export function showQueued(coord: Coordinator): Answer {
  const now = coord.clock.now();
  return { items: coord.queued().map((job): BatchItem => ({ kind: 'job', job: toBrief(job, now) })) };
}

export function showPools(coord: Coordinator, req: Extract<Request, { kind: 'show-pools' }>): Answer {
  const items: BatchItem[] = [];
  const capacity = coord.config.jobsPool;
  for (const pool of coord.pools()) {
    if (!pool.alive) continue;
    // The spare, started ahead of need, has taken no job yet: the classic list leaves it out.
    const spare = pool.assigned === 0;
    if (req.long !== true) {
      if (!spare) items.push({ kind: 'pool', pool: { pid: pool.pid, jobs: pool.jobs.size, host: pool.host } });
      continue;
    }
    items.push({ kind: 'pool', pool: { pid: pool.pid, jobs: pool.jobs.size, host: pool.host, long: { taken: pool.assigned, capacity, spare } } });
  }
  return { items };
}
