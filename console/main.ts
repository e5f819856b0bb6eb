#!/usr/bin/env node
// jms_console [-w <jms_in>] [-r <jms_out>] [-o <operations_file>] [--json | -q] [command …]
//
// Finds its coordinator by itself (protocol/paths.ts: -w/-r, else JMS_IN/JMS_OUT, else
// the per-user directory). Replays the operations file first (each command echoed
// before its answer); then runs the command given on its own command line, if any,
// and exits (one-shot, for scripts); otherwise reads standard input: a REPL on a
// terminal, plain lines otherwise.
//
// --json: answers as JSON; -q: submit prints only the JobID, the rest nothing on success.
//
// Exit codes: 0 every command succeeded (always 0 after an interactive session, and
// when the reader of stdout goes away), 1 some command failed (or `wait` saw a job that
// did not succeed), 2 usage error, 3 no coordinator, it went away, or the console could
// not set itself up (its private FIFOs, a bad -w or -r).

import fs from 'node:fs';
import { CoordinatorNotRunningError } from '../protocol/errors.js';
import { isTerminal } from '../protocol/fifo-native.js';
import { reasonOf, resolveFifos } from '../protocol/paths.js';
import { quickArgs, type Args } from './args.js';
import { Connection, ConsoleSetupError } from './connection.js';
import { errorJson } from './json.js';
import { endQuietlyOnClosedOutput, exitWhenFlushed, HeldOutput, stdio } from './output.js';
import { makePaint } from './paint.js';
import { Shell, type LineResult } from './shell.js';

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_NO_COORDINATOR = 3;
const EXIT_INTERNAL = 70;

let jsonErrors = false;

function usageError(message: string): number {
  stdio.err(`jms_console: error: ${message}`);
  return EXIT_USAGE;
}

/** The usual command lines are read at once; the rest (help, version, errors) by commander, loaded only then. */
async function parseArgs(argv: string[]): Promise<Args | number> {
  const args = quickArgs(argv) ?? (await import('./args-full.js')).fullArgs(argv);
  if (typeof args !== 'number') jsonErrors = args.mode === 'json';
  return args;
}

function readOps(file: string): string[] | null {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/);
  } catch (err) {
    usageError(`cannot read the operations file ${file}: ${reasonOf(err)}; give -o a readable file with one command a line.`);
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
 * them, so `submit …` followed by `suspend 1` means what it says, and then prints as it
 * goes (a `logs` of gigabytes is never held). `exit`, `quit` and `shutdown` stop it.
 */
async function lines(shell: Shell, source: Iterable<string> | AsyncIterable<string>, echo: string | null): Promise<{ stopped: boolean; failed: boolean }> {
  let failed = false;
  const inFlight: Array<Promise<Done>> = [];
  const settle = async (): Promise<void> => {
    const done = await (inFlight.shift() ?? Promise.resolve<Done>({ result: 'ok', held: new HeldOutput() }));
    if ('error' in done) throw done.error;
    done.held.flushTo(stdio);
    if (done.result === 'error') failed = true;
  };
  for await (const line of source) {
    const text = line.trim();
    const echoed = echo !== null && text !== '' && !text.startsWith('#') ? `${echo}${text}` : null;
    if (SUBMIT.test(line)) {
      const held = new HeldOutput();
      if (echoed !== null) held.out(echoed);
      // Settled into a value at once: a rejection must not sit unhandled in the queue.
      inFlight.push(shell.run(line, { io: held }).then((result) => ({ result, held }), (error: unknown) => ({ error })));
      if (inFlight.length >= WINDOW) await settle();
      continue;
    }
    while (inFlight.length > 0) await settle();
    if (echoed !== null) stdio.out(echoed);
    const result = await shell.run(line);
    if (result === 'error') failed = true;
    if (result === 'quit' || result === 'shutdown') return { stopped: true, failed };
  }
  while (inFlight.length > 0) await settle();
  return { stopped: false, failed };
}

async function main(): Promise<number> {
  endQuietlyOnClosedOutput();
  const args = await parseArgs(process.argv.slice(2));
  if (typeof args === 'number') return args;
  const ops = args.ops === undefined ? [] : readOps(args.ops);
  if (ops === null) return EXIT_USAGE;
  const paint = await makePaint(isTerminal(1) && args.mode === 'text');
  const conn = await Connection.open(resolveFifos({ jmsIn: args.jmsIn, jmsOut: args.jmsOut }));
  const interactive = args.command.length === 0 && isTerminal(0);
  // A terminal that reports no size (0 columns) gets the classic 80.
  const columns = (): number => (isTerminal(1) && process.stdout.columns > 0 ? process.stdout.columns : 80);
  const shell = new Shell(conn, stdio, paint, { interactive, mode: args.mode, columns });
  shell.leaveWhenGone();
  // The banner first, so that -o's replayed commands and answers follow it.
  const repl = interactive ? await import('./repl.js') : null;
  if (repl !== null) repl.banner(conn);
  const fromFile = await lines(shell, ops, paint.dim('jms> '));
  const command = args.command.join(' ');
  if (fromFile.stopped && command !== '') {
    stdio.err(`jms_console: error: the operations file ends the session (exit, quit or shutdown), so '${command.slice(0, 60)}' was not run; take that line out of ${args.ops ?? 'the file'} to run both.`);
    return EXIT_FAILED;
  }
  if (fromFile.stopped) return fromFile.failed ? EXIT_FAILED : EXIT_OK;
  if (args.command.length > 0) {
    const result = await shell.run(command, { oneShot: true });
    return fromFile.failed || result === 'error' ? EXIT_FAILED : EXIT_OK;
  }
  if (repl !== null) return repl.repl(shell, conn, paint);
  const readline = await import('node:readline');
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  const fromStdin = await lines(shell, rl, null);
  return fromFile.failed || fromStdin.failed ? EXIT_FAILED : EXIT_OK;
}

for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129], ['SIGINT', 130]] as const) process.on(sig, () => process.exit(code));

main().then(
  (code) => exitWhenFlushed(code),
  (err: unknown) => {
    if (err instanceof CoordinatorNotRunningError || err instanceof ConsoleSetupError) {
      stdio.err(jsonErrors ? errorJson('E_NO_COORDINATOR', err.message) : `jms_console: error: ${err.message}`);
      exitWhenFlushed(EXIT_NO_COORDINATOR);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    stdio.err(`jms_console: error: internal error (${message.split('\n')[0] ?? ''}); run it again with JMS_DEBUG=1 for the details and report them.`);
    if (process.env['JMS_DEBUG'] === '1' && err instanceof Error) stdio.err(err.stack ?? '');
    exitWhenFlushed(EXIT_INTERNAL);
  },
);
