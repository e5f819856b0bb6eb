// A batch file (`submit-batch <file.yaml>`) read into a BatchSpec before anything is sent:
// the batch's own keys here, each job in console/batch-jobs.ts, matrices and `after` in
// console/batch-matrix.ts. Every mistake is reported with its line and field, all at once.

import { BATCH_NAME, type BatchSpec, relativePathError } from '../protocol/batch.js';
import { describeWindows } from '../protocol/windows.js';
import { bool, text, windows, word, words } from '../protocol/yaml-read.js';
import { type Field, isEmpty, listOf, loadYaml, mapOf, type Source } from '../protocol/yaml-source.js';
import {
  brokenJob, checkUniqueNames, type Exists, type JobDefaults, type JobEntry, NAME_FORM, readCommand, readJobEntry, readOnExit, readPriority,
  readRetries, readTimeout, TAG, TAG_FORM,
} from './batch-jobs.js';
import { type BrokenJob, expandJobs } from './batch-matrix.js';

export { shellWord } from './batch-matrix.js';
export type { Exists } from './batch-jobs.js';

const TOP_KEYS = ['name', 'namespace', 'needs', 'notify', 'defaults', 'build', 'save', 'keep', 'windows', 'suspend_outside', 'on_exit', 'jobs'];
const DEFAULT_KEYS = ['timeout', 'retries', 'priority'];

/**
 * The batch `text` (the contents of `fileName`) describes; files to stage are looked up
 * relative to `baseDir` with `exists`. The namespace is '' unless the file gives one.
 */
export function parseBatchFile(text: string, fileName: string, baseDir: string, exists: Exists): BatchSpec | { errors: string[] } {
  const loaded = loadYaml(text, fileName);
  if ('errors' in loaded) return loaded;
  const { src, root } = loaded;
  if (isEmpty(root)) {
    src.fail(1, '', 'the file is empty; write a batch: name: and jobs: with at least one job');
    return { errors: src.report() };
  }
  const m = mapOf(src, root, TOP_KEYS, 'a batch: a map with name: and jobs:');
  const spec = m === null ? null : readBatch(src, root, m, baseDir, exists);
  return spec === null || src.errors.length > 0 ? { errors: src.report() } : spec;
}

function readBatch(src: Source, root: Field, m: Map<string, Field>, baseDir: string, exists: Exists): BatchSpec | null {
  const get = <T>(key: string, read: (v: Field) => T | null, otherwise: T): T | null => {
    const v = m.get(key);
    return v === undefined ? otherwise : read(v);
  };
  const nameF = m.get('name');
  if (nameF === undefined) src.fail(root.line, 'name', `is missing; write name: ${NAME_FORM}`);
  const name = nameF === undefined ? null : word(src, nameF, BATCH_NAME, NAME_FORM);
  const namespace = get('namespace', (v) => word(src, v, BATCH_NAME, "a namespace (letters, digits, '.', '_' and '-', starting with a letter or digit; no '/')"), '');
  const runWindows = get('windows', (v) => windows(src, v), null);
  const suspendOutside = get('suspend_outside', (v) => bool(src, v), false);
  const so = m.get('suspend_outside');
  if (suspendOutside === true && so !== undefined && !m.has('windows')) {
    src.fail(so.line, so.path, 'needs windows: to say when jobs may run; add windows: or remove suspend_outside');
  }
  const batch = {
    needs: get('needs', (v) => words(src, v, TAG, TAG_FORM), []),
    notify: get('notify', (v) => readCommand(src, v), null),
    build: get('build', (v) => readCommand(src, v), null),
    save: get('save', (v) => readSave(src, v), null),
    keep: get('keep', (v) => bool(src, v), false),
    onExit: get('on_exit', (v) => readOnExit(src, v), []),
  };
  const defaults = get('defaults', (v) => readDefaults(src, v), { timeoutSec: null, retries: 0, priority: 0 });
  const jobs = readJobs(src, root, m.get('jobs'), defaults ?? { timeoutSec: null, retries: 0, priority: 0 }, baseDir, exists);
  const { needs, keep, onExit } = batch;
  if (name === null || namespace === null || suspendOutside === null || jobs === null) return null;
  if (needs === null || keep === null || onExit === null) return null;
  const windowsText = runWindows === null ? null : describeWindows(runWindows);
  return { ...batch, name, namespace, needs, keep, onExit, windows: windowsText, suspendOutside, jobs };
}

function readSave(src: Source, f: Field): string | null {
  const p = text(src, f, 'a folder inside the working directory', 4095);
  const bad = p === null ? null : relativePathError(p);
  if (bad !== null) src.fail(f.line, f.path, `${bad}, not '${p ?? ''}'; write a folder such as results`);
  return bad === null ? p : null;
}

function readDefaults(src: Source, f: Field): JobDefaults | null {
  const m = mapOf(src, f, DEFAULT_KEYS, 'a map such as {timeout: 2h, retries: 1}');
  if (m === null) return null;
  const t = m.get('timeout');
  const r = m.get('retries');
  const p = m.get('priority');
  const timeoutSec = t === undefined ? null : readTimeout(src, t);
  const retries = r === undefined ? 0 : readRetries(src, r);
  const priority = p === undefined ? 0 : readPriority(src, p);
  if ((t !== undefined && timeoutSec === null) || retries === null || priority === null) return null;
  return { timeoutSec, retries, priority };
}

function readJobs(src: Source, root: Field, f: Field | undefined, defaults: JobDefaults, baseDir: string, exists: Exists): BatchSpec['jobs'] | null {
  if (f === undefined) {
    src.fail(root.line, 'jobs', 'is missing; write jobs: followed by a list of jobs, each with a name and a command');
    return null;
  }
  const items = listOf(src, f, 'a list of jobs, each with a name and a command');
  if (items === null) return null;
  if (items.length === 0) {
    src.fail(f.line, f.path, 'is an empty list; give at least one job with a name and a command');
    return null;
  }
  checkUniqueNames(src, items);
  const entries: JobEntry[] = [];
  const broken: BrokenJob[] = [];
  for (const item of items) {
    const e = readJobEntry(src, item, defaults, baseDir, exists);
    if (e !== null) entries.push(e);
    else broken.push(brokenJob(src, item));
  }
  return expandJobs(src, entries, f, broken);
}
