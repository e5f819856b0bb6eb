// The interactive console on a terminal: prompt, line editing and history (kept
// across sessions in the user's state directory), tab completion of command names
// and job ids, ^C to clear the line, ^D or `exit` to leave (the coordinator stays).

import fs from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import type { ChalkInstance } from 'chalk';
import type { Reply } from '../protocol/messages.js';
import { ALL_NAMES, findCommand } from './commands.js';
import type { Connection } from './connection.js';
import type { Shell } from './shell.js';

const HISTORY_SIZE = 1000;

export function historyPath(): string {
  const state = process.env['XDG_STATE_HOME'] ?? join(os.homedir(), '.local', 'state');
  return join(state, 'jms', 'history');
}

function loadHistory(path: string): string[] {
  try {
    return fs.readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

function appendHistory(path: string, line: string): void {
  try {
    fs.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fs.appendFileSync(path, `${line}\n`, { mode: 0o600 });
  } catch {
    // History is a convenience; a read-only home must not stop the console.
  }
}

type Completion = [string[], string];

function completer(conn: Connection) {
  return (line: string, done: (err: null, result: Completion) => void): void => {
    const m = /^(\S*)$/.exec(line);
    if (m !== null) {
      const word = m[1] ?? '';
      const hits = ALL_NAMES.filter((n) => n.startsWith(word)).map((n) => `${n} `);
      done(null, [hits, word]);
      return;
    }
    const arg = /^(\S+)\s+(\d*)$/.exec(line);
    const spec = arg === null ? undefined : findCommand(arg[1] ?? '');
    if (arg === null || spec === undefined || !spec.takesJobId) {
      done(null, [[], line]);
      return;
    }
    const typed = arg[2] ?? '';
    const wanted = spec.name === 'suspend' ? 'active' : spec.name === 'resume' ? 'suspended' : null;
    const ids: string[] = [];
    conn
      .request({ kind: 'status-all', sinceSec: null }, (item: Reply) => {
        if (item.kind !== 'job' || (wanted !== null && item.job.status !== wanted)) return;
        const id = String(item.job.jobId);
        if (id.startsWith(typed)) ids.push(`${id} `);
      })
      .then(
        () => done(null, [ids, typed]),
        () => done(null, [[], typed]),
      );
  };
}

/** Runs the REPL until end of input or `exit`; returns the console's exit code. */
export async function repl(shell: Shell, conn: Connection, paint: ChalkInstance): Promise<number> {
  const file = historyPath();
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: paint.bold('jms> '),
    completer: completer(conn),
    history: loadHistory(file),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    terminal: true,
  });
  shell.leaveWhenGone(() => {
    process.stdout.write('\n');
    rl.close();
  });
  rl.on('SIGINT', () => {
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    process.stdout.write('^C\n');
    rl.prompt();
  });
  process.stdout.write(`Connected to the JMS coordinator (pid ${conn.coordPid}). Type 'help' for the commands, ^D to leave.\n`);
  rl.prompt();
  for await (const line of rl) {
    if (line.trim() !== '') appendHistory(file, line.trim());
    const result = await shell.run(line);
    if (result === 'quit' || result === 'shutdown') {
      rl.close();
      return 0;
    }
    rl.prompt();
  }
  // End of input (^D) leaves the cursor after the prompt.
  process.stdout.write('\n');
  return 0;
}
