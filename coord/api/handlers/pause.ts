// pause-all [--for] / resume-all: the workstation pause. The coordinator keeps the
// clock, so a pause with a time limit ends even with no console connected.

import type { Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';

export async function pauseAll(coord: Coordinator, req: Extract<Request, { kind: 'pause-all' }>): Promise<Answer> {
  const { jobs, until } = await coord.pauseAll(req.forSec, req.host ?? null);
  return { reply: { kind: 'paused', id: req.id, jobs, until } };
}

export async function resumeAll(coord: Coordinator, req: Extract<Request, { kind: 'resume-all' }>): Promise<Answer> {
  return { reply: { kind: 'resumed-all', id: req.id, jobs: await coord.resumeAll(req.host ?? null) } };
}
