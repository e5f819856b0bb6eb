// status <JobID> and info <JobID>: one job, as much as is known of it (the console
// shows `status` as the classic one line and `info` in full).

import type { JobView, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';
import { toView, type Job } from '../../core/state.js';
import { archiveDir } from '../../engine/batches.js';

/** Where jobs submitted without a directory run: the coordinator's (and so its pools'). */
const COORD_CWD = process.cwd();

export function view(coord: Coordinator, job: Job, now = coord.clock.now()): JobView {
  const s = job.state;
  const archived = job.save !== undefined && s.tag === 'finished' && s.archived === true && s.result.kind !== 'archive-failed';
  return {
    ...toView(job, now, COORD_CWD), pause: coord.pauseOf(job), waiting: coord.waitingOf(job),
    hooks: job.onExit === undefined ? [] : coord.hooks.views({ job: job.id }, job.onExit),
    archive: archived ? archiveDir(coord.archiver.root, job) : null,
  };
}

export function status(coord: Coordinator, req: Extract<Request, { kind: 'status' | 'info' }>): Answer {
  return { reply: { kind: req.kind, id: req.id, job: view(coord, coord.job(req.jobId)) } };
}
