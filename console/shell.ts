// Runs one console line: local commands (help, exit), parsing into a request,
// sending it, and printing the answer as it comes (batch items line by line).

import type { ChalkInstance } from 'chalk';
import { envKey } from '../protocol/env-key.js';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { BATCH_REQUESTS, outcomeOf, type JobView, type Reply } from '../protocol/messages.js';
import { COMMANDS, LOCAL_COMMANDS, findCommand, suggest, type LogsAction, type RequestBody } from './commands.js';
import type { Connection } from './connection.js';
import { errorJson, itemJson, singleJson } from './json.js';
import { showLogs } from './logs.js';
import { batchHeader, renderItem, renderSingle } from './render.js';

export type LineResult = 'ok' | 'error' | 'quit' | 'shutdown';

/** text: the answers as people read them; json: as JSON; quiet: only submit's JobID. */
export type Mode = 'text' | 'json' | 'quiet';

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export const stdio: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export class Shell {
  private inFlight = 0;
  /** Keys of the environments this connection has sent whole. */
  private readonly envsSent = new Set<string>();
  /** The coordinator answered a shutdown: its going away is expected. */
  shutdownAnswered = false;

  constructor(
    private readonly conn: Connection,
    private readonly io: Output,
    private readonly paint: ChalkInstance,
    private readonly interactive: boolean,
    private readonly mode: Mode = 'text',
  ) {}

  async run(line: string, io: Output = this.io): Promise<LineResult> {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return 'ok';
    const match = /^(\S+)\s*([\s\S]*)$/.exec(text);
    const name = match?.[1] ?? '';
    const rest = match?.[2] ?? '';
    if (name === 'exit' || name === 'quit') return 'quit';
    if (name === 'help') return this.help(rest.trim(), io);
    const spec = findCommand(name);
    if (spec === undefined) {
      const near = suggest(name);
      const hint = near === null ? '' : ` Did you mean '${near}'?`;
      return this.fail(`unknown command '${shorten(name)}'.${hint} Type 'help' for the list of commands.`, io);
    }
    const body = spec.parse(rest);
    if ('error' in body) return this.fail(body.error, io);
    if (body.kind === 'logs') return this.logs(body, io);
    return this.send(body, io);
  }

  private async send(request: RequestBody, io: Output): Promise<LineResult> {
    const body = this.withEnvKey(request);
    const kind = body.kind;
    const header = this.mode === 'text' ? batchHeader(kind) : null;
    let shown = 0;
    const details: JobView[] = [];
    const showHeader = (): void => {
      if (header !== null && shown === 0) io.out(header);
    };
    let last: Reply;
    this.inFlight += 1;
    try {
      last = await this.conn.request(body, (item) => {
        if (item.kind === 'detail') details.push(item.job);
        if (this.mode === 'json') io.out(itemJson(item));
        if (this.mode === 'text') {
          showHeader();
          io.out(renderItem(kind, shown + 1, item, this.paint));
        }
        shown += 1;
      });
    } catch (err) {
      if (err instanceof CoordinatorNotRunningError) throw err;
      return this.fail(err instanceof Error ? err.message : String(err), io, err instanceof RangeError ? 'E_TOO_LARGE' : 'E_INTERNAL');
    } finally {
      this.inFlight -= 1;
    }
    if (last.kind === 'served') this.shutdownAnswered = true;
    if (last.kind === 'error') return this.fail(last.message, io, last.code);
    if (BATCH_REQUESTS.has(kind)) {
      if (shown === 0 && this.mode === 'text') {
        showHeader();
        if (this.interactive && header === null && kind !== 'wait') io.out(this.paint.dim('(no jobs)'));
      }
      if (kind === 'wait') {
        const bad = details.filter((d) => d.result === null || outcomeOf(d.result) !== 'succeeded').length;
        if (bad > 0) return this.fail(`${bad} of ${details.length} job${details.length === 1 ? '' : 's'} did not succeed.`, io, 'E_JOB_FAILED');
      }
      return 'ok';
    }
    if (this.mode === 'json') io.out(singleJson(last));
    else if (this.mode === 'text') io.out(renderSingle(last, this.paint));
    else if (last.kind === 'submitted' || last.kind === 'queued') io.out(String(last.jobId));
    return last.kind === 'served' ? 'shutdown' : 'ok';
  }

  /** A submit carries the console's environment whole once per connection, then by its key. */
  private withEnvKey(body: RequestBody): RequestBody {
    if (body.kind !== 'submit' || body.env === undefined) return body;
    const key = envKey(body.env);
    if (!this.envsSent.has(key)) {
      this.envsSent.add(key);
      return body;
    }
    const { env: _sent, ...rest } = body;
    return { ...rest, envKey: key };
  }

  private async logs(action: LogsAction, io: Output): Promise<LineResult> {
    const emit = this.mode === 'json'
      ? (line: string): void => io.out(JSON.stringify({ jobId: action.jobId, stream: action.stream, line }))
      : this.mode === 'text' ? (line: string): void => io.out(line) : (): void => undefined;
    this.inFlight += 1;
    try {
      const done = await showLogs(this.conn, action, emit);
      return done.ok ? 'ok' : this.fail(done.message, io, done.code);
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
      this.io.err(this.paint.red(`jms_console: error: ${err.message}`));
      exitWhenFlushed(3);
    };
  }

  private help(topic: string, io: Output): LineResult {
    const all = [...COMMANDS, ...LOCAL_COMMANDS];
    if (topic === '') {
      io.out('Commands:');
      const width = Math.max(...all.map((c) => c.usage.length));
      for (const c of all) io.out(`  ${c.usage.padEnd(width)}  ${c.summary}`);
      io.out("Type 'help <command>' for an example.");
      return 'ok';
    }
    const c = all.find((x) => x.name === topic);
    if (c === undefined) return this.fail(`there is no command '${shorten(topic)}'; type 'help' for the list.`, io);
    io.out(`usage: ${c.usage}`);
    io.out(`  ${c.summary}`);
    io.out(`example: ${c.example}`);
    return 'ok';
  }

  private fail(message: string, io: Output, code = 'E_USAGE'): LineResult {
    if (this.mode === 'json') io.err(errorJson(code, message));
    else io.err(this.paint.red(`error: ${message}`));
    return 'error';
  }
}

function shorten(word: string): string {
  return word.length > 40 ? `${word.slice(0, 40)}…` : word;
}

/** Output held back until its turn, so answers of requests in flight print in order. */
export class HeldOutput implements Output {
  private readonly lines: Array<[boolean, string]> = [];

  out(line: string): void {
    this.lines.push([false, line]);
  }

  err(line: string): void {
    this.lines.push([true, line]);
  }

  flushTo(io: Output): void {
    for (const [isErr, line] of this.lines) (isErr ? io.err(line) : io.out(line));
    this.lines.length = 0;
  }
}

/**
 * Exits once stdout and stderr have handed everything over: when they are sockets or
 * a slow reader's pipe, process.exit() alone would drop what is still queued.
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = (): void => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
