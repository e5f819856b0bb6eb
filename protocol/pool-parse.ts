// The only place untrusted JSON of the pool pipe becomes a message type: commands the
// pool reads and events the coordinator reads, each returned or `{ invalid }`.

import { attempt, FieldError, Fields } from './fields.js';
import { POOL_KEY, type JobEnd, type JobTrace } from './ledger.js';
import { MAX_COMMAND_BYTES } from './messages.js';
import { PATH_MAX, readEnv } from './parse.js';
import { JOB_SIGNALS, type DirId, type PoolCommand, type PoolEvent } from './pool-messages.js';
import type { StageEntry } from './stage.js';

type Parsed<T> = T | { invalid: string };

function readDirId(f: Fields): DirId {
  return { dev: f.int('dev'), ino: f.int('ino') };
}

function readConfig(f: Fields): Extract<PoolCommand, { kind: 'config' }> {
  const key = f.str('key', 64);
  if (!POOL_KEY.test(key)) throw new FieldError("'key' must be a pool key (a-z, 0-9, -)");
  return {
    kind: 'config', capacity: f.int('capacity', 1), outDir: f.str('outDir', PATH_MAX),
    outDirId: f.has('outDirId') ? readDirId(f.obj('outDirId')) : null,
    user: f.str('user'), graceMs: f.int('graceMs'), key, ledgerDir: f.str('ledgerDir', PATH_MAX),
    leaseMs: f.intOrNull('leaseMs'), heartbeatMs: f.has('heartbeatMs') ? f.int('heartbeatMs', 1) : null,
  };
}

/** Most files one job stages. */
export const MAX_STAGE_ENTRIES = 1000;

/** The shape only: the pool itself refuses a bad `as` or `src` as the job's start failure. */
function readStage(value: unknown): StageEntry[] {
  if (!Array.isArray(value)) throw new FieldError("'stage' must be a list of {src, as}");
  if (value.length > MAX_STAGE_ENTRIES) throw new FieldError(`'stage' has more than ${MAX_STAGE_ENTRIES} files`);
  return value.map((v: unknown) => {
    const f = new Fields(v, "each of 'stage'");
    const extra = f.keys().find((k) => k !== 'src' && k !== 'as');
    if (extra !== undefined) throw new FieldError(`each of 'stage' has only src and as, not '${extra}'`);
    return { src: f.str('src', PATH_MAX), as: f.str('as', PATH_MAX) };
  });
}

export function parsePoolCommand(value: unknown): Parsed<PoolCommand> {
  return attempt((): PoolCommand => {
    const f = new Fields(value, 'a pool command');
    const kind = f.oneOf('kind', ['config', 'env', 'run', 'signal', 'retire', 'terminate', 'release', 'ping'] as const);
    switch (kind) {
      case 'config':
        return readConfig(f);
      case 'run': {
        const run: Extract<PoolCommand, { kind: 'run' }> = { kind, jobId: f.int('jobId', 1), command: f.str('command', MAX_COMMAND_BYTES) };
        if (f.has('cwd')) run.cwd = f.str('cwd', PATH_MAX);
        if (f.has('envKey')) run.envKey = f.str('envKey', 64);
        if (f.has('setEnv')) run.setEnv = readEnv(f.raw('setEnv'));
        if (f.has('orJobDir') && f.oneOf('orJobDir', [true, false] as const)) run.orJobDir = true;
        if (f.has('inJobDir') && f.oneOf('inJobDir', [true, false] as const)) run.inJobDir = true;
        if (f.has('stage')) run.stage = readStage(f.raw('stage'));
        return run;
      }
      case 'env':
        return { kind, key: f.str('key', 64), env: readEnv(f.raw('env')) };
      case 'signal':
        return { kind, jobId: f.int('jobId', 1), signal: f.oneOf('signal', JOB_SIGNALS) };
      case 'ping':
        return { kind, seq: f.int('seq') };
      case 'retire':
      case 'terminate':
      case 'release':
        return { kind };
    }
  });
}

function readEnd(f: Fields): JobEnd {
  const kind = f.oneOf('kind', ['exited', 'start-failed'] as const);
  if (kind === 'start-failed') return { kind, reason: f.str('reason'), at: f.int('at') };
  return { kind, code: f.intOrNull('code'), signal: f.strOrNull('signal'), at: f.int('at') };
}

function readTrace(value: unknown): JobTrace {
  const f = new Fields(value, 'a job trace');
  const started = f.has('started') ? f.obj('started') : null;
  return {
    jobId: f.int('jobId', 1),
    starting: f.oneOf('starting', [true, false] as const),
    started: started === null ? null : { pid: started.int('pid', 1), dir: started.str('dir'), at: started.int('at') },
    end: f.has('end') ? readEnd(f.obj('end')) : null,
    expiredAt: f.intOrNull('expiredAt'),
  };
}

function readTraces(value: unknown): JobTrace[] {
  if (!Array.isArray(value)) throw new FieldError("'jobs' must be a list of job traces");
  return value.map((v: unknown) => readTrace(v));
}

export function parsePoolEvent(value: unknown): Parsed<PoolEvent> {
  return attempt((): PoolEvent => {
    const f = new Fields(value, 'a pool event');
    const kind = f.oneOf('kind', ['ready', 'started', 'start-failed', 'signalled', 'exited', 'bye', 'state', 'pong', 'absent'] as const);
    switch (kind) {
      case 'ready':
        return { kind, pid: f.int('pid', 1), key: f.str('key', 64) };
      case 'started': {
        const ev: Extract<PoolEvent, { kind: 'started' }> = { kind, jobId: f.int('jobId', 1), pid: f.int('pid', 1), dir: f.str('dir'), at: f.int('at') };
        if (f.has('cwd')) ev.cwd = f.str('cwd', PATH_MAX);
        return ev;
      }
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
      case 'state':
        return { kind, key: f.str('key', 64), pid: f.int('pid', 1), jobs: readTraces(f.raw('jobs')) };
      case 'pong':
        return { kind, seq: f.int('seq') };
      case 'absent':
        return {
          kind, key: f.str('key', 64), pid: f.intOrNull('pid', 1), orphaned: f.oneOf('orphaned', [true, false] as const),
          ledger: f.oneOf('ledger', [true, false] as const), jobs: readTraces(f.raw('jobs')), alive: f.oneOf('alive', [true, false] as const),
        };
    }
  });
}
