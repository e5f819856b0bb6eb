// submit-batch's file as a batch: its YAML read and checked (console/batch-file.ts), the
// namespace the user's when it gives none, the console's environment for its jobs. Loaded
// only when a submit-batch runs, so that other commands never load the YAML parser.

import { dirname } from 'node:path';
import { type Exists, parseBatchFile } from './batch-file.js';
import { type BatchFileAction, type BatchTextAction, isFile, readBatchText, userNamespace } from './batch-commands.js';
import type { ParseError } from './commands.js';

/** The batch a file's text describes, or every mistake in it. */
export function batchOfText(read: BatchTextAction, exists: Exists = isFile): BatchFileAction | ParseError {
  const { shown, file } = read;
  const got = parseBatchFile(read.text, shown, dirname(file), exists);
  if ('errors' in got) {
    const n = got.errors.length;
    return { error: `${shown} has ${n === 1 ? 'a mistake' : `${n} mistakes`}, so nothing was submitted; fix ${n === 1 ? 'it' : 'them'} and submit the file again.`, lines: got.errors };
  }
  if (got.namespace === '') {
    const ns = userNamespace();
    if (typeof ns !== 'string') return ns;
    got.namespace = ns;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { kind: 'batch-file', file, spec: got, env };
}

/** The batch a file describes (relative to `cwd`), or why it cannot be sent. */
export function readBatchFile(shown: string, cwd: string, exists: Exists = isFile): BatchFileAction | ParseError {
  const read = readBatchText(shown, cwd);
  return 'error' in read ? read : batchOfText(read, exists);
}
