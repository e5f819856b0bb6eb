// One entry of a batch file's `jobs` list read as written (console/batch-file.ts reads the
// file, console/batch-matrix.ts expands matrices and resolves `after`): its keys, its files
// to stage, its exit hooks, each value checked with its line.

import { basename, resolve } from 'node:path';
import { isMap, isSeq } from 'yaml';
import { beginError } from '../protocol/begin.js';
import {
  BATCH_NAME, EXIT_WORDS, type ExitWhen, MATRIX_KEY, MAX_EXIT_CASES, MAX_FILES_PER_JOB, MAX_PRIORITY, MAX_RETRIES,
  type OnExit, relativePathError, type StagedFile,
} from '../protocol/batch.js';
import { MAX_COMMAND_BYTES } from '../protocol/messages.js';
import { MAX_DURATION_SEC } from '../protocol/duration.js';
import { closest } from '../protocol/suggest.js';
import { duration, scalarText, text, whole, word, words } from '../protocol/yaml-read.js';
import { type Field, listOf, mapOf, pairsOf, shown, type Source } from '../protocol/yaml-source.js';
import { type BrokenJob, checkTemplate } from './batch-matrix.js';

export const TAG = /^[A-Za-z0-9_.-]+$/;
export const TAG_FORM = "a tag (letters, digits, '.', '_' and '-')";
export const NAME_FORM = "a name (letters, digits, '.', '_' and '-', starting with a letter or digit)";
export const COMMAND_FORM = 'a command';
const JOB_KEYS = ['name', 'command', 'needs', 'files', 'after', 'matrix', 'timeout', 'retries', 'priority', 'begin', 'on_exit'];
const FILE_KEYS = ['path', 'as'];

/** The name an entry gives itself, read without checking anything, and its line. */
function entryName(src: Source, f: Field): { name: string; line: number } | null {
  if (!isMap(f.node)) return null;
  const node = f.node.get('name', true);
  const name = scalarText(node);
  return name === null ? null : { name, line: src.lineOf(node, f.line) };
}

/** Every job of the file has a name of its own (checked across all entries, even those with mistakes). */
export function checkUniqueNames(src: Source, items: readonly Field[]): void {
  const seen = new Map<string, { path: string; line: number }>();
  for (const item of items) {
    const named = entryName(src, item);
    if (named === null) continue;
    const earlier = seen.get(named.name);
    if (earlier === undefined) seen.set(named.name, { path: item.path, line: named.line });
    else src.fail(named.line, `${item.path}.name`, `'${named.name}' is already the name of ${earlier.path} (line ${earlier.line}); give each job its own name`);
  }
}

/** The name and `after` of an entry that has mistakes, for the checks across jobs. */
export function brokenJob(src: Source, f: Field): BrokenJob {
  const name = entryName(src, f)?.name ?? null;
  if (!isMap(f.node)) return { name, after: [] };
  const node = f.node.get('after', true);
  if (node === undefined || node === null) return { name, after: [] };
  const after = src.field(node, f.line, `${f.path}.after`);
  return { name, after: isSeq(after.node) ? (listOf(src, after, 'a list') ?? []) : scalarText(after.node) !== null ? [after] : [] };
}

export type Exists = (absPath: string) => 'file' | 'dir' | 'missing';

/** What `defaults:` gives every job that does not say otherwise. */
export interface JobDefaults {
  timeoutSec: number | null;
  retries: number;
  priority: number;
}

export interface MatrixParam {
  key: string;
  values: string[];
  line: number;
}

/** A job as the file writes it, before its matrix is expanded and its `after` resolved. */
export interface JobEntry {
  name: string;
  line: number;
  path: string;
  command: string;
  needs: string[];
  after: Field[];
  afterField: Field | null;
  files: StagedFile[];
  matrix: MatrixParam[] | null;
  timeoutSec: number | null;
  retries: number;
  priority: number;
  begin: string | null;
  onExit: OnExit;
}

export function readCommand(src: Source, f: Field): string | null {
  return text(src, f, COMMAND_FORM, MAX_COMMAND_BYTES);
}

export function readRetries(src: Source, f: Field): number | null {
  return whole(src, f, 0, MAX_RETRIES);
}

export function readPriority(src: Source, f: Field): number | null {
  return whole(src, f, -MAX_PRIORITY, MAX_PRIORITY);
}

export function readTimeout(src: Source, f: Field): number | null {
  return duration(src, f, MAX_DURATION_SEC);
}

/** The job `f` describes, or null when it has mistakes (each recorded in `src`). */
export function readJobEntry(src: Source, f: Field, defaults: JobDefaults, baseDir: string, exists: Exists): JobEntry | null {
  const before = src.errors.length;
  const m = mapOf(src, f, JOB_KEYS, 'a job: a map with a name and a command');
  if (m === null) return null;
  const required = (key: string, form: string): Field | null => {
    const v = m.get(key);
    if (v === undefined) src.fail(f.line, `${f.path}.${key}`, `is missing; write ${key}: ${form}`);
    return v ?? null;
  };
  const nameF = required('name', `${NAME_FORM}, unique in the batch`);
  const commandF = required('command', COMMAND_FORM);
  const name = nameF === null ? null : word(src, nameF, BATCH_NAME, NAME_FORM);
  const command = commandF === null ? null : readCommand(src, commandF);
  const get = <T>(key: string, read: (v: Field) => T | null, otherwise: T): T | null => {
    const v = m.get(key);
    return v === undefined ? otherwise : read(v);
  };
  const afterField = m.get('after') ?? null;
  const entry = {
    needs: get('needs', (v) => words(src, v, TAG, TAG_FORM), []),
    after: afterField === null ? [] : readAfter(src, afterField),
    files: get('files', (v) => readFiles(src, v, baseDir, exists), []),
    matrix: get('matrix', (v) => readMatrix(src, v), null),
    timeoutSec: get('timeout', (v) => readTimeout(src, v), defaults.timeoutSec),
    retries: get('retries', (v) => readRetries(src, v), defaults.retries),
    priority: get('priority', (v) => readPriority(src, v), defaults.priority),
    begin: get('begin', (v) => readBegin(src, v), null),
    onExit: get('on_exit', (v) => readOnExit(src, v), []),
  };
  const { needs, files, retries, priority, onExit } = entry;
  if (command !== null && entry.matrix !== null && commandF !== null) checkTemplate(src, { ...commandF, text: command }, f.path, entry.matrix);
  if (src.errors.length > before || name === null || command === null) return null;
  if (needs === null || files === null || retries === null || priority === null || onExit === null) return null;
  return { ...entry, name, line: f.line, path: f.path, command, needs, files, retries, priority, onExit, afterField };
}

function readAfter(src: Source, f: Field): Field[] {
  if (scalarText(f.node) !== null) return [f];
  return listOf(src, f, 'a list of names of jobs of this batch') ?? [];
}

function readBegin(src: Source, f: Field): string | null {
  const t = text(src, f, 'a begin time', 200);
  const bad = t === null ? null : beginError(t);
  if (bad !== null) src.fail(f.line, f.path, bad);
  return bad === null ? t : null;
}

function readFiles(src: Source, f: Field, baseDir: string, exists: Exists): StagedFile[] | null {
  const items = listOf(src, f, 'a list of files, each a path or {path: …, as: …}');
  if (items === null) return null;
  if (items.length > MAX_FILES_PER_JOB) src.fail(f.line, f.path, `lists ${items.length} files, more than the limit of ${MAX_FILES_PER_JOB}; stage a folder instead`);
  const out: StagedFile[] = [];
  const seen = new Map<string, string>();
  for (const item of items.slice(0, MAX_FILES_PER_JOB)) {
    const file = readFile(src, item, baseDir, exists);
    if (file === null) continue;
    const earlier = seen.get(file.as);
    if (earlier !== undefined) {
      src.fail(item.line, item.path, `stages a second file as '${file.as}' (${earlier} is staged there already); give one of them another name with as:`);
      continue;
    }
    seen.set(file.as, file.from);
    out.push(file);
  }
  return out;
}

function readFile(src: Source, f: Field, baseDir: string, exists: Exists): StagedFile | null {
  let pathF: Field | undefined = f;
  let asF: Field | undefined;
  if (scalarText(f.node) === null) {
    const m = mapOf(src, f, FILE_KEYS, 'a path, or a map {path: …, as: …}');
    if (m === null) return null;
    pathF = m.get('path');
    asF = m.get('as');
    if (pathF === undefined) src.fail(f.line, `${f.path}.path`, 'is missing; write path: <a file or folder, relative to the batch file>');
  }
  const p = pathF === undefined ? null : text(src, pathF, 'a path', 4095);
  const as = asF === undefined ? null : text(src, asF, 'a relative path', 4095);
  if (asF !== undefined && as !== null) {
    const bad = relativePathError(as);
    if (bad !== null) src.fail(asF.line, asF.path, `${bad}, not '${as}'; write a name such as input.msh`);
    if (bad !== null) return null;
  }
  if (p === null || pathF === undefined || (asF !== undefined && as === null)) return null;
  const from = resolve(baseDir, p);
  if (exists(from) === 'missing') {
    src.fail(pathF.line, pathF.path, `'${p}' does not exist (looked for ${from}); paths are relative to ${baseDir}`);
    return null;
  }
  return { from, as: as ?? basename(from) };
}

/** `matrix: {re: [100, 1000], grid: [coarse, fine]}`: parameters in file order. */
function readMatrix(src: Source, f: Field): MatrixParam[] | null {
  const pairs = pairsOf(src, f, 'a map of parameter names to lists of values, such as {re: [100, 1000]}');
  if (pairs === null) return null;
  if (pairs.length === 0) src.fail(f.line, f.path, 'is empty; give at least one parameter, such as {re: [100, 1000]}');
  const out: MatrixParam[] = [];
  for (const { key, keyLine, value } of pairs) {
    if (!MATRIX_KEY.test(key)) {
      src.fail(keyLine, value.path, "is not a parameter name; write letters, digits and '_', starting with a letter");
      continue;
    }
    const values = readValues(src, value);
    if (values !== null) out.push({ key, values, line: keyLine });
  }
  return out.length === pairs.length && out.length > 0 ? out : null;
}

function readValues(src: Source, f: Field): string[] | null {
  const items = listOf(src, f, 'a list of values, such as [100, 1000]');
  if (items === null) return null;
  if (items.length === 0) src.fail(f.line, f.path, 'is an empty list; give at least one value');
  const values: string[] = [];
  for (const item of items) {
    const v = scalarText(item.node);
    if (v === null) src.fail(item.line, item.path, `must be a value (a word or a number), not ${shown(item.node)}`);
    else if (/[\0-\x1f\x7f]/.test(v)) src.fail(item.line, item.path, 'contains a control character (a newline or a tab); write the value on one line');
    else if (values.includes(v)) src.fail(item.line, item.path, `repeats the value '${v}'; list each value once`);
    else values.push(v);
  }
  return items.length > 0 && values.length === items.length ? values : null;
}

/** `on_exit: <command>` (any ending) or a map of cases (`failed:`, `timed-out:`, `2:`) to commands. */
export function readOnExit(src: Source, f: Field): OnExit | null {
  if (scalarText(f.node) !== null) {
    const command = readCommand(src, f);
    return command === null ? null : [{ when: 'any', command }];
  }
  const pairs = pairsOf(src, f, 'a command, or a map of cases (succeeded, failed, timed-out, an exit code …) to commands');
  if (pairs === null) return null;
  if (pairs.length > MAX_EXIT_CASES) src.fail(f.line, f.path, `has more than ${MAX_EXIT_CASES} cases; keep it to ${MAX_EXIT_CASES}`);
  const out: OnExit = [];
  const seen: string[] = [];
  for (const { key, keyLine, value } of pairs) {
    const when = exitWhen(key);
    const command = readCommand(src, value);
    if (when === null) {
      const near = closest(key, EXIT_WORDS);
      src.fail(keyLine, value.path, `is not a case; write one of ${EXIT_WORDS.join(', ')} or an exit code from 0 to 255${near !== null ? ` (did you mean '${near}'?)` : ''}`);
    } else if (seen.includes(String(typeof when === 'string' ? when : when.exitCode))) {
      src.fail(keyLine, value.path, 'is a case given twice; give each case once');
    } else if (command !== null) {
      seen.push(String(typeof when === 'string' ? when : when.exitCode));
      out.push({ when, command });
    }
  }
  return out;
}

function exitWhen(key: string): ExitWhen | null {
  const word = EXIT_WORDS.find((w) => w === key.toLowerCase());
  if (word !== undefined) return word;
  if (/^\d{1,3}$/.test(key) && Number(key) <= 255) return { exitCode: Number(key) };
  return null;
}
