// submit <job>: queue the job and hand it to the next pool with room; answer with its
// pid once it runs, or with its place in the queue when every pool slot is taken.
// The job runs in the console's directory with the console's environment.

import { hostname } from 'node:os';
import type { Request } from '../../protocol/messages.js';
import type { Coordinator, SubmitOptions } from '../coordinator.js';
import type { Answer } from '../dispatch.js';

const HOST = hostname();

export async function submit(coord: Coordinator, req: Extract<Request, { kind: 'submit' }>, consolePid: number): Promise<Answer> {
  const options: SubmitOptions = { origin: { user: coord.config.user, host: HOST, consolePid } };
  if (req.cwd !== undefined) options.cwd = req.cwd;
  if (req.env !== undefined) options.env = req.env;
  if (req.timeoutSec !== undefined) options.timeoutSec = req.timeoutSec;
  return { reply: await coord.submit(req.id, req.command, options) };
}
