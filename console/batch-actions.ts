// The batch commands that are more than one request and its answer: submit-batch (the
// batch in parts), pull (the archive listed, then copied here) and export-log (every job of
// a batch in full, written as a job log). Each prints as the console prints (text, JSON or
// quiet) and ends ok, cancelled, or failed with one sentence and the lines before it.

import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { ArchiveFile, JobView } from '../protocol/messages.js';
import type { BatchFileAction, ExportLogAction, PullAction } from './batch-commands.js';
import { type EnvFields, sendBatch } from './batch-send.js';
import type { Connection } from './connection.js';
import { JOBLOG_HEADER, joblogJson, joblogLine, joblogRows } from './export-log.js';
import { isTerminal } from '../protocol/fifo-native.js';
import { singleJson } from './json.js';
import type { Output } from './output.js';
import { copyFiles, defaultTarget, keyOfRoot, selectFiles, shownPath, sizeText } from './pull.js';
import { renderSingle } from './render.js';
import type { Paint } from './paint.js';

export type ActionOutcome = 'ok' | { message: string; code: string; lines?: string[] };

export interface ActionContext {
  conn: Connection;
  io: Output;
  mode: 'text' | 'json' | 'quiet';
  paint: Paint;
  signal: AbortSignal | undefined;
  envFields(env: Record<string, string>): EnvFields;
  cwd: string;
}

export async function submitBatchFile(a: BatchFileAction, ctx: ActionContext): Promise<ActionOutcome> {
  const sent = await sendBatch(ctx.conn, a.spec, ctx.envFields(a.env), ctx.signal);
  if ('failed' in sent) return { message: sent.failed, code: 'E_INTERNAL' };
  if ('error' in sent) return { message: sent.error.message, code: sent.error.code };
  if (ctx.mode === 'json') ctx.io.out(singleJson(sent.reply));
  else if (ctx.mode === 'text') ctx.io.out(renderSingle(sent.reply, ctx.paint));
  else ctx.io.out(sent.reply.batch);
  return 'ok';
}

function files(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

async function archiveList(ctx: ActionContext, batch: string): Promise<{ root: string | null; list: ArchiveFile[] } | ActionOutcome> {
  let root: string | null = null;
  const list: ArchiveFile[] = [];
  const last = await ctx.conn.request({ kind: 'archive-list', batch }, (item) => {
    if (item.kind !== 'file') return;
    root ??= item.root;
    list.push(item.file);
  }, ctx.signal);
  if (last.kind === 'error') return { message: last.message, code: last.code };
  return { root, list };
}

export async function pull(a: PullAction, ctx: ActionContext): Promise<ActionOutcome> {
  const listed = await archiveList(ctx, a.batch);
  if (listed === 'ok' || !('list' in listed)) return listed;
  const { root, list } = listed;
  const key = root === null ? a.batch : keyOfRoot(root);
  const chosen = selectFiles(list, a.include, a.exclude).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const to = a.to ?? defaultTarget(key);
  const text = ctx.mode === 'text';
  const bytes = chosen.reduce((sum, f) => sum + f.size, 0);
  if (root === null || chosen.length === 0) {
    const why = list.length === 0 ? 'its archive is empty (its jobs have saved nothing yet)' : `none of its ${files(list.length)} matches --include/--exclude`;
    if (text) ctx.io.out(`Pulled 0 files of ${key}: ${why}`);
    if (ctx.mode === 'json') ctx.io.out(JSON.stringify({ batch: key, root, into: resolve(ctx.cwd, to), dry: a.dry, files: [], bytes: 0 }));
    return 'ok';
  }
  const doc = (copied: readonly ArchiveFile[]): string => JSON.stringify({ batch: key, root, into: resolve(ctx.cwd, to), dry: a.dry, files: copied, bytes: copied.reduce((s, f) => s + f.size, 0) });
  if (a.dry) {
    if (text) for (const f of chosen) ctx.io.out(`${shownPath(to, f.path)} (${sizeText(f.size)})`);
    if (text) ctx.io.out(`Would pull ${files(chosen.length)} (${sizeText(bytes)}) of ${key} into ${to} (--dry: nothing was copied)`);
    if (ctx.mode === 'json') ctx.io.out(doc(chosen));
    return 'ok';
  }
  if (to === '-') return tarOut(root, chosen, key);
  const done = await copyFiles(root, chosen, resolve(ctx.cwd, to), (f) => {
    if (text) ctx.io.out(`${shownPath(to, f.path)} (${sizeText(f.size)})`);
  });
  if (done.failed.length > 0) {
    return {
      message: `${done.failed.length} of ${files(chosen.length)} of ${key} could not be copied into ${to} (${files(done.copied.length)} were); see why above, fix it and pull again.`,
      code: 'E_STORAGE', lines: done.failed.map((f) => `cannot copy ${f.path}: ${f.why}`),
    };
  }
  if (text) ctx.io.out(`Pulled ${files(done.copied.length)} (${sizeText(done.bytes)}) of ${key} into ${to}`);
  if (ctx.mode === 'json') ctx.io.out(doc(done.copied));
  return 'ok';
}

/**
 * `pull … --to -`: the chosen files as a tar stream on standard output (paths relative to
 * the batch's archive folder), for a console reached over ssh:
 * `ssh coordhost jms_console pull sweep-1 --to - | tar -x -C sweep-1`.
 */
async function tarOut(root: string, chosen: readonly ArchiveFile[], key: string): Promise<ActionOutcome> {
  if (isTerminal(1)) return { message: `pull --to - writes a tar stream, not for a terminal; pipe it, e.g. 'jms_console pull ${key} --to - | tar -x'.`, code: 'E_BAD_REQUEST' };
  const child = spawn('tar', ['-c', '-C', root, '--null', '--no-recursion', '-T', '-'], { stdio: ['pipe', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (x: string) => (stderr += x));
  child.stdin.on('error', () => undefined);
  child.stdin.end(chosen.map((f) => `${f.path}\0`).join(''));
  const code = await new Promise<number | null>((done) => {
    child.on('error', (err) => {
      stderr += err.message;
      done(null);
    });
    child.on('close', (c: number | null) => done(c));
  });
  if (code === 0) return 'ok';
  const why = stderr.trim().split('\n').pop() ?? '';
  return { message: `the tar stream of ${key} failed (${why === '' ? `tar exited with code ${code ?? 'null'}` : why.replace(/^tar: /, '')}); nothing usable was written.`, code: 'E_STORAGE' };
}

export async function exportLog(a: ExportLogAction, ctx: ActionContext): Promise<ActionOutcome> {
  const views: JobView[] = [];
  const last = await ctx.conn.request({ kind: 'batch-jobs', batch: a.batch }, (item) => {
    if (item.kind === 'detail') views.push(item.job);
  }, ctx.signal);
  if (last.kind === 'error') return { message: last.message, code: last.code };
  const rows = joblogRows(views);
  if (ctx.mode === 'text') {
    ctx.io.out(JOBLOG_HEADER);
    for (const r of rows) ctx.io.out(joblogLine(r));
  }
  if (ctx.mode === 'json') for (const r of rows) ctx.io.out(joblogJson(r));
  return 'ok';
}
