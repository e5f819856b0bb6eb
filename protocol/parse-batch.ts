// The wire readers of what batches, dependencies, retries and hooks add to the
// vocabulary (protocol/parse.ts calls in here): the submit fields, the batch requests,
// and the batch, attempt and hook parts of the replies.

import { readOnExit } from './batch.js';
import { FieldError, type Fields } from './fields.js';
import {
  type ArchiveFile, type AttemptView, type BatchView, HOOK_STATES, type HookView, type JobResult, type JobStatus,
  MAX_FRAME_BYTES, type Outcome, OUTCOMES, type Request,
} from './messages.js';

/** Most JobIDs one --after may name. */
export const MAX_AFTER = 10_000;
/** Most frames one batch may come in (each at most a frame's size). */
export const MAX_BATCH_PARTS = 1024;
/** The batch data one submit-batch frame carries, at most (the frame has room to spare). */
export const BATCH_PART_BYTES = 192 * 1024;

const STATUSES: readonly JobStatus[] = ['queued', 'active', 'suspended', 'finished'];
/** `name` or `namespace/name`. */
const BATCH_REF = /^([A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function readJobIds(v: unknown, name: string, max: number): number[] {
  if (!Array.isArray(v) || v.length > max) throw new FieldError(`'${name}' must be a list of at most ${max} JobIDs`);
  return v.map((x: unknown) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) throw new FieldError(`'${name}' must hold JobIDs (whole numbers from 1)`);
    return x;
  });
}

/** The fields of submit that batches brought: --after, --retries, --priority, --begin, --on-exit. */
export function readSubmitExtras(f: Fields, req: Extract<Request, { kind: 'submit' }>): void {
  if (f.has('after')) req.after = [...new Set(readJobIds(f.raw('after'), 'after', MAX_AFTER))];
  if (f.has('retries')) req.retries = f.int('retries', 0, 100);
  if (f.has('priority')) req.priority = f.int('priority', -1000, 1000);
  if (f.has('begin')) req.begin = f.str('begin', 100);
  if (f.has('onExit')) req.onExit = readOnExit(f);
}

export function readBatchRef(f: Fields): string {
  const v = f.str('batch', 511);
  if (!BATCH_REF.test(v)) throw new FieldError("'batch' must be a batch name, or namespace/name");
  return v;
}

export function readSubmitBatch(f: Fields, id: number, readEnv: (v: unknown) => Record<string, string>): Request {
  const parts = f.int('parts', 1, MAX_BATCH_PARTS);
  const token = f.str('token', 64);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new FieldError("'token' must be a word of letters, digits, '_' and '-'");
  const req: Extract<Request, { kind: 'submit-batch' }> = { kind: 'submit-batch', id, token, part: f.int('part', 0, parts - 1), parts, data: f.str('data', MAX_FRAME_BYTES) };
  if (f.has('env')) req.env = readEnv(f.raw('env'));
  if (f.has('envKey')) req.envKey = f.str('envKey', 64);
  return req;
}

export function readHook(f: Fields): HookView {
  return { when: f.str('when', 64), command: f.str('command'), state: f.oneOf('state', HOOK_STATES), how: f.strOrNull('how'), log: f.strOrNull('log') };
}

function list<T>(f: Fields, name: string, read: (item: Fields) => T, make: (v: unknown, what: string) => Fields): T[] {
  const v = f.raw(name);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new FieldError(`'${name}' must be a list`);
  return v.map((item: unknown, i: number) => read(make(item, `'${name}[${i}]'`)));
}

export interface JobExtras {
  batch: string | null;
  name: string | null;
  kind: 'job' | 'build';
  after: number[];
  retries: number;
  attempts: AttemptView[];
  priority: number;
  beginAt: number | null;
  hooks: HookView[];
  archive: string | null;
}

/** The parts of a JobView that batches brought (absent in an older coordinator's answers). */
export function readJobExtras(f: Fields, readResult: (f: Fields) => JobResult, make: (v: unknown, what: string) => Fields): JobExtras {
  return {
    batch: f.strOrNull('batch'),
    name: f.strOrNull('name'),
    kind: f.has('kind') ? f.oneOf('kind', ['job', 'build'] as const) : 'job',
    after: f.has('after') ? readJobIds(f.raw('after'), 'after', MAX_AFTER) : [],
    retries: f.has('retries') ? f.int('retries') : 0,
    attempts: list(f, 'attempts', (a) => ({
      host: a.strOrNull('host'), dir: a.strOrNull('dir'), startedAt: a.intOrNull('startedAt'), endedAt: a.int('endedAt'), result: readResult(a.obj('result')),
    }), make),
    priority: f.has('priority') ? f.int('priority', -1000, 1000) : 0,
    beginAt: f.intOrNull('beginAt'),
    hooks: list(f, 'hooks', readHook, make),
    archive: f.strOrNull('archive'),
  };
}

function outcomes(f: Fields): Partial<Record<Outcome, number>> {
  const out: Partial<Record<Outcome, number>> = {};
  for (const o of OUTCOMES) if (f.has(o)) out[o] = f.int(o);
  return out;
}

export function readBatchView(f: Fields, make: (v: unknown, what: string) => Fields): BatchView {
  const c = f.obj('counts');
  const counts: Record<JobStatus, number> = { queued: c.int('queued'), active: c.int('active'), suspended: c.int('suspended'), finished: c.int('finished') };
  return {
    key: f.str('key', 511), name: f.str('name', 255), namespace: f.str('namespace', 255), submittedAt: f.int('submittedAt'),
    state: f.oneOf('state', ['active', 'done', 'cancelled'] as const), reason: f.strOrNull('reason'), jobs: f.int('jobs'), counts,
    outcomes: outcomes(f.obj('outcomes')),
    builds: list(f, 'builds', (b) => ({
      host: b.str('host', 255), jobId: b.int('jobId', 1), status: b.oneOf('status', STATUSES), outcome: b.has('outcome') ? b.oneOf('outcome', OUTCOMES) : null,
    }), make),
    failures: list(f, 'failures', (x) => ({ jobId: x.int('jobId', 1), name: x.str('name'), outcome: x.oneOf('outcome', OUTCOMES), why: x.str('why') }), make),
    archive: f.str('archive'), windows: f.strOrNull('windows'), notify: f.has('notify') ? readHook(f.obj('notify')) : null,
  };
}

export function readArchiveFile(f: Fields): ArchiveFile {
  const path = f.str('path', 4095);
  if (path.startsWith('/') || path.split('/').includes('..')) throw new FieldError("'path' must be relative to the archive, without '..'");
  return { path, size: f.int('size') };
}
