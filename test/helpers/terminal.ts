// A real pseudo-terminal for tests of the interactive console: util-linux `script` runs a
// command line on a fresh pty, keys are typed into it and the screen is read back (escape
// codes and carriage returns removed). `shell()` runs an interactive bash there, so that
// job control (^Z, fg) works as for a person at a terminal.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { CONSOLE, testEnv, type Coord } from './coord.js';
import { waitFor } from './wait.js';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

export class Terminal {
  private raw = '';
  private mark = 0;
  readonly child: ChildProcessWithoutNullStreams;
  readonly ended: Promise<number | null>;

  /** Runs `command` (a /bin/sh command line) on a new pty, in `cwd`, with `env` added. */
  constructor(command: string, cwd: string, env: Record<string, string>) {
    const base = testEnv({ TERM: 'xterm', ...env });
    if (env['NO_COLOR'] === undefined) delete base['NO_COLOR'];
    this.child = spawn('script', ['-qfec', command, '/dev/null'], { cwd, env: base });
    this.child.stdout.setEncoding('utf8').on('data', (s: string) => (this.raw += s));
    this.ended = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** A console on `c`'s FIFOs, run by the pty itself. */
  static console(c: Coord, env: Record<string, string>): Terminal {
    return new Terminal(consoleLine(c), c.dir, env);
  }

  /** An interactive bash (prompt `$ `, no other settings) on the pty, in `cwd`, for job control. */
  static shell(cwd: string, env: Record<string, string>): Terminal {
    const rc = join(cwd, '.test-bashrc');
    fs.writeFileSync(rc, "PS1='$ '\n");
    return new Terminal(`bash --noprofile --rcfile '${rc}' -i`, cwd, env);
  }

  /** The screen text since the last `next()`, without escape codes and carriage returns. */
  get text(): string {
    return this.raw.slice(this.mark).replace(ANSI, '').replace(/\r/g, '');
  }

  get rawSinceMark(): string {
    return this.raw.slice(this.mark);
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  async expect(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    try {
      return await waitFor(`the terminal to show ${pattern}`, () => pattern.exec(this.text)?.[0], timeoutMs);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; it shows ${JSON.stringify(this.text.slice(-400))}`);
    }
  }

  /** Forgets what was shown so far: the next `expect` looks at new output only. */
  next(): void {
    this.mark = this.raw.length;
  }
}

/** The command line of a console on `c`'s FIFOs. */
export function consoleLine(c: Coord): string {
  return `'${process.execPath}' '${CONSOLE}' -w '${c.jmsIn}' -r '${c.jmsOut}'`;
}

/** Pids of live consoles on `jmsIn` (found by their command line in /proc). */
export function consolePids(jmsIn: string): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (args.includes(CONSOLE) && args.includes(jmsIn)) pids.push(Number(name));
  }
  return pids;
}
