// jms_console's command line. The usual ones (-w/-r/-o with their values, --json, -q,
// then the command) are read here directly; anything else (--help, --version, a
// --jms-in=… form, a bad option, `--`) goes to the full parser (args-full.ts, with
// commander), loaded only then, which gives the same result and every error sentence.

export type Mode = 'text' | 'json' | 'quiet';

export interface Args {
  jmsIn: string | undefined;
  jmsOut: string | undefined;
  ops: string | undefined;
  command: string[];
  mode: Mode;
}

/** What an option with a value sets. */
const VALUED: Readonly<Record<string, 'jmsIn' | 'jmsOut' | 'ops'>> = {
  '-w': 'jmsIn', '--jms-in': 'jmsIn', '-r': 'jmsOut', '--jms-out': 'jmsOut', '-o': 'ops', '--operations': 'ops',
};

/** Options and operands as commander (passThroughOptions) reads them, or null when only it can tell. */
export function quickArgs(argv: readonly string[]): Args | null {
  const values: { jmsIn?: string; jmsOut?: string; ops?: string } = {};
  let json = false;
  let quiet = false;
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] ?? '';
    // Operands start at the first word that is not an option ('-' alone is one).
    if (a.length < 2 || !a.startsWith('-')) break;
    const field = Object.hasOwn(VALUED, a) ? VALUED[a] : undefined;
    if (field !== undefined) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('-')) return null;
      values[field] = v;
      i += 1;
    } else if (a === '--json') json = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else return null;
  }
  if (json && quiet) return null;
  const mode: Mode = json ? 'json' : quiet ? 'quiet' : 'text';
  return { jmsIn: values.jmsIn, jmsOut: values.jmsOut, ops: values.ops, command: argv.slice(i), mode };
}
