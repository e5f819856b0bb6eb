// submit <job>: queue the job and hand it to the next pool with room; answer with its
// pid once it runs, or with its place in the queue when every pool slot is taken.
// The job runs in the console's directory with the console's environment.

import { hostname } from 'node:os';
import { BadRequestError } from '../../../protocol/errors.js';
import type { Request } from '../../../protocol/messages.js';
import type { Coordinator, SubmitOptions } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';

const HOST = hostname();

export async function submit(coord: Coordinator, req: Extract<Request, { kind: 'submit' }>, consolePid: number): Promise<Answer> {
  const options: SubmitOptions = { origin: { user: coord.config.user, host: HOST, consolePid } };
  if (req.cwd !== undefined) options.cwd = req.cwd;
  // The key is the coordinator's own hash of what it was sent, never one a console claims.
  if (req.env !== undefined) options.envKey = coord.rememberEnv(req.env);
  else if (req.envKey !== undefined) {
    if (!coord.hasEnv(req.envKey)) throw new BadRequestError(`the environment '${req.envKey}' is unknown here; send the environment itself with the submit.`);
    options.envKey = req.envKey;
  }
  if (req.timeoutSec !== undefined) options.timeoutSec = req.timeoutSec;
  if (req.needs !== undefined) options.needs = req.needs;
  if (req.setEnv !== undefined) options.setEnv = req.setEnv;
  return { reply: await coord.submit(req.id, req.command, options) };
}
