// node:os, loaded the first time something asks for it: a one-shot console does not
// (it names its FIFOs with -w and -r, or finds them through $HOME), and loading the module
// is a measurable part of its start-up.

import { createRequire } from 'node:module';
import type os from 'node:os';

let loaded: typeof os | undefined;

export function nodeOs(): typeof os {
  loaded ??= createRequire(import.meta.url)('node:os') as typeof os;
  return loaded;
}

/** os.homedir(): $HOME when it is set, else the password database's entry. */
export function homeDir(): string {
  const home = process.env['HOME'];
  return home !== undefined && home !== '' ? home : nodeOs().homedir();
}
