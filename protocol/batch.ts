// A batch as data, as it crosses from the console (console/batch-file.ts reads it from YAML)
// to the coordinator: its jobs already expanded from matrices, their defaults filled in and
// their `after` names resolved; and parseBatchSpec, the wire parser that checks all of it
// again, since the coordinator trusts nothing it is sent.

import { beginError } from './begin.js';
import { MAX_DURATION_SEC } from './duration.js';
import { findCycle, cycleText } from './batch-graph.js';
import { attempt, FieldError, Fields } from './fields.js';
import { MAX_COMMAND_BYTES, type Outcome, OUTCOMES } from './messages.js';
import { parseWindows } from './windows.js';

export type ExitWhen = Outcome | 'any' | { exitCode: number };
/** Commands run when a job (or the batch) ends, for the cases they name, in order. */
export type OnExit = { when: ExitWhen; command: string }[];

export interface StagedFile {
  /** Absolute path on the console's machine. */
  from: string;
  /** Relative path in the job's working directory, without `..`. */
  as: string;
}

export interface BatchJobSpec {
  /** Unique in the batch; a matrix job's expansions are `<name>[k1=v1,k2=v2]`. */
  name: string;
  command: string;
  needs: string[];
  /** Names of jobs of this batch that must succeed first. */
  after: string[];
  files: StagedFile[];
  timeoutSec: number | null;
  retries: number;
  priority: number;
  /** The begin time as written (protocol/begin.ts), resolved at submit. */
  begin: string | null;
  onExit: OnExit;
}

export interface BatchSpec {
  name: string;
  /** '' until the console fills in the user's name. */
  namespace: string;
  needs: string[];
  notify: string | null;
  build: string | null;
  /** A folder inside each job's working directory whose contents are archived. */
  save: string | null;
  keep: boolean;
  /** Run windows (protocol/windows.ts), normalized. */
  windows: string | null;
  suspendOutside: boolean;
  onExit: OnExit;
  jobs: BatchJobSpec[];
}

export const EXIT_WORDS: readonly (Outcome | 'any')[] = [...OUTCOMES, 'any'];
export const MAX_BATCH_JOBS = 10_000;
export const MAX_RETRIES = 100;
export const MAX_PRIORITY = 1000;
export const MAX_FILES_PER_JOB = 1000;
export const MAX_TAGS = 100;
export const MAX_EXIT_CASES = 100;
/** A job name becomes a directory name: at most NAME_MAX bytes. */
export const MAX_NAME_BYTES = 255;

export const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MATRIX_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a matrix value may show of itself in a job name; anything else becomes `_`. */
export const NAME_VALUE_CHAR = /[A-Za-z0-9._+:@%-]/;
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9._+:@%-]*(,[A-Za-z_][A-Za-z0-9_]*=[A-Za-z0-9._+:@%-]*)*\])?$/;
const TAG = /^[A-Za-z0-9_.-]+$/;
const PATH_MAX = 4095;

/** Why `p` is not a relative path inside a directory, or null when it is one. */
export function relativePathError(p: string): string | null {
  if (p === '' || p.includes('\0')) return 'must be a relative path';
  if (p.startsWith('/')) return 'must be relative to the working directory, not absolute';
  const parts = p.split('/');
  if (parts.includes('..')) return "must stay inside the working directory (no '..')";
  if (parts.every((x) => x === '' || x === '.')) return 'must name something inside the working directory, not the directory itself';
  return null;
}

function command(f: Fields, name: string): string {
  const c = f.str(name, MAX_COMMAND_BYTES);
  if (c.trim() === '' || c.includes('\0')) throw new FieldError(`'${name}' must be a command`);
  return c;
}

function commandOrNull(f: Fields, name: string): string | null {
  return f.has(name) ? command(f, name) : null;
}

function tags(f: Fields, name: string): string[] {
  const v = f.raw(name);
  if (!Array.isArray(v) || v.length > MAX_TAGS) throw new FieldError(`'${name}' must be a list of at most ${MAX_TAGS} tags`);
  return v.map((x: unknown) => {
    if (typeof x !== 'string' || !TAG.test(x)) throw new FieldError(`'${name}' must hold tags (letters, digits, '.', '_', '-')`);
    return x;
  });
}

export function readOnExit(f: Fields): OnExit {
  const v = f.raw('onExit');
  if (!Array.isArray(v) || v.length > MAX_EXIT_CASES) throw new FieldError(`'onExit' must be a list of at most ${MAX_EXIT_CASES} cases`);
  return v.map((item: unknown, i: number) => {
    const c = new Fields(item, `'onExit[${i}]'`);
    const when = c.raw('when');
    if (typeof when === 'string') return { when: c.oneOf('when', EXIT_WORDS), command: command(c, 'command') };
    return { when: { exitCode: c.obj('when').int('exitCode', 0, 255) }, command: command(c, 'command') };
  });
}

export function readFiles(f: Fields): StagedFile[] {
  const v = f.raw('files');
  if (!Array.isArray(v) || v.length > MAX_FILES_PER_JOB) throw new FieldError(`'files' must be a list of at most ${MAX_FILES_PER_JOB} files`);
  return v.map((item: unknown, i: number) => {
    const g = new Fields(item, `'files[${i}]'`);
    const from = g.str('from', PATH_MAX);
    if (!from.startsWith('/') || from.includes('\0')) throw new FieldError(`'files[${i}].from' must be an absolute path`);
    const as = g.str('as', PATH_MAX);
    const bad = relativePathError(as);
    if (bad !== null) throw new FieldError(`'files[${i}].as' ${bad}`);
    return { from, as };
  });
}

function readJob(f: Fields): BatchJobSpec {
  const name = f.str('name', MAX_NAME_BYTES);
  if (!JOB_NAME.test(name)) throw new FieldError("'name' must be a job name (letters, digits, '.', '_', '-', and a matrix's [key=value,…])");
  const after = f.raw('after');
  if (!Array.isArray(after) || after.length > MAX_BATCH_JOBS || after.some((a) => typeof a !== 'string')) {
    throw new FieldError("'after' must be a list of job names");
  }
  const begin = f.strOrNull('begin');
  if (begin !== null && beginError(begin) !== null) throw new FieldError("'begin' must be a begin time such as 22:00, +2h or 2026-12-24");
  return {
    name,
    command: command(f, 'command'),
    needs: tags(f, 'needs'),
    after: after.filter((a): a is string => typeof a === 'string'),
    files: readFiles(f),
    timeoutSec: f.has('timeoutSec') ? f.int('timeoutSec', 1, MAX_DURATION_SEC) : null,
    retries: f.int('retries', 0, MAX_RETRIES),
    priority: f.int('priority', -MAX_PRIORITY, MAX_PRIORITY),
    begin,
    onExit: readOnExit(f),
  };
}

function readJobs(f: Fields): BatchJobSpec[] {
  const v = f.raw('jobs');
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_BATCH_JOBS) throw new FieldError(`'jobs' must be a list of 1 to ${MAX_BATCH_JOBS} jobs`);
  const jobs = v.map((item: unknown, i: number) => {
    try {
      return readJob(new Fields(item, `'jobs[${i}]'`));
    } catch (err) {
      if (err instanceof FieldError) throw new FieldError(`jobs[${i}]: ${err.message}`);
      throw err;
    }
  });
  checkGraph(jobs);
  return jobs;
}

function checkGraph(jobs: readonly BatchJobSpec[]): void {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  if (byName.size !== jobs.length) throw new FieldError("'jobs' must have names unique in the batch");
  for (const j of jobs) {
    const unknown = j.after.find((a) => !byName.has(a));
    if (unknown !== undefined) throw new FieldError(`job '${j.name}' is after '${unknown.slice(0, 80)}', which is not a job of the batch`);
  }
  const cycle = findCycle([...byName.keys()], (n) => byName.get(n)?.after ?? []);
  if (cycle !== null) throw new FieldError(`the jobs wait for each other in a cycle: ${cycleText(cycle)}`);
}

export function parseBatchSpec(value: unknown): BatchSpec | { invalid: string } {
  return attempt((): BatchSpec => {
    const f = new Fields(value, 'a batch');
    const name = f.str('name', MAX_NAME_BYTES);
    if (!BATCH_NAME.test(name)) throw new FieldError("'name' must be a batch name (letters, digits, '.', '_', '-')");
    const namespace = f.str('namespace', MAX_NAME_BYTES);
    if (namespace !== '' && !BATCH_NAME.test(namespace)) throw new FieldError("'namespace' must be a word without '/'");
    const save = f.strOrNull('save');
    const saveBad = save === null ? null : relativePathError(save);
    if (saveBad !== null) throw new FieldError(`'save' ${saveBad}`);
    const windows = f.strOrNull('windows');
    if (windows !== null && 'error' in parseWindows(windows)) throw new FieldError("'windows' must be run windows such as mon-fri 19:00-08:00, sat-sun");
    const suspendOutside = f.oneOf('suspendOutside', [true, false] as const);
    if (suspendOutside && windows === null) throw new FieldError("'suspendOutside' needs 'windows'");
    return {
      name, namespace, needs: tags(f, 'needs'), notify: commandOrNull(f, 'notify'), build: commandOrNull(f, 'build'),
      save, keep: f.oneOf('keep', [true, false] as const), windows, suspendOutside, onExit: readOnExit(f), jobs: readJobs(f),
    };
  });
}
