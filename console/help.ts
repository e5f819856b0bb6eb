// `help` and `help <command>`: the list wrapped at word boundaries to the terminal's
// width (80 columns when there is no terminal), or as JSON with --json.

import { COMMANDS, LOCAL_COMMANDS } from './commands.js';

interface Entry {
  name: string;
  usage: string;
  summary: string;
  example: string;
}

const ALL: readonly Entry[] = [...COMMANDS, ...LOCAL_COMMANDS];
const NARROWEST_SUMMARY = 24;

/** Words of `text` in lines of at most `width` columns (a longer word stands alone). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The command list, each summary wrapped into its column (or under its usage when narrow). */
export function helpLines(columns: number): string[] {
  const width = Math.max(...ALL.map((c) => c.usage.length));
  const out = ['Commands:'];
  const summaryWidth = columns - width - 5;
  for (const c of ALL) {
    if (summaryWidth >= NARROWEST_SUMMARY) {
      const [first = '', ...more] = wrap(c.summary, summaryWidth);
      out.push(`  ${c.usage.padEnd(width)}  ${first}`);
      for (const line of more) out.push(`  ${' '.repeat(width)}  ${line}`);
    } else {
      out.push(`  ${c.usage}`);
      for (const line of wrap(c.summary, Math.max(NARROWEST_SUMMARY, columns - 7))) out.push(`      ${line}`);
    }
  }
  out.push("Type 'help <command>' for an example.");
  return out;
}

export function findHelp(topic: string): Entry | undefined {
  return ALL.find((c) => c.name === topic);
}

export function topicLines(c: Entry, columns: number): string[] {
  return [`usage: ${c.usage}`, ...wrap(c.summary, columns - 3).map((l) => `  ${l}`), `example: ${c.example}`];
}

export function helpJson(c?: Entry): string {
  const doc = (e: Entry): Record<string, string> => ({ name: e.name, usage: e.usage, summary: e.summary, example: e.example });
  return JSON.stringify(c === undefined ? { commands: ALL.map(doc) } : doc(c));
}
