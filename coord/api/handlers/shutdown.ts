// shutdown: SIGTERM to the pools, wait until they are gone, answer with the summary,
// then exit (after the answer is out). shutdown --drain first lets the running jobs end.

import type { Request } from '../../../protocol/messages.js';
import type { Answer, Context } from '../dispatch.js';

export async function shutdown(ctx: Context, req: Extract<Request, { kind: 'shutdown' }>): Promise<Answer> {
  const summary = await (req.drain === true ? ctx.coord.drain() : ctx.coord.shutdown());
  return { reply: { kind: 'served', id: req.id, ...summary }, after: ctx.exit };
}
