#!/usr/bin/env node
// jms_console [-w <jms_in>] [-r <jms_out>] [-o <operations_file>] [command …]
//
// With a command: sends it, prints the answer and exits (one-shot, for scripts).
// Otherwise: replays the operations file (each command echoed before its answer),
// then reads standard input: a REPL on a terminal, plain lines otherwise.
//
// --json: answers as JSON; -q: submit prints only the JobID, the rest nothing on success.
//
// Exit codes: 0 every command succeeded (always 0 after an interactive session),
// 1 some command failed (or `wait` saw a job that did not succeed), 2 usage error,
// 3 no coordinator or it went away.

import fs from 'node:fs';
import readline from 'node:readline';
import { Command, CommanderError } from 'commander';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { JMS_VERSION } from '../protocol/messages.js';
import { Connection } from './connection.js';
import { makePaint } from './render.js';
import { repl } from './repl.js';
import { errorJson } from './json.js';
import { exitWhenFlushed, HeldOutput, Shell, stdio, type LineResult, type Mode } from './shell.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_NO_COORDINATOR = 3;

interface Args {
  jmsIn: string;
  jmsOut: string;
  ops: string | undefined;
  command: string[];
  mode: Mode;
}

let jsonErrors = false;

function parseArgs(argv: string[]): Args | number {
  const program = new Command('jms_console')
    .description('The JMS console: sends commands to a running jms_coord and shows its answers.')
    .version(JMS_VERSION)
    .option('-w, --jms-in <jms_in>', 'FIFO the console writes (the coordinator reads)', 'jms_in')
    .option('-r, --jms-out <jms_out>', 'FIFO the console reads (the coordinator writes)', 'jms_out')
    .option('-o, --operations <file>', 'commands to send first, one per line')
    .option('--json', 'answers as JSON: one document, or one per line for lists (README: JSON answers)')
    .option('-q, --quiet', "submit prints only the JobID; other commands print nothing on success")
    .argument('[command...]', 'one command to send, then exit (e.g. submit sleep 10)')
    .passThroughOptions()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error: ') ? `jms_console: ${s}` : s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw err;
  }
  const o = program.opts<{ jmsIn: string; jmsOut: string; operations?: string; json?: boolean; quiet?: boolean }>();
  if (o.json === true && o.quiet === true) {
    process.stderr.write('jms_console: error: --json and --quiet cannot be used together\n');
    return EXIT_USAGE;
  }
  const mode: Mode = o.json === true ? 'json' : o.quiet === true ? 'quiet' : 'text';
  jsonErrors = mode === 'json';
  return { jmsIn: o.jmsIn, jmsOut: o.jmsOut, ops: o.operations, command: program.args, mode };
}

function readOps(file: string): string[] | null {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch (err) {
    process.stderr.write(`jms_console: cannot read the operations file ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
    return null;
  }
}

/** Submits kept in flight at once when commands come from a file or a pipe. */
const WINDOW = 64;
const SUBMIT = /^\s*submit(\s|$)/;

type Done = { result: LineResult; held: HeldOutput } | { error: unknown };

/**
 * Runs lines from a file or a pipe. A run of consecutive `submit`s is pipelined (up to
 * WINDOW in flight) with answers printed in order; any other command first waits for
 * them, so `submit …` followed by `suspend 1` means what it says.
 */
async function lines(shell: Shell, source: Iterable<string> | AsyncIterable<string>, echo: string | null): Promise<LineResult | 'failed'> {
  let failed = false;
  const inFlight: Array<Promise<Done>> = [];
  const settle = async (): Promise<LineResult> => {
    const done = await (inFlight.shift() ?? Promise.resolve<Done>({ result: 'ok', held: new HeldOutput() }));
    if ('error' in done) throw done.error;
    done.held.flushTo(stdio);
    if (done.result === 'error') failed = true;
    return done.result;
  };
  for await (const line of source) {
    const text = line.trim();
    const held = new HeldOutput();
    if (echo !== null && text !== '' && !text.startsWith('#')) held.out(`${echo}${text}`);
    if (!SUBMIT.test(line)) {
      while (inFlight.length > 0) await settle();
    }
    // Settled into a value at once: a rejection must not sit unhandled in the queue.
    inFlight.push(shell.run(line, held).then((result) => ({ result, held }), (error: unknown) => ({ error })));
    if (SUBMIT.test(line) && inFlight.length < WINDOW) continue;
    const result = await settle();
    if (result === 'quit' || result === 'shutdown') return result;
  }
  while (inFlight.length > 0) await settle();
  return failed ? 'failed' : 'ok';
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === 'number') return args;
  const ops = args.ops === undefined ? [] : readOps(args.ops);
  if (ops === null) return EXIT_USAGE;
  const paint = makePaint(process.stdout.isTTY && args.mode === 'text');
  const conn = await Connection.open(args.jmsIn, args.jmsOut);
  const interactive = args.command.length === 0 && process.stdin.isTTY;
  const shell = new Shell(conn, stdio, paint, interactive, args.mode);
  shell.leaveWhenGone();
  if (args.command.length > 0) {
    const result = await shell.run(args.command.join(' '));
    return result === 'error' ? EXIT_FAILED : EXIT_OK;
  }
  const fromFile = await lines(shell, ops, paint.dim('jms> '));
  if (fromFile === 'quit' || fromFile === 'shutdown') return EXIT_OK;
  if (interactive) return repl(shell, conn, paint);
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const fromStdin = await lines(shell, rl, null);
  return fromFile === 'failed' || fromStdin === 'failed' ? EXIT_FAILED : EXIT_OK;
}

for (const sig of ['SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(128 + (sig === 'SIGTERM' ? 15 : 1)));
process.on('SIGINT', () => process.exit(130));

main().then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    if (err instanceof CoordinatorNotRunningError) {
      process.stderr.write(jsonErrors ? `${errorJson('E_NO_COORDINATOR', err.message)}\n` : `jms_console: error: ${err.message}\n`);
      exitWhenFlushed(EXIT_NO_COORDINATOR);
      return;
    }
    process.stderr.write(`jms_console: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitWhenFlushed(70);
  },
);
