// jms_console's command line in full, through commander: --help and --version, every
// form of every option, and one error sentence for a bad one. args.ts reads the usual
// command lines itself and loads this only for the others.

import { Command } from 'commander';
import { JMS_VERSION } from '../protocol/messages.js';
import { parseCommandLine } from '../protocol/usage.js';
import type { Args, Mode } from './args.js';

export const EXIT_OK = 0;
export const EXIT_USAGE = 2;

export function usageError(message: string): number {
  process.stderr.write(`jms_console: error: ${message}\n`);
  return EXIT_USAGE;
}

/** The parsed command line, or the exit status when there is nothing more to do (help, version, a usage error). */
export function fullArgs(argv: readonly string[]): Args | number {
  const program = new Command('jms_console')
    .description('The JMS console: sends commands to a running jms_coord and shows its answers.')
    .version(JMS_VERSION)
    .option('-w, --jms-in <jms_in>', "FIFO the console writes, the coordinator's -r (default: $JMS_IN, else jms_in in the per-user directory)")
    .option('-r, --jms-out <jms_out>', "FIFO the coordinator writes, its -w (default: $JMS_OUT, else jms_out in the per-user directory)")
    .option('-o, --operations <file>', 'commands to send first, one per line')
    .option('--json', 'answers as JSON: one document, or one per line for lists (README: JSON answers)')
    .option('-q, --quiet', "submit prints only the JobID; other commands print nothing on success")
    .argument('[command...]', 'one command to send, then exit (e.g. submit sleep 10); after -o, once the file is done')
    .addHelpText('after', '\nThe per-user directory: $JMS_DIR, else $XDG_RUNTIME_DIR/jms, else ~/.jms.')
    .passThroughOptions();
  const parsed = parseCommandLine(program, argv, 'jms_console --help');
  if (parsed === 'exit') return EXIT_OK;
  if (parsed !== 'parsed') return usageError(parsed.usage);
  const o = program.opts<{ jmsIn?: string; jmsOut?: string; operations?: string; json?: boolean; quiet?: boolean }>();
  if (o.json === true && o.quiet === true) return usageError("--json and --quiet cannot be used together; choose one, e.g. 'jms_console --json status-all'.");
  const mode: Mode = o.json === true ? 'json' : o.quiet === true ? 'quiet' : 'text';
  return { jmsIn: o.jmsIn, jmsOut: o.jmsOut, ops: o.operations, command: program.args, mode };
}
