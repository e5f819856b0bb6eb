// The only place untrusted JSON becomes a message type: one parse function per
// direction, each returning the message or `{ invalid: <one sentence> }`.

import { MAX_DURATION_SEC } from './duration.js';
import { ERROR_CODES } from './errors.js';
import { attempt, FieldError, Fields } from './fields.js';
import { readArchiveFile, readBatchRef, readBatchView, readJobExtras, readSubmitBatch, readSubmitExtras } from './parse-batch.js';
import {
  MAX_COMMAND_BYTES,
  MAX_FRAME_BYTES,
  type Hello,
  type JobBrief,
  type JobResult,
  type JobView,
  type Origin,
  OUTCOMES,
  type PoolView,
  HOST_STATES,
  type HostAllocation,
  type HostInfo,
  type Reply,
  type Request,
  type Welcome,
} from './messages.js';

type Parsed<T> = T | { invalid: string };

export const PATH_MAX = 4095;

export function parseHello(value: unknown): Parsed<Hello> {
  return attempt(() => {
    const f = new Fields(value, 'a handshake');
    if (f.str('kind') !== 'hello') throw new FieldError("a handshake must have kind 'hello'");
    return {
      kind: 'hello',
      version: f.int('version'),
      pid: f.int('pid', 1),
      requestFifo: f.str('requestFifo', PATH_MAX),
      replyFifo: f.str('replyFifo', PATH_MAX),
    };
  });
}

export function parseWelcome(value: unknown): Parsed<Welcome> {
  return attempt(() => {
    const f = new Fields(value, 'a handshake answer');
    const kind = f.oneOf('kind', ['welcome', 'refused'] as const);
    if (kind === 'refused') return { kind, version: f.int('version'), message: f.str('message') };
    return {
      kind, version: f.int('version'), coordPid: f.int('coordPid', 1), jobsPool: f.int('jobsPool', 1),
      maxPools: f.int('maxPools', 1), outDir: f.str('outDir', PATH_MAX),
    };
  });
}

const REQUEST_KINDS = [
  'submit', 'status', 'info', 'status-all', 'show-active', 'show-pools', 'show-finished', 'show-queued',
  'suspend', 'resume', 'kill', 'wait', 'pause-all', 'resume-all', 'shutdown', 'show-hosts', 'host-off', 'host-on', 'read-log', 'cancel',
  'submit-batch', 'show-batches', 'status-batch', 'kill-batch', 'batch-jobs', 'archive-list',
] as const;

/** A host's name in the hosts file. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

function readHostName(f: Fields): string {
  const name = f.str('host', 255);
  if (!HOST_NAME.test(name)) throw new FieldError("'host' must be a host name of the hosts file");
  return name;
}

/** Most job ids one `wait` may name. */
export const MAX_WAIT_IDS = 10_000;
export { MAX_DURATION_SEC } from './duration.js';

export function readEnv(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FieldError("'env' must be an object of strings");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new FieldError(`'env.${k.slice(0, 40)}' must be a string`);
    if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) throw new FieldError(`'env' has an unusable variable '${k.slice(0, 40)}'`);
    env[k] = v;
  }
  return env;
}

/** A tag, or `!tag` for one a host must not have. */
export const NEED = /^!?[A-Za-z0-9_.-]{1,64}$/;

function readNeeds(v: unknown): string[] {
  if (!Array.isArray(v) || v.length > 64 || !v.every((n): n is string => typeof n === 'string' && NEED.test(n))) {
    throw new FieldError("'needs' must be a list of up to 64 tags (letters, digits, _ . -), each optionally after '!'");
  }
  return [...new Set(v)];
}

function readSubmit(f: Fields, id: number): Extract<Request, { kind: 'submit' }> {
  const command = f.str('command', MAX_COMMAND_BYTES);
  if (command.trim() === '') throw new FieldError('submit needs a job to run');
  if (command.includes('\0')) throw new FieldError('a job cannot contain a NUL byte');
  const req: Extract<Request, { kind: 'submit' }> = { kind: 'submit', id, command };
  if (f.has('cwd')) {
    const cwd = f.str('cwd', PATH_MAX);
    if (!cwd.startsWith('/') || cwd.includes('\0')) throw new FieldError("'cwd' must be an absolute path");
    req.cwd = cwd;
  }
  if (f.has('env')) req.env = readEnv(f.raw('env'));
  if (f.has('envKey')) req.envKey = f.str('envKey', 64);
  if (f.has('timeoutSec')) req.timeoutSec = f.int('timeoutSec', 1, MAX_DURATION_SEC);
  if (f.has('needs')) req.needs = readNeeds(f.raw('needs'));
  if (f.has('setEnv')) req.setEnv = readEnv(f.raw('setEnv'));
  readSubmitExtras(f, req);
  return req;
}

function readWaitIds(f: Fields): number[] | 'all' {
  const v = f.raw('jobIds');
  if (v === 'all') return 'all';
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_WAIT_IDS) throw new FieldError(`'jobIds' must be 'all' or 1 to ${MAX_WAIT_IDS} JobIDs`);
  return v.map((x: unknown) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1) throw new FieldError("'jobIds' must hold JobIDs (whole numbers from 1)");
    return x;
  });
}

export function parseRequest(value: unknown): Parsed<Request> {
  return attempt((): Request => {
    const f = new Fields(value, 'a request');
    const kind = f.oneOf('kind', REQUEST_KINDS);
    const id = f.int('id');
    switch (kind) {
      case 'submit':
        return readSubmit(f, id);
      case 'status':
      case 'info':
      case 'suspend':
      case 'resume':
      case 'kill':
        return { kind, id, jobId: f.int('jobId', 1) };
      case 'status-all':
        return { kind, id, sinceSec: f.intOrNull('sinceSec') };
      case 'show-finished':
      case 'show-pools':
        return f.has('long') && f.oneOf('long', [true, false] as const) ? { kind, id, long: true } : { kind, id };
      case 'shutdown':
        return f.has('drain') && f.oneOf('drain', [true, false] as const) ? { kind, id, drain: true } : { kind, id };
      case 'wait':
        return { kind, id, jobIds: readWaitIds(f) };
      case 'pause-all': {
        const forSec = f.has('forSec') ? f.int('forSec', 1, MAX_DURATION_SEC) : null;
        return f.has('host') ? { kind, id, forSec, host: readHostName(f) } : { kind, id, forSec };
      }
      case 'resume-all':
        return f.has('host') ? { kind, id, host: readHostName(f) } : { kind, id };
      case 'host-off':
      case 'host-on':
        return { kind, id, host: readHostName(f) };
      case 'read-log':
        return {
          kind, id, jobId: f.int('jobId', 1), stream: f.oneOf('stream', ['stdout', 'stderr'] as const),
          lines: f.intOrNull('lines'), follow: f.has('follow') && f.oneOf('follow', [true, false] as const),
        };
      case 'cancel':
        return { kind, id, requestId: f.int('requestId') };
      case 'show-active':
      case 'show-queued':
      case 'show-hosts':
      case 'show-batches':
        return { kind, id };
      case 'submit-batch':
        return readSubmitBatch(f, id, readEnv);
      case 'status-batch':
      case 'kill-batch':
      case 'archive-list':
        return { kind, id, batch: readBatchRef(f) };
      case 'batch-jobs':
        return { kind, id, batch: f.has('batch') ? readBatchRef(f) : null };
    }
  });
}

function readResult(f: Fields): JobResult {
  const kind = f.oneOf('kind', ['exited', 'signalled', 'timed-out', 'start-failed', 'lost', 'cancelled', 'dependency-failed', 'archive-failed'] as const);
  switch (kind) {
    case 'exited':
      return { kind, code: f.int('code', 0, 255) };
    case 'signalled':
      return { kind, signal: f.str('signal') };
    case 'timed-out':
      return { kind, signal: f.strOrNull('signal'), code: f.intOrNull('code'), afterSec: f.int('afterSec') };
    case 'start-failed':
    case 'lost':
    case 'cancelled':
    case 'archive-failed':
      return { kind, reason: f.str('reason') };
    case 'dependency-failed':
      return { kind, jobId: f.int('jobId', 1), outcome: f.oneOf('outcome', OUTCOMES) };
  }
}

const fieldsOf = (v: unknown, what: string): Fields => new Fields(v, what);

function readOrigin(f: Fields): Origin {
  return { user: f.str('user'), host: f.str('host'), consolePid: f.int('consolePid') };
}

function readJob(f: Fields): JobView {
  return {
    jobId: f.int('jobId', 1),
    status: f.oneOf('status', ['queued', 'active', 'suspended', 'finished'] as const),
    command: f.str('command'),
    pid: f.intOrNull('pid', 1),
    poolPid: f.intOrNull('poolPid', 1),
    dir: f.strOrNull('dir'),
    runningForSec: f.intOrNull('runningForSec'),
    submittedAt: f.int('submittedAt'),
    startedAt: f.intOrNull('startedAt'),
    endedAt: f.intOrNull('endedAt'),
    result: f.has('result') ? readResult(f.obj('result')) : null,
    timeoutSec: f.intOrNull('timeoutSec', 1),
    cwd: f.strOrNull('cwd'),
    origin: f.has('origin') ? readOrigin(f.obj('origin')) : null,
    pause: f.has('pause') ? { until: f.obj('pause').intOrNull('until') } : null,
    host: f.strOrNull('host'),
    needs: f.has('needs') ? readNeeds(f.raw('needs')) : [],
    waiting: f.strOrNull('waiting'),
    ...readJobExtras(f, readResult, fieldsOf),
  };
}

function readBrief(f: Fields): JobBrief {
  return {
    jobId: f.int('jobId', 1),
    status: f.oneOf('status', ['queued', 'active', 'suspended', 'finished'] as const),
    runningForSec: f.intOrNull('runningForSec'),
    outcome: f.has('outcome') ? f.oneOf('outcome', OUTCOMES) : null,
  };
}

function readPool(f: Fields): PoolView {
  const pool: PoolView = { pid: f.int('pid', 1), jobs: f.int('jobs'), host: f.has('host') ? f.str('host', 255) : 'local' };
  if (f.has('long')) {
    const l = f.obj('long');
    pool.long = { taken: l.int('taken'), capacity: l.int('capacity', 1), spare: l.oneOf('spare', [true, false] as const) };
  }
  return pool;
}

function readHost(f: Fields): HostInfo {
  const tags = f.raw('tags');
  if (!Array.isArray(tags) || !tags.every((x): x is string => typeof x === 'string')) throw new FieldError("'tags' must be a list of words");
  return {
    name: f.str('name', 255), kind: f.oneOf('kind', ['local', 'ssh', 'slurm'] as const), state: f.oneOf('state', HOST_STATES),
    why: f.strOrNull('why'), tags, slots: f.int('slots'), used: f.int('used'), pools: f.int('pools'), cost: f.int('cost', 0, 1_000_000),
    pause: f.has('pause') ? { until: f.obj('pause').intOrNull('until') } : null, windowOpen: f.oneOf('windowOpen', [true, false] as const),
    ...(f.has('allocations') ? { allocations: readAllocations(f.raw('allocations')) } : {}),
  };
}

function readAllocations(v: unknown): HostAllocation[] {
  if (!Array.isArray(v)) throw new FieldError("'allocations' must be a list");
  return v.map((item: unknown, i): HostAllocation => {
    const a = new Fields(item, `allocations[${i}]`);
    const features = a.raw('features');
    if (!Array.isArray(features) || !features.every((x): x is string => typeof x === 'string')) throw new FieldError("'features' must be a list of words");
    return {
      pool: a.int('pool'), id: a.strOrNull('id'), state: a.str('state', 64), reason: a.strOrNull('reason'), node: a.strOrNull('node'),
      features, timeSec: a.intOrNull('timeSec'), jobs: a.int('jobs'),
    };
  });
}

const REPLY_KINDS = [
  'submitted', 'queued', 'status', 'info', 'signalled', 'dequeued', 'paused', 'resumed-all', 'served',
  'job', 'detail', 'pool', 'end', 'error', 'host', 'host-switched', 'chunk',
  'batch-part', 'batch-submitted', 'batch', 'batch-killed', 'file',
] as const;

export function parseReply(value: unknown): Parsed<Reply> {
  return attempt((): Reply => {
    const f = new Fields(value, 'a reply');
    const kind = f.oneOf('kind', REPLY_KINDS);
    const id = f.int('id');
    switch (kind) {
      case 'submitted':
        return { kind, id, jobId: f.int('jobId', 1), pid: f.int('pid', 1) };
      case 'queued':
        return { kind, id, jobId: f.int('jobId', 1), position: f.int('position', 1) };
      case 'status':
      case 'info':
      case 'detail':
        return { kind, id, job: readJob(f.obj('job')) };
      case 'dequeued':
        return { kind, id, jobId: f.int('jobId', 1) };
      case 'paused':
        return { kind, id, jobs: f.int('jobs'), until: f.intOrNull('until') };
      case 'resumed-all':
        return { kind, id, jobs: f.int('jobs') };
      case 'job':
        return { kind, id, job: readBrief(f.obj('job')) };
      case 'signalled':
        return { kind, id, jobId: f.int('jobId', 1), action: f.oneOf('action', ['suspend', 'resume', 'kill'] as const) };
      case 'served':
        return { kind, id, served: f.int('served'), inProgress: f.int('inProgress') };
      case 'pool':
        return { kind, id, pool: readPool(f.obj('pool')) };
      case 'host':
        return { kind, id, host: readHost(f.obj('host')) };
      case 'chunk': {
        const data = f.str('data', MAX_FRAME_BYTES);
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data)) throw new FieldError("'data' must be base64");
        return { kind, id, data };
      }
      case 'host-switched':
        return { kind, id, host: f.str('host', 255), state: f.oneOf('state', HOST_STATES), running: f.int('running') };
      case 'batch-part':
        return { kind, id, part: f.int('part') };
      case 'batch-submitted':
        return { kind, id, batch: f.str('batch', 511), jobs: f.int('jobs', 1), firstJobId: f.int('firstJobId', 1), lastJobId: f.int('lastJobId', 1), builds: f.int('builds') };
      case 'batch':
        return { kind, id, batch: readBatchView(f.obj('batch'), fieldsOf) };
      case 'batch-killed':
        return { kind, id, batch: f.str('batch', 511), dequeued: f.int('dequeued'), signalled: f.int('signalled') };
      case 'file':
        return { kind, id, root: f.str('root'), file: readArchiveFile(f.obj('file')) };
      case 'end':
        return { kind, id, count: f.int('count') };
      case 'error':
        return { kind, id, code: f.oneOf('code', ERROR_CODES), message: f.str('message') };
    }
  });
}
