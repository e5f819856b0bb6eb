// Every request of a console goes through this one switch, each case a call into
// handlers/<kind>.ts. A JmsError becomes an `error` reply with its code; anything
// else is a bug: E_INTERNAL to the console, the stack to the log.

import { JmsError } from '../../protocol/errors.js';
import type { BatchItem, Reply, Request } from '../../protocol/messages.js';
import type { Coordinator } from '../engine/coordinator.js';
import { archiveList, batchJobs, killBatch, showBatches, statusBatch, submitBatch } from './handlers/batches.js';
import { showActive, showFinished, showPools, showQueued, statusAll } from './handlers/lists.js';
import { pauseAll, resumeAll } from './handlers/pause.js';
import { showHosts, switchHost } from './handlers/hosts.js';
import { readLog } from './handlers/read-log.js';
import { shutdown } from './handlers/shutdown.js';
import { kill, signal } from './handlers/signal.js';
import { status } from './handlers/status.js';
import { submit } from './handlers/submit.js';
import { wait } from './handlers/wait.js';
import { log } from '../util/log.js';

export type Answer =
  /** `after` runs once the reply has been written out (shutdown exits there). */
  | { reply: Reply; after?: () => void }
  /** Produced lazily as the answer is written, so a long one is never held whole. */
  | { items: Iterable<BatchItem> | AsyncIterable<BatchItem> };

export interface Context {
  coord: Coordinator;
  /** Ends the coordinator once shutdown has answered. */
  exit: () => void;
}

/** What dispatch answers: every request but `cancel`, which the session itself handles. */
export type CoordRequest = Exclude<Request, { kind: 'cancel' }>;

/** A console's way to cancel a request; its signal is made only when something listens (AbortController costs). */
export interface Cancel {
  readonly signal: AbortSignal;
}

function route(ctx: Context, req: CoordRequest, consolePid: number, cancel?: Cancel): Promise<Answer> | Answer {
  const { coord } = ctx;
  switch (req.kind) {
    case 'submit':
      return submit(coord, req, consolePid);
    case 'status':
    case 'info':
      return status(coord, req);
    case 'status-all':
      return statusAll(coord, req);
    case 'show-active':
      return showActive(coord);
    case 'show-pools':
      return showPools(coord, req);
    case 'show-finished':
      return showFinished(coord, req);
    case 'show-queued':
      return showQueued(coord);
    case 'suspend':
    case 'resume':
      return signal(coord, req);
    case 'kill':
      return kill(coord, req);
    case 'wait':
      return wait(coord, req, cancel?.signal);
    case 'pause-all':
      return pauseAll(coord, req);
    case 'resume-all':
      return resumeAll(coord, req);
    case 'shutdown':
      return shutdown(ctx, req);
    case 'show-hosts':
      return showHosts(coord);
    case 'host-off':
    case 'host-on':
      return switchHost(coord, req);
    case 'read-log':
      return readLog(coord, req);
    case 'submit-batch':
      return submitBatch(coord, req, consolePid);
    case 'show-batches':
      return showBatches(coord);
    case 'status-batch':
      return statusBatch(coord, req);
    case 'kill-batch':
      return killBatch(coord, req);
    case 'batch-jobs':
      return batchJobs(coord, req);
    case 'archive-list':
      return archiveList(coord, req);
  }
}

/** Requests that change state: answered only once the change is on disk. */
const MUTATING = new Set<Request['kind']>(['submit', 'submit-batch', 'kill-batch', 'suspend', 'resume', 'kill', 'pause-all', 'resume-all', 'host-off', 'host-on']);

/** Answers one request of the console whose pid is `consolePid`; `cancel`: how that console cancels it. */
export async function dispatch(ctx: Context, req: CoordRequest, consolePid: number, cancel?: Cancel): Promise<Answer> {
  try {
    const answer = await route(ctx, req, consolePid, cancel);
    if (MUTATING.has(req.kind)) await ctx.coord.durable();
    return answer;
  } catch (err) {
    if (err instanceof JmsError) return { reply: { kind: 'error', id: req.id, code: err.code, message: err.message } };
    log(`internal error on '${req.kind}': ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    const message = 'the coordinator hit an internal error; its log has the details.';
    return { reply: { kind: 'error', id: req.id, code: 'E_INTERNAL', message } };
  }
}
