// Runs one console line: local commands (help, exit), parsing into a request,
// sending it, and printing the answer as it comes (batch items line by line).

import type { ChalkInstance } from 'chalk';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { BATCH_REQUESTS, type Reply } from '../protocol/messages.js';
import { COMMANDS, LOCAL_COMMANDS, findCommand, suggest } from './commands.js';
import type { Connection } from './connection.js';
import { batchHeader, renderItem, renderSingle } from './render.js';

export type LineResult = 'ok' | 'error' | 'quit' | 'shutdown';

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
  /** The coordinator answered a shutdown: its going away is expected. */
  shutdownAnswered = false;

  constructor(
    private readonly conn: Connection,
    private readonly io: Output,
    private readonly paint: ChalkInstance,
    private readonly interactive: boolean,
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
    const kind = body.kind;
    const header = batchHeader(kind);
    let shown = 0;
    const showHeader = (): void => {
      if (header !== null && shown === 0) io.out(header);
    };
    let last: Reply;
    this.inFlight += 1;
    try {
      last = await this.conn.request(body, (item) => {
        showHeader();
        shown += 1;
        io.out(renderItem(kind, shown, item, this.paint));
      });
    } catch (err) {
      if (err instanceof CoordinatorNotRunningError) throw err;
      return this.fail(err instanceof Error ? err.message : String(err), io);
    } finally {
      this.inFlight -= 1;
    }
    if (last.kind === 'served') this.shutdownAnswered = true;
    if (last.kind === 'error') return this.fail(last.message, io);
    if (BATCH_REQUESTS.has(kind)) {
      if (shown === 0) {
        showHeader();
        if (this.interactive && header === null) io.out(this.paint.dim('(no jobs)'));
      }
      return 'ok';
    }
    io.out(renderSingle(last, this.paint));
    return last.kind === 'served' ? 'shutdown' : 'ok';
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

  private fail(message: string, io: Output): LineResult {
    io.err(this.paint.red(`error: ${message}`));
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
