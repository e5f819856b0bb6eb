// status <JobID> and info <JobID>: one job, as much as is known of it (the console
// shows `status` as the classic one line and `info` in full).

import type { JobView, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';
import { toView, type Job } from '../../core/state.js';

/** Where jobs submitted without a directory run: the coordinator's (and so its pools'). */
const COORD_CWD = process.cwd();

export function view(coord: Coordinator, job: Job, now = coord.clock.now()): JobView {
  return { ...toView(job, now, COORD_CWD), pause: coord.pauseOf(job), waiting: coord.waitingOf(job) };
}

export function status(coord: Coordinator, req: Extract<Request, { kind: 'status' | 'info' }>): Answer {
  return { reply: { kind: req.kind, id: req.id, job: view(coord, coord.job(req.jobId)) } };
}
