// suspend <JobID> / resume <JobID>: SIGSTOP / SIGCONT to the job's whole process group,
// answered once its pool has sent the signal. kill <JobID>: SIGTERM, SIGKILL after the
// grace; a queued job is taken off the queue instead.

import type { Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';

export async function signal(
  coord: Coordinator,
  req: Extract<Request, { kind: 'suspend' | 'resume' }>,
): Promise<Answer> {
  await coord.signalJob(req.jobId, req.kind);
  return { reply: { kind: 'signalled', id: req.id, jobId: req.jobId, action: req.kind } };
}

export async function kill(coord: Coordinator, req: Extract<Request, { kind: 'kill' }>): Promise<Answer> {
  const done = await coord.kill(req.jobId);
  if (done === 'dequeued') return { reply: { kind: 'dequeued', id: req.id, jobId: req.jobId } };
  return { reply: { kind: 'signalled', id: req.id, jobId: req.jobId, action: 'kill' } };
}
