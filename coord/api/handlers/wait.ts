// wait <JobID…> | wait --all: answered once those jobs have ended, with each one's
// details (the console tells from them whether all succeeded). A `cancel` of the
// console (^C) aborts `signal`: the waiter is forgotten and the answer is E_CANCELLED.

import type { BatchItem, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';
import { view } from './status.js';

export async function wait(coord: Coordinator, req: Extract<Request, { kind: 'wait' }>, signal?: AbortSignal): Promise<Answer> {
  const jobs = await coord.waitFor(req.jobIds, signal);
  const now = coord.clock.now();
  return { items: jobs.map((job): BatchItem => ({ kind: 'detail', job: view(coord, job, now) })) };
}
