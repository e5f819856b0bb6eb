// read-log <JobID>: the job's output, read where it was made (on its host, through its
// launcher), streamed as base64 chunks: all of it or its last lines, and with `follow`
// what it writes until it ends. A console reads a local job's files itself; this serves
// the jobs of other hosts.

import { IllegalStateError } from '../../../protocol/errors.js';
import type { BatchItem, Request } from '../../../protocol/messages.js';
import type { Coordinator } from '../../engine/coordinator.js';
import type { Answer } from '../dispatch.js';

export function readLog(coord: Coordinator, req: Extract<Request, { kind: 'read-log' }>): Answer {
  const job = coord.job(req.jobId);
  const s = job.state;
  const started = s.tag === 'running' || s.tag === 'suspended' ? s : s.tag === 'finished' ? s.started : null;
  if (started === null) throw new IllegalStateError(`JobID ${req.jobId} has no output: it has not started${s.tag === 'finished' ? ' (it never did)' : ' yet'}.`);
  const host = coord.hostNamed(started.host ?? 'local');
  const file = `${started.dir}/${req.stream}_${req.jobId}`;
  const ended = req.follow && s.tag !== 'finished' ? coord.endOf(req.jobId) : Promise.resolve();
  return { items: chunks(host.launcher.readFile(file, req.lines, ended, started.poolKey)) };
}

async function* chunks(source: AsyncIterable<Buffer>): AsyncGenerator<BatchItem> {
  for await (const data of source) yield { kind: 'chunk', data: data.toString('base64') };
}
