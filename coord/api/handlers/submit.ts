// submit <job>: queue the job and hand it to the next pool with room; answer with its
// pid once it runs, or with its place in the queue when every pool slot is taken.
// The job runs in the console's directory with the console's environment.

import { hostname } from 'node:os';
import { parseBegin } from '../../../protocol/begin.js';
import { BadRequestError } from '../../../protocol/errors.js';
import type { Request } from '../../../protocol/messages.js';
import type { Coordinator, SubmitOptions } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';

const HOST = hostname();

/** The environment a request brings (whole, or by the key of one sent before). */
export function envOptions(coord: Coordinator, req: { env?: Record<string, string>; envKey?: string }, options: SubmitOptions): void {
  // The key is the coordinator's own hash of what it was sent, never one a console claims.
  if (req.env !== undefined) options.envKey = coord.rememberEnv(req.env);
  else if (req.envKey !== undefined) {
    if (!coord.hasEnv(req.envKey)) throw new BadRequestError(`the environment '${req.envKey}' is unknown here; send the environment itself with the submit.`);
    options.envKey = req.envKey;
  }
}

export async function submit(coord: Coordinator, req: Extract<Request, { kind: 'submit' }>, consolePid: number): Promise<Answer> {
  const options: SubmitOptions = { origin: { user: coord.config.user, host: HOST, consolePid } };
  if (req.cwd !== undefined) options.cwd = req.cwd;
  envOptions(coord, req, options);
  if (req.timeoutSec !== undefined) options.timeoutSec = req.timeoutSec;
  if (req.needs !== undefined) options.needs = req.needs;
  if (req.setEnv !== undefined) options.setEnv = req.setEnv;
  if (req.after !== undefined) options.after = req.after;
  if (req.retries !== undefined) options.retries = req.retries;
  if (req.priority !== undefined) options.priority = req.priority;
  if (req.onExit !== undefined) options.onExit = req.onExit;
  if (req.begin !== undefined) {
    const at = parseBegin(req.begin, coord.clock.now());
    if (typeof at !== 'number') throw new BadRequestError(`--begin ${req.begin}: ${at.error}`);
    options.beginAt = at;
  }
  return { reply: await coord.submit(req.id, req.command, options) };
}
