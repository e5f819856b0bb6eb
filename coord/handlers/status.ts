// status <JobID>: the state of one job.

import type { Request } from '../../protocol/messages.js';
import type { Coordinator } from '../coordinator.js';
import type { Answer } from '../dispatch.js';
import { toView } from '../state.js';

export function status(coord: Coordinator, req: Extract<Request, { kind: 'status' }>): Answer {
  return { reply: { kind: 'status', id: req.id, job: toView(coord.job(req.jobId), Date.now()) } };
}
