// Runs one console line: local commands (help, exit, show-coordinator), parsing into a
// request, sending it, and printing the answer as it comes (batch items line by line).
// Every error is one line, `jms_console: error: <what went wrong>; <what to do>.`
// (README "Errors"); an abort (^C) ends the command in progress and prints nothing.

import { envKey } from '../protocol/env-key.js';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { BATCH_REQUESTS, outcomeOf, type JobView, type Reply } from '../protocol/messages.js';
import type { ActionContext, ActionOutcome } from './batch-actions.js';
import type { BatchAction, BatchTextAction } from './batch-commands.js';
import type { EnvFields } from './batch-send.js';
import { findCommand, suggest, type LogsAction, type RequestBody } from './commands.js';
import { CancelledError, type Connection } from './connection.js';
import { findHelp, helpJson, helpLines, topicLines } from './help.js';
import { errorJson, itemJson, JsonLogLines, singleJson } from './json.js';
import { showLogs, type LogSink } from './logs.js';
import { exitWhenFlushed, type Output } from './output.js';
import type { Mode } from './args.js';
import type { Paint } from './paint.js';
import { batchHeader, coordinatorLines, renderItem, renderSingle } from './render.js';

export type LineResult = 'ok' | 'error' | 'quit' | 'shutdown' | 'cancelled';

/** text: the answers as people read them; json: as JSON; quiet: only submit's JobID. */
export type { Mode } from './args.js';

export interface ShellOptions {
  /** A person at a terminal (the REPL). */
  interactive: boolean;
  mode: Mode;
  /** Width to wrap help at. */
  columns: () => number;
}

/** jms_console's own options, which a one-shot command line may have put after the command. */
const VALUELESS_FLAGS = new Set(['-q', '--quiet', '--json']);
const VALUE_FLAGS = new Set(['-w', '-r', '-o', '--jms-in', '--jms-out', '--operations']);
/** submit's options that take a value (the value may look like a flag: `--priority -5`). */
const SUBMIT_VALUE_OPTIONS = new Set(['--timeout', '--needs', '--env', '--export', '--after', '--retries', '--priority', '--begin', '--on-exit']);

export class Shell {
  private inFlight = 0;
  /** Keys of the environments this connection has sent whole. */
  private readonly envsSent = new Set<string>();
  /** The first environment sent, hashed only when a second one is sent (a one-shot never hashes). */
  private firstUnhashed: Readonly<Record<string, string>> | null = null;
  /** The coordinator answered a shutdown: its going away is expected. */
  shutdownAnswered = false;

  constructor(
    private readonly conn: Connection,
    private readonly io: Output,
    private readonly paint: Paint,
    private readonly opts: ShellOptions,
  ) {}

  /**
   * Runs one line; its answer goes to `io`; `signal` aborts it (^C); `oneShot`: the line
   * came on jms_console's own command line.
   */
  async run(line: string, opts: { io?: Output; signal?: AbortSignal; oneShot?: boolean } = {}): Promise<LineResult> {
    const { io = this.io, signal, oneShot = false } = opts;
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return 'ok';
    const match = /^(\S+)\s*([\s\S]*)$/.exec(text);
    const name = match?.[1] ?? '';
    const rest = match?.[2] ?? '';
    if (name === 'exit' || name === 'quit') return 'quit';
    if (name === 'help') return this.help(rest.trim(), io);
    if (name === 'show-coordinator' && rest.trim() === '') return this.showCoordinator(io);
    const spec = findCommand(name);
    if (spec === undefined) {
      const near = suggest(name);
      const hint = near === null ? '' : ` did you mean '${near}'?`;
      return this.fail(`unknown command '${shorten(name)}';${hint} 'help' lists the commands.`, io);
    }
    const misplaced = oneShot ? misplacedFlag(name, rest) : null;
    if (misplaced !== null) return this.fail(misplaced, io);
    const body = spec.parse(rest);
    if ('error' in body) return this.fail(body.error, io, 'E_USAGE', body.lines);
    if (body.kind === 'logs') return this.logs(body, io, signal ?? new AbortController().signal);
    if (body.kind === 'batch-text') return this.submitBatch(body, io, signal);
    if (body.kind === 'batch-file' || body.kind === 'pull' || body.kind === 'export-log') return this.batchAction(body, io, signal);
    return this.send(body, io, signal);
  }

  /** submit-batch: its file's YAML read (the parser loaded only now), then the batch sent. */
  private async submitBatch(read: BatchTextAction, io: Output, signal: AbortSignal | undefined): Promise<LineResult> {
    const batch = (await import('./batch-read.js')).batchOfText(read);
    if ('error' in batch) return this.fail(batch.error, io, 'E_USAGE', batch.lines);
    return this.batchAction(batch, io, signal);
  }

  /** submit-batch, pull and export-log: more than one request, or work of the console's own. */
  private async batchAction(action: BatchAction, io: Output, signal: AbortSignal | undefined): Promise<LineResult> {
    const ctx: ActionContext = {
      conn: this.conn, io, mode: this.opts.mode, paint: this.paint, signal, envFields: (env) => this.envFields(env), cwd: consoleCwd(),
    };
    this.inFlight += 1;
    let done: ActionOutcome;
    try {
      // Loaded for these commands only (with node:child_process, for pull's tar): a one-shot
      // command pays for what it runs.
      const { exportLog, pull, submitBatchFile } = await import('./batch-actions.js');
      done = action.kind === 'batch-file' ? await submitBatchFile(action, ctx) : action.kind === 'pull' ? await pull(action, ctx) : await exportLog(action, ctx);
    } catch (err) {
      if (err instanceof CancelledError) return 'cancelled';
      if (err instanceof CoordinatorNotRunningError) throw err;
      return this.fail(err instanceof Error ? err.message : String(err), io, err instanceof RangeError ? 'E_TOO_LARGE' : 'E_INTERNAL');
    } finally {
      this.inFlight -= 1;
    }
    return done === 'ok' ? 'ok' : this.fail(done.message, io, done.code, done.lines);
  }

  private async send(request: RequestBody, io: Output, signal: AbortSignal | undefined): Promise<LineResult> {
    const body = this.withEnvKey(request);
    const kind = body.kind;
    const text = this.opts.mode === 'text';
    const header = text ? batchHeader(kind) : null;
    let shown = 0;
    const details: JobView[] = [];
    let last: Reply;
    this.inFlight += 1;
    try {
      last = await this.conn.request(body, (item) => {
        if (item.kind === 'detail') details.push(item.job);
        if (this.opts.mode === 'json') io.out(itemJson(item));
        if (text && shown === 0 && header !== null) io.out(header);
        if (text) io.out(renderItem(kind, shown + 1, item, this.paint));
        shown += 1;
      }, signal);
    } catch (err) {
      if (err instanceof CancelledError) return 'cancelled';
      if (err instanceof CoordinatorNotRunningError) throw err;
      return this.fail(err instanceof Error ? err.message : String(err), io, err instanceof RangeError ? 'E_TOO_LARGE' : 'E_INTERNAL');
    } finally {
      this.inFlight -= 1;
    }
    if (last.kind === 'served') this.shutdownAnswered = true;
    if (last.kind === 'error') return this.fail(last.message, io, last.code);
    if (BATCH_REQUESTS.has(kind)) {
      if (shown === 0 && text) {
        if (header !== null) io.out(header);
        else if (this.opts.interactive && kind !== 'wait') io.out(this.paint.dim('(no jobs)'));
      }
      return kind === 'wait' ? this.waited(details, io) : 'ok';
    }
    if (this.opts.mode === 'json') io.out(singleJson(last));
    else if (text) io.out(renderSingle(last, this.paint));
    else if (last.kind === 'submitted' || last.kind === 'queued') io.out(String(last.jobId));
    return last.kind === 'served' ? 'shutdown' : 'ok';
  }

  /** `wait` fails unless every job it waited for succeeded. */
  private waited(details: readonly JobView[], io: Output): LineResult {
    const bad = details.filter((d) => d.result === null || outcomeOf(d.result) !== 'succeeded').map((d) => d.jobId);
    const [first] = bad;
    if (first === undefined) return 'ok';
    const of = `${bad.length} of ${details.length} job${details.length === 1 ? '' : 's'}`;
    const which = bad.length === 1 ? `JobID ${first}` : `JobIDs ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}`;
    return this.fail(`${of} did not succeed (${which}); 'info ${first}' says how it ended.`, io, 'E_JOB_FAILED');
  }

  /** A submit carries the console's environment whole once per connection, then by its key. */
  private withEnvKey(body: RequestBody): RequestBody {
    if (body.kind !== 'submit' || body.env === undefined) return body;
    const fields = this.envFields(body.env);
    if ('env' in fields) return body;
    const { env: _sent, ...rest } = body;
    return { ...rest, envKey: fields.envKey };
  }

  /**
   * The environment whole the first time this connection sends it, then its key (the
   * console's own environment is one frozen object, hashed once: protocol/env-key.ts).
   */
  private envFields(env: Readonly<Record<string, string>>): EnvFields {
    if (this.envsSent.size === 0 && this.firstUnhashed === null) {
      this.firstUnhashed = env;
      return { env };
    }
    if (this.firstUnhashed !== null) this.envsSent.add(envKey(this.firstUnhashed));
    this.firstUnhashed = null;
    const key = envKey(env);
    if (this.envsSent.has(key)) return { envKey: key };
    this.envsSent.add(key);
    return { env };
  }

  private async logs(action: LogsAction, io: Output, signal: AbortSignal): Promise<LineResult> {
    let sink: LogSink | null = null;
    if (this.opts.mode === 'text') sink = { bytes: (chunk) => io.bytes(chunk), end: () => undefined };
    if (this.opts.mode === 'json') {
      const lines = new JsonLogLines({ jobId: action.jobId, stream: action.stream }, (doc) => io.out(doc));
      sink = { bytes: (chunk) => lines.push(chunk), end: () => lines.end() };
    }
    this.inFlight += 1;
    try {
      const done = await showLogs(this.conn, action, sink, signal);
      if ('cancelled' in done) return 'cancelled';
      return done.ok ? 'ok' : this.fail(done.message, io, done.code);
    } catch (err) {
      if (err instanceof CancelledError) return 'cancelled';
      throw err;
    } finally {
      this.inFlight -= 1;
    }
  }

  /**
   * What to do when the coordinator goes away while no request waits for it (a request
   * in flight reports it itself): say so and leave with status 3.
   */
  leaveWhenGone(before: () => void = () => undefined): void {
    this.conn.onGone = (err) => {
      if (this.inFlight > 0 || this.shutdownAnswered) return;
      before();
      if (this.opts.mode === 'json') this.io.err(errorJson('E_NO_COORDINATOR', err.message));
      else this.io.err(this.paint.red(`jms_console: error: ${err.message}`));
      exitWhenFlushed(3);
    };
  }

  private help(topic: string, io: Output): LineResult {
    const json = this.opts.mode === 'json';
    if (topic === '') {
      if (json) io.out(helpJson());
      else for (const l of helpLines(this.opts.columns())) io.out(l);
      return 'ok';
    }
    const c = findHelp(topic);
    if (c === undefined) return this.fail(`there is no command '${shorten(topic)}'; 'help' lists the commands.`, io);
    if (json) io.out(helpJson(c));
    else for (const l of topicLines(c, this.opts.columns())) io.out(l);
    return 'ok';
  }

  private showCoordinator(io: Output): LineResult {
    const { welcome, paths } = this.conn;
    const facts = { pid: welcome.coordPid, jobsPool: welcome.jobsPool, maxPools: welcome.maxPools, outDir: welcome.outDir, jmsIn: paths.jmsIn, jmsOut: paths.jmsOut };
    if (this.opts.mode === 'json') io.out(JSON.stringify(facts));
    else if (this.opts.mode === 'text') for (const l of coordinatorLines(facts)) io.out(l);
    return 'ok';
  }

  /** One error line, after the `lines` it sums up (a batch file's mistakes, each its own line). */
  private fail(message: string, io: Output, code = 'E_USAGE', lines: readonly string[] = []): LineResult {
    if (this.opts.mode === 'json') {
      io.err(errorJson(code, message, lines));
      return 'error';
    }
    for (const l of lines) io.err(this.paint.red(`jms_console: error: ${l}`));
    io.err(this.paint.red(`jms_console: error: ${message}`));
    return 'error';
  }
}

function consoleCwd(): string {
  try {
    return process.cwd();
  } catch {
    return '/'; // its directory was removed: pull needs --to with an absolute folder
  }
}

function shorten(word: string, most = 40): string {
  return word.length > most ? `${word.slice(0, most)}…` : word;
}

/**
 * `jms_console submit -q echo hi` means -q for jms_console, but everything after the
 * command name is the command's: such a word is refused with the command line that
 * says it (submit: only among its options, before the job).
 */
export function misplacedFlag(name: string, rest: string): string | null {
  const words = rest.split(/\s+/).filter((w) => w !== '');
  let at = -1;
  for (let i = 0; i < words.length; i += 1) {
    const w = words[i] ?? '';
    if (name === 'submit' && (!w.startsWith('-') || w === '--')) break;
    if (VALUELESS_FLAGS.has(w) || VALUE_FLAGS.has(w)) {
      at = i;
      break;
    }
    if (name === 'submit' && SUBMIT_VALUE_OPTIONS.has(w)) i += 1;
  }
  const flag = words[at];
  if (flag === undefined) return null;
  const taken = VALUE_FLAGS.has(flag) ? words.slice(at, at + 2) : [flag];
  const others = [...words.slice(0, at), ...words.slice(at + taken.length)];
  const fixed = ['jms_console', ...taken, name, ...others].join(' ');
  return `${flag} is an option of jms_console, not of ${name}; put it before the command: '${shorten(fixed, 200)}'.`;
}
