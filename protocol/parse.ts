// The only place untrusted JSON becomes a message type: one parse function per
// direction, each returning the message or `{ invalid: <one sentence> }`.

import { ERROR_CODES } from './errors.js';
import { attempt, FieldError, Fields } from './fields.js';
import {
  MAX_COMMAND_BYTES,
  type Hello,
  type JobBrief,
  type JobResult,
  type JobView,
  type PoolView,
  type Reply,
  type Request,
  type Welcome,
} from './messages.js';
import { JOB_SIGNALS, type PoolCommand, type PoolEvent } from './pool-messages.js';

type Parsed<T> = T | { invalid: string };

const PATH_MAX = 4095;

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
    return { kind, version: f.int('version'), coordPid: f.int('coordPid', 1), jobsPool: f.int('jobsPool', 1) };
  });
}

const REQUEST_KINDS = [
  'submit', 'status', 'status-all', 'show-active', 'show-pools', 'show-finished',
  'suspend', 'resume', 'shutdown',
] as const;

export function parseRequest(value: unknown): Parsed<Request> {
  return attempt((): Request => {
    const f = new Fields(value, 'a request');
    const kind = f.oneOf('kind', REQUEST_KINDS);
    const id = f.int('id');
    switch (kind) {
      case 'submit': {
        const command = f.str('command', MAX_COMMAND_BYTES);
        if (command.trim() === '') throw new FieldError('submit needs a job to run');
        if (command.includes('\0')) throw new FieldError('a job cannot contain a NUL byte');
        return { kind, id, command };
      }
      case 'status':
      case 'suspend':
      case 'resume':
        return { kind, id, jobId: f.int('jobId', 1) };
      case 'status-all':
        return { kind, id, sinceSec: f.intOrNull('sinceSec') };
      case 'show-active':
      case 'show-pools':
      case 'show-finished':
      case 'shutdown':
        return { kind, id };
    }
  });
}

function readResult(f: Fields): JobResult {
  const kind = f.oneOf('kind', ['exited', 'signalled', 'start-failed', 'lost', 'cancelled'] as const);
  switch (kind) {
    case 'exited':
      return { kind, code: f.int('code', 0, 255) };
    case 'signalled':
      return { kind, signal: f.str('signal') };
    case 'start-failed':
    case 'lost':
    case 'cancelled':
      return { kind, reason: f.str('reason') };
  }
}

function readJob(f: Fields): JobView {
  return {
    jobId: f.int('jobId', 1),
    status: f.oneOf('status', ['queued', 'active', 'suspended', 'finished'] as const),
    command: f.str('command'),
    pid: f.intOrNull('pid', 1),
    runningForSec: f.intOrNull('runningForSec'),
    submittedAt: f.int('submittedAt'),
    result: f.has('result') ? readResult(f.obj('result')) : null,
  };
}

function readBrief(f: Fields): JobBrief {
  return {
    jobId: f.int('jobId', 1),
    status: f.oneOf('status', ['queued', 'active', 'suspended', 'finished'] as const),
    runningForSec: f.intOrNull('runningForSec'),
    failed: f.oneOf('failed', [true, false] as const),
  };
}

function readPool(f: Fields): PoolView {
  return { pid: f.int('pid', 1), jobs: f.int('jobs') };
}

const REPLY_KINDS = [
  'submitted', 'queued', 'status', 'signalled', 'served', 'job', 'pool', 'end', 'error',
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
        return { kind, id, job: readJob(f.obj('job')) };
      case 'job':
        return { kind, id, job: readBrief(f.obj('job')) };
      case 'signalled':
        return { kind, id, jobId: f.int('jobId', 1), action: f.oneOf('action', ['suspend', 'resume'] as const) };
      case 'served':
        return { kind, id, served: f.int('served'), inProgress: f.int('inProgress') };
      case 'pool':
        return { kind, id, pool: readPool(f.obj('pool')) };
      case 'end':
        return { kind, id, count: f.int('count') };
      case 'error':
        return { kind, id, code: f.oneOf('code', ERROR_CODES), message: f.str('message') };
    }
  });
}

export function parsePoolCommand(value: unknown): Parsed<PoolCommand> {
  return attempt((): PoolCommand => {
    const f = new Fields(value, 'a pool command');
    const kind = f.oneOf('kind', ['config', 'run', 'signal', 'retire'] as const);
    switch (kind) {
      case 'config':
        return {
          kind, capacity: f.int('capacity', 1), outDir: f.str('outDir', PATH_MAX),
          user: f.str('user'), graceMs: f.int('graceMs'),
        };
      case 'run':
        return { kind, jobId: f.int('jobId', 1), command: f.str('command', MAX_COMMAND_BYTES) };
      case 'signal':
        return { kind, jobId: f.int('jobId', 1), signal: f.oneOf('signal', JOB_SIGNALS) };
      case 'retire':
        return { kind };
    }
  });
}

export function parsePoolEvent(value: unknown): Parsed<PoolEvent> {
  return attempt((): PoolEvent => {
    const f = new Fields(value, 'a pool event');
    const kind = f.oneOf('kind', ['ready', 'started', 'start-failed', 'signalled', 'exited', 'bye'] as const);
    switch (kind) {
      case 'ready':
        return { kind, pid: f.int('pid', 1) };
      case 'started':
        return { kind, jobId: f.int('jobId', 1), pid: f.int('pid', 1), dir: f.str('dir'), at: f.int('at') };
      case 'start-failed':
        return { kind, jobId: f.int('jobId', 1), reason: f.str('reason') };
      case 'signalled':
        return { kind, jobId: f.int('jobId', 1), signal: f.oneOf('signal', JOB_SIGNALS), error: f.strOrNull('error') };
      case 'exited':
        return {
          kind, jobId: f.int('jobId', 1), code: f.intOrNull('code'), signal: f.strOrNull('signal'), at: f.int('at'),
        };
      case 'bye':
        return { kind, served: f.int('served') };
    }
  });
}
