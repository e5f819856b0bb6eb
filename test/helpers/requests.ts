// Requests as a console sends them, through a real FIFO client (helpers/raw-client.ts),
// for tests of coordinator features the console's words do not reach, or reach only in
// part: each answer waited for, a job's view read back, a batch sent in two parts.

import type { Test } from 'tap';
import { connectRaw, type RawClient } from './raw-client.js';
import { waitFor } from './wait.js';

/** Where a coordinator listens. */
export interface Pipes {
  jmsIn: string;
  jmsOut: string;
}

let nextId = 1;

export interface Client {
  raw: RawClient;
  /** Sends a request; resolves its single answer (or the items and end of a batch answer). */
  ask(req: Record<string, unknown>, items?: boolean): Promise<Record<string, unknown>[]>;
}

export async function client(t: Test, c: Pipes): Promise<Client> {
  const raw = await connectRaw(c.jmsIn, c.jmsOut);
  t.teardown(() => raw.close());
  return {
    raw,
    async ask(req, items = false) {
      const id = nextId++;
      await raw.request({ ...req, id });
      return waitFor(`the answer to ${String(req['kind'])} ${id}`, () => {
        const got = raw.repliesTo(id);
        if (!items) return got.length > 0 ? got : undefined;
        return got.some((f) => f['kind'] === 'end' || f['kind'] === 'error') ? got : undefined;
      }, 20_000);
    },
  };
}

export async function one(cl: Client, req: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [reply] = await cl.ask(req);
  if (reply === undefined) throw new Error('no reply');
  return reply;
}

export async function submit(cl: Client, command: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await one(cl, { kind: 'submit', command, ...extra });
  if (typeof r['jobId'] !== 'number') throw new Error(`submit refused: ${JSON.stringify(r)}`);
  return r['jobId'];
}

export type View = Record<string, unknown> & { status: string; result: Record<string, unknown> | null; attempts: Record<string, unknown>[]; waiting: string | null };

export async function info(cl: Client, jobId: number): Promise<View> {
  const r = await one(cl, { kind: 'info', jobId });
  const job = r['job'];
  if (typeof job !== 'object' || job === null) throw new Error(`info refused: ${JSON.stringify(r)}`);
  return job as View; // test-side reading of the coordinator's answer
}

export async function finished(cl: Client, jobId: number, timeoutMs = 20_000): Promise<View> {
  return waitFor(`JobID ${jobId} to finish`, async () => {
    const v = await info(cl, jobId);
    return v.status === 'finished' ? v : undefined;
  }, timeoutMs, 50);
}

/**
 * A batch job once it has ended and been archived (`archive` names its folder), or its copy
 * failed (`archive-failed`); a build is not archived, so it is taken once it has ended.
 */
export async function archived(cl: Client, jobId: number, timeoutMs: number): Promise<View> {
  await finished(cl, jobId, timeoutMs);
  return waitFor(`JobID ${jobId} archived`, async () => {
    const v = await info(cl, jobId);
    const failed = (v.result as { kind?: string } | null)?.kind === 'archive-failed';
    return v['archive'] !== null || v['kind'] === 'build' || failed ? v : undefined;
  }, timeoutMs, 50);
}

export function batchSpec(over: Record<string, unknown>, jobs: Record<string, unknown>[]): Record<string, unknown> {
  const job = (j: Record<string, unknown>): Record<string, unknown> => ({
    needs: [], after: [], files: [], timeoutSec: null, retries: 0, priority: 0, begin: null, onExit: [], ...j,
  });
  return {
    name: 'b1', namespace: 'alice', needs: [], notify: null, build: null, save: null, keep: false, windows: null, suspendOutside: false, onExit: [],
    ...over, jobs: jobs.map(job),
  };
}

export async function submitBatch(cl: Client, spec: Record<string, unknown>): Promise<Record<string, unknown>> {
  const data = JSON.stringify(spec);
  const half = Math.ceil(data.length / 2);
  const first = await one(cl, { kind: 'submit-batch', token: 'tok', part: 0, parts: 2, data: data.slice(0, half) });
  if (first['kind'] !== 'batch-part') return first;
  return one(cl, { kind: 'submit-batch', token: 'tok', part: 1, parts: 2, data: data.slice(half) });
}

