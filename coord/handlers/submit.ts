// submit <job>: queue the job and hand it to the next pool with room; answer with its
// pid once it runs, or with its place in the queue when every pool slot is taken.

import type { Request } from '../../protocol/messages.js';
import type { Coordinator } from '../coordinator.js';
import type { Answer } from '../dispatch.js';

export async function submit(coord: Coordinator, req: Extract<Request, { kind: 'submit' }>): Promise<Answer> {
  return { reply: await coord.submit(req.id, req.command) };
}
