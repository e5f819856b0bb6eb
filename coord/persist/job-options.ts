// A job's options as its `new` record carries them: read back strictly (the journal is
// trusted no more than a console), and copied without undefined members.

import { readFiles, readOnExit } from '../../protocol/batch.js';
import { FieldError, type Fields } from '../../protocol/fields.js';
import type { Origin } from '../../protocol/messages.js';
import { readEnv } from '../../protocol/parse.js';
import { readJobIds } from '../../protocol/parse-batch.js';
import type { JobOptions } from '../core/state.js';

function readWords(v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((w): w is string => typeof w === 'string')) throw new FieldError("'needs' must be a list of tags");
  return v;
}

/** The options fields of a `new` record (or a job of a `batch` record). */
export function readOptions(f: Fields): JobOptions {
  const o: JobOptions = {};
  if (f.has('cwd')) o.cwd = f.str('cwd');
  if (f.has('envId')) o.envId = f.str('envId');
  if (f.has('timeoutSec')) o.timeoutSec = f.int('timeoutSec', 1);
  if (f.has('needs')) o.needs = readWords(f.raw('needs'));
  if (f.has('setEnv')) o.setEnv = readEnv(f.raw('setEnv'));
  if (f.has('origin')) {
    const g = f.obj('origin');
    const origin: Origin = { user: g.str('user'), host: g.str('host'), consolePid: g.int('consolePid') };
    o.origin = origin;
  }
  if (f.has('batch')) o.batch = f.str('batch', 511);
  if (f.has('name')) o.name = f.str('name', 255);
  if (f.has('kind')) o.kind = f.oneOf('kind', ['build'] as const);
  if (f.has('pin')) o.pin = f.str('pin', 255);
  if (f.has('after')) o.after = readJobIds(f.raw('after'), 'after', Number.MAX_SAFE_INTEGER);
  if (f.has('retries')) o.retries = f.int('retries');
  if (f.has('priority')) o.priority = f.int('priority', -1000, 1000);
  if (f.has('beginAt')) o.beginAt = f.int('beginAt');
  if (f.has('onExit')) o.onExit = readOnExit(f);
  if (f.has('files')) o.files = readFiles(f);
  if (f.has('save')) o.save = f.str('save', 4095);
  return o;
}

/** The options part of a job, as a `new` record carries them. */
export function optionsOf(job: JobOptions): JobOptions {
  const o: JobOptions = {};
  if (job.cwd !== undefined) o.cwd = job.cwd;
  if (job.envId !== undefined) o.envId = job.envId;
  if (job.timeoutSec !== undefined) o.timeoutSec = job.timeoutSec;
  if (job.origin !== undefined) o.origin = job.origin;
  if (job.needs !== undefined) o.needs = job.needs;
  if (job.setEnv !== undefined) o.setEnv = job.setEnv;
  if (job.batch !== undefined) o.batch = job.batch;
  if (job.name !== undefined) o.name = job.name;
  if (job.kind !== undefined) o.kind = job.kind;
  if (job.pin !== undefined) o.pin = job.pin;
  if (job.after !== undefined) o.after = job.after;
  if (job.retries !== undefined) o.retries = job.retries;
  if (job.priority !== undefined) o.priority = job.priority;
  if (job.beginAt !== undefined) o.beginAt = job.beginAt;
  if (job.onExit !== undefined) o.onExit = job.onExit;
  if (job.files !== undefined) o.files = job.files;
  if (job.save !== undefined) o.save = job.save;
  return o;
}
