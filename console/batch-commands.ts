// The console's batch commands: submit-batch, show-batches, status-batch, kill-batch, pull and
// export-log, each with its usage and how the rest of its line becomes a request or an action
// (the file read here, its YAML in console/batch-read.ts, loaded only for a submit-batch;
// sending, copying and the job log in console/batch-actions.ts).

import fs from 'node:fs';
import { resolve } from 'node:path';
import { BATCH_NAME, type BatchSpec } from '../protocol/batch.js';
import { errno } from '../protocol/fifo.js';
import { nodeOs } from '../protocol/node-os.js';
import { reasonOf } from '../protocol/paths.js';
import type { Exists } from './batch-file.js';
import type { CommandSpec, Parsed, ParseError } from './commands.js';

/** `submit-batch` as parsed: the file read, its YAML not yet (console/batch-read.ts). */
export interface BatchTextAction {
  kind: 'batch-text';
  /** The file as the user named it, and where it is. */
  shown: string;
  file: string;
  text: string;
}

/** `submit-batch`: the batch read and checked, ready to send. */
export interface BatchFileAction {
  kind: 'batch-file';
  file: string;
  spec: BatchSpec;
  /** The environment its jobs get (the console's, as submit sends it). */
  env: Record<string, string>;
}

/** `pull`: the batch's archived files whose paths match, copied into `to` (null: ./<name>). */
export interface PullAction {
  kind: 'pull';
  batch: string;
  to: string | null;
  include: RegExp[];
  exclude: RegExp[];
  dry: boolean;
}

/** `export-log`: the job log of one batch, or of every job (null). */
export interface ExportLogAction {
  kind: 'export-log';
  batch: string | null;
}

export type BatchAction = BatchFileAction | PullAction | ExportLogAction;

/** What a batch command's line parses into. */
export type BatchParsed = BatchTextAction | BatchAction;

/** `name` or `namespace/name`, as the coordinator takes it. */
const BATCH_REF = /^([A-Za-z0-9][A-Za-z0-9._-]*\/)?[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Larger than any batch of MAX_BATCH_JOBS jobs people write by hand. */
export const MAX_BATCH_FILE_BYTES = 64 * 1024 * 1024;

function words(rest: string): string[] {
  return rest.split(/\s+/).filter((w) => w !== '');
}

function short(arg: string): string {
  return arg.length > 40 ? `${arg.slice(0, 40)}…` : arg;
}

function unquote(value: string): string {
  return value.length >= 2 && (value[0] === "'" || value[0] === '"') && value.endsWith(value[0]) ? value.slice(1, -1) : value;
}

/** `--flag=value` as `--flag value`. */
function splitEquals(args: string[], flags: readonly string[]): string[] {
  return args.flatMap((w) => {
    const eq = w.indexOf('=');
    return eq > 0 && flags.includes(w.slice(0, eq)) ? [w.slice(0, eq), w.slice(eq + 1)] : [w];
  });
}

function batchRef(name: string, arg: string): string | ParseError {
  if (BATCH_REF.test(arg)) return arg;
  return { error: `'${short(arg)}' is not a batch name; give ${name} a batch as submit-batch printed it (name or namespace/name), e.g. '${name} sweep-1'; 'show-batches' lists them.` };
}

function oneBatch(name: 'status-batch' | 'kill-batch') {
  return (rest: string): Parsed => {
    const args = words(rest);
    if (args.length !== 1) return { error: `${name} takes the name of one batch; for example '${name} sweep-1' or '${name} alice/sweep-1' ('show-batches' lists them).` };
    const ref = batchRef(name, args[0] ?? '');
    return typeof ref === 'string' ? { kind: name, batch: ref } : ref;
  };
}

export function isFile(p: string): ReturnType<Exists> {
  try {
    return fs.statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** The user's name as a namespace, or why it cannot be one. */
export function userNamespace(): string | ParseError {
  let user: string;
  try {
    user = nodeOs().userInfo().username;
  } catch (err) {
    return { error: `the batch file gives no namespace and this console cannot tell its user's name (${reasonOf(err)}); add namespace: to the file.` };
  }
  if (BATCH_NAME.test(user) && Buffer.byteLength(user) <= 255) return user;
  return { error: `the batch file gives no namespace and the user name '${short(user)}' cannot be one (letters, digits, '.', '_', '-'); add namespace: to the file.` };
}

function readText(file: string, shown: string): string | ParseError {
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_BATCH_FILE_BYTES) return { error: `${shown} is ${size} bytes, more than the ${MAX_BATCH_FILE_BYTES} a batch file may have; split it into several batches.` };
    if (fs.statSync(file).isDirectory()) return { error: `${shown} is a folder, not a batch file; give submit-batch a YAML batch file ('help submit-batch' says more).` };
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const why = errno(err) === 'ENOENT' ? 'there is no such file' : reasonOf(err);
    return { error: `cannot read the batch file ${shown}: ${why}; give submit-batch a YAML batch file ('help submit-batch' says more).` };
  }
}

/** The file submit-batch names, read (its YAML is read by console/batch-read.ts). */
export function readBatchText(shown: string, cwd: string): BatchTextAction | ParseError {
  const file = resolve(cwd, shown);
  const text = readText(file, shown);
  return typeof text === 'string' ? { kind: 'batch-text', shown, file, text } : text;
}

function parseSubmitBatch(rest: string): Parsed {
  const shown = rest.trim();
  if (shown === '') return { error: "submit-batch needs a batch file; give it one, e.g. submit-batch sweep.yaml ('help submit-batch' says more)." };
  if (shown.startsWith('-')) return { error: `submit-batch has no options, not '${short(words(shown)[0] ?? shown)}'; give it just the batch file, e.g. submit-batch sweep.yaml.` };
  let cwd: string;
  try {
    cwd = process.cwd();
  } catch {
    cwd = '/';
  }
  // A name with spaces is taken whole when that file exists; else it is too many words.
  if (/\s/.test(shown) && isFile(resolve(cwd, shown)) === 'missing') {
    return { error: `submit-batch takes one batch file, not ${words(shown).length} words; give it one, e.g. submit-batch sweep.yaml.` };
  }
  return readBatchText(shown, cwd);
}

function regexArg(flag: string, text: string): RegExp | ParseError {
  try {
    return new RegExp(unquote(text));
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    return { error: `'${short(text)}' is not a regular expression (${why}); give ${flag} a JavaScript regular expression matched against each file's path in the archive, e.g. '${flag} \\.csv$'.` };
  }
}

const PULL_FLAGS = ['--to', '--include', '--exclude'] as const;
const PULL_EXAMPLE = "for example 'pull sweep-1 --include \\.csv$ --to results'";

function pullValue(flag: string, value: string, out: PullAction): ParseError | null {
  if (flag === '--to') {
    out.to = unquote(value);
    return null;
  }
  const re = regexArg(flag, value);
  if (!(re instanceof RegExp)) return re;
  (flag === '--include' ? out.include : out.exclude).push(re);
  return null;
}

export function parsePull(rest: string): Parsed {
  const args = splitEquals(words(rest), PULL_FLAGS);
  const out: PullAction = { kind: 'pull', batch: '', to: null, include: [], exclude: [], dry: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--dry') {
      out.dry = true;
    } else if (PULL_FLAGS.some((f) => f === a)) {
      const v = args[++i];
      if (v === undefined || v === '') return { error: `${a} needs a value; ${PULL_EXAMPLE}.` };
      const bad = pullValue(a, v, out);
      if (bad !== null) return bad;
    } else if (a.startsWith('-')) {
      return { error: `pull has no option '${short(a)}' (it has --to, --include, --exclude and --dry); ${PULL_EXAMPLE}.` };
    } else {
      if (out.batch !== '') return { error: `pull takes one batch, not '${short(out.batch)}' and '${short(a)}'; ${PULL_EXAMPLE}.` };
      const ref = batchRef('pull', a);
      if (typeof ref !== 'string') return ref;
      out.batch = ref;
    }
  }
  if (out.batch === '') return { error: `pull needs a batch; ${PULL_EXAMPLE} ('show-batches' lists them).` };
  return out;
}

export function parseExportLog(rest: string): Parsed {
  const args = splitEquals(words(rest), ['--format']);
  let batch: string | null | undefined;
  const example = "for example 'export-log sweep-1 --format tsv' or 'export-log all'";
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--format') {
      const v = args[++i];
      if (v === undefined || v === '') return { error: `--format needs a format; ${example}.` };
      if (v !== 'tsv') return { error: `'${short(v)}' is not a format export-log writes; it writes only tsv (GNU parallel's --joblog format), ${example}.` };
    } else if (a.startsWith('-')) {
      return { error: `export-log has no option '${short(a)}' (it has --format tsv); ${example}.` };
    } else {
      if (batch !== undefined) return { error: `export-log takes one batch, or all; ${example}.` };
      if (a === 'all') {
        batch = null;
        continue;
      }
      const ref = batchRef('export-log', a);
      if (typeof ref !== 'string') return ref;
      batch = ref;
    }
  }
  if (batch === undefined) return { error: `export-log needs a batch, or all; ${example}.` };
  return { kind: 'export-log', batch };
}

export const BATCH_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'submit-batch', usage: 'submit-batch <file.yaml>',
    summary: 'submit the batch a YAML file describes (README: Batches): the whole file is checked first, every mistake shown with its line, and nothing is sent unless it is all right',
    example: 'submit-batch sweep.yaml', takesJobId: false, parse: parseSubmitBatch,
  },
  {
    name: 'show-batches', usage: 'show-batches', summary: 'the batches: state, how their jobs ended so far, how many jobs',
    example: 'show-batches', takesJobId: false,
    parse: (rest) => (words(rest).length === 0 ? { kind: 'show-batches' } : { error: "show-batches takes no arguments; type just 'show-batches'." }),
  },
  {
    name: 'status-batch', usage: 'status-batch <batch>',
    summary: "one batch: its jobs by state and by outcome, its builds, the jobs that did not succeed and how they ended, its windows and archive folder",
    example: 'status-batch sweep-1', takesJobId: false, takesBatch: true, parse: oneBatch('status-batch'),
  },
  {
    name: 'kill-batch', usage: 'kill-batch <batch>', summary: "end a batch: its queued jobs leave the queue, its running jobs are killed as 'kill' kills",
    example: 'kill-batch sweep-1', takesJobId: false, takesBatch: true, parse: oneBatch('kill-batch'),
  },
  {
    name: 'pull', usage: 'pull <batch> [<options>]',
    summary: "copy a batch's archived files here, keeping their paths (<job>/<file>); options: --to <dir> (default ./<batch name>; --to - writes them as a tar stream to standard output), --include <RE> (only paths matching one of the regular expressions given, each written as is, without quotes), --exclude <RE> (not those matching one), --dry (only list them)",
    example: 'pull sweep-1 --include \\.csv$ --to results', takesJobId: false, takesBatch: true, parse: parsePull,
  },
  {
    name: 'export-log', usage: 'export-log <batch>|all [--format tsv]',
    summary: "the job log of a batch (or of every job), GNU parallel's --joblog format: one tab-separated line per run, with its host, start, run time, exit value and signal",
    example: 'export-log sweep-1', takesJobId: false, takesBatch: true, parse: parseExportLog,
  },
];
