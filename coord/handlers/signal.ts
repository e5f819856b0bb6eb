// suspend <JobID> / resume <JobID>: SIGSTOP / SIGCONT to the job's whole process group,
// answered once its pool has sent the signal.

import type { Request } from '../../protocol/messages.js';
import type { Coordinator } from '../coordinator.js';
import type { Answer } from '../dispatch.js';

export async function signal(
  coord: Coordinator,
  req: Extract<Request, { kind: 'suspend' | 'resume' }>,
): Promise<Answer> {
  await coord.signalJob(req.jobId, req.kind);
  return { reply: { kind: 'signalled', id: req.id, jobId: req.jobId, action: req.kind } };
}
