// Usage errors of the programs' command lines in the one grammar of every JMS error
// (README "Errors"): `<program>: error: <what went wrong>; <what to do instead>.`
// commander reports a bad command line as a code and an English message; this turns
// the codes both programs meet into that sentence.

import { CommanderError, type Command } from 'commander';

/** A value shown inside a hint, if it can be typed back as it is (else null). */
export function typeable(value: string): string | null {
  return /^[\w@%+=:,./~-]+$/.test(value) ? value : null;
}

/**
 * The sentence for a commander error `code` with `message`, or null if it is one the
 * caller words itself. `help` is the command that lists the options.
 */
export function commanderSentence(code: string, message: string, help: string): string | null {
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  const flag = quoted.split(/[ ,]/)[0] ?? quoted;
  switch (code) {
    case 'commander.unknownOption':
      return `there is no option '${flag}'; '${help}' lists the options.`;
    case 'commander.optionMissingArgument':
      return `the option ${flag} needs a value; '${help}' shows what it takes.`;
    case 'commander.excessArguments': {
      return `this program takes options only, not other words; '${help}' lists the options.`;
    }
    case 'commander.conflictingOption':
      return `${message.replace(/^error: /, '').replace(/\.$/, '')}; use one of them.`;
    default:
      return null;
  }
}

/**
 * Parses `argv` (without node and the script) with `program`, whose own output and exit
 * are turned off: 'parsed', 'exit' once it printed --help or --version, or the sentence of
 * a usage error. `help` is the command that lists the options.
 */
export function parseCommandLine(program: Command, argv: readonly string[], help: string): 'parsed' | 'exit' | { usage: string } {
  program.exitOverride().configureOutput({ writeErr: () => undefined });
  try {
    program.parse([...argv], { from: 'user' });
    return 'parsed';
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 'exit';
    return { usage: commanderSentence(err.code, err.message, help) ?? `${err.message.replace(/^error: /, '')}; '${help}' lists the options.` };
  }
}
