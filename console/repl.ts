// The interactive console on a terminal: prompt, line editing and history (kept
// across sessions in the user's state directory), tab completion of command names
// and job ids. Keys do what readline users expect:
//   ^C  cancels the command in progress (the coordinator forgets it; nothing else
//       changes) or clears the line; on an empty line it says how to leave, and a
//       second ^C there leaves
//   ^D  on an empty line leaves, cancelling a command in progress first
//   ^Z  stops the console with the terminal's own modes back; `fg` brings it back
// Every way out (exit, ^D, SIGTERM, SIGHUP, an error) gives the terminal its modes back.

import fs from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import type { Reply } from '../protocol/messages.js';
import { ALL_NAMES, findCommand } from './commands.js';
import type { Connection } from './connection.js';
import { endQuietlyOnClosed } from './output.js';
import type { Paint } from './paint.js';
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
    const batchArg = /^(\S+)\s+(\S*)$/.exec(line);
    if (batchArg !== null && findCommand(batchArg[1] ?? '')?.takesBatch === true) {
      completeBatch(conn, batchArg[2] ?? '', done);
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

/** Batch names starting with `typed`: a name alone, or namespace/name where two namespaces share it or it is typed so. */
function completeBatch(conn: Connection, typed: string, done: (err: null, result: Completion) => void): void {
  const batches: { key: string; name: string }[] = [];
  conn
    .request({ kind: 'show-batches' }, (item: Reply) => {
      if (item.kind === 'batch') batches.push({ key: item.batch.key, name: item.batch.name });
    })
    .then(
      () => {
        const shared = (name: string): boolean => batches.filter((b) => b.name === name).length > 1;
        const fits = batches.filter((b) => b.key.startsWith(typed) || (!typed.includes('/') && b.name.startsWith(typed)));
        const words = fits.map((b) => (typed.includes('/') || shared(b.name) ? b.key : b.name));
        done(null, [[...new Set(words)].map((w) => `${w} `), typed]);
      },
      () => done(null, [[], typed]),
    );
}

export function banner(conn: Connection): void {
  endQuietlyOnClosed(process.stdout);
  process.stdout.write(`Connected to the JMS coordinator (pid ${conn.coordPid}). Type 'help' for the commands, ^D to leave.\n`);
}

/** The terminal's modes as they were before the REPL (readline's raw mode off). */
export function restoreTerminal(): void {
  if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
}

/** Ends the line being edited after `mark` (as a terminal shows ^C) and forgets it. */
function endLine(rl: readline.Interface, mark: string): void {
  rl.write(null, { ctrl: true, name: 'e' });
  process.stdout.write(mark);
  // readline's own clearLine: to the end, a new line, and an empty buffer without a redraw.
  const clear: unknown = Reflect.get(rl, 'clearLine');
  if (typeof clear === 'function') {
    Reflect.apply(clear, rl, []);
  } else {
    process.stdout.write('\r\n');
    rl.write(null, { ctrl: true, name: 'u' });
  }
}

const LEAVE_HINT = '(To leave, press ^C again or ^D, or type exit.)\n';

/**
 * ^Z, or SIGTSTP from elsewhere: stop with the terminal's modes back; SIGCONT undoes it.
 * In an orphaned process group (no shell with job control above it) the kernel discards
 * the stop: the console then carries on at once.
 */
function jobControl(rl: readline.Interface, atPrompt: () => boolean): () => void {
  let stopped = false;
  const cont = (): void => {
    if (!stopped) return;
    stopped = false;
    if (process.listenerCount('SIGTSTP') === 0) process.on('SIGTSTP', stop);
    if (!process.stdin.isTTY) return;
    process.stdin.setRawMode(true);
    rl.resume();
    if (atPrompt()) rl.prompt(true);
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    restoreTerminal();
    // The default action stops the process as a shell expects (its job shows "Stopped");
    // the process stops inside kill(), so `cont` below runs only once it is continued.
    process.off('SIGTSTP', stop);
    process.kill(process.pid, 'SIGTSTP');
    setImmediate(cont);
  };
  rl.on('SIGTSTP', stop);
  process.on('SIGTSTP', stop);
  process.on('SIGCONT', cont);
  return () => {
    process.off('SIGTSTP', stop);
    process.off('SIGCONT', cont);
  };
}

/** What the keys act on: the command in progress, and whether the next ^C leaves. */
interface KeyState {
  running: AbortController | null;
  leaveArmed: boolean;
  leftByCtrlC: boolean;
}

/**
 * ^C: cancels the command in progress; at the prompt ends the line being typed; on an
 * empty line says how to leave, and leaves if the ^C before did that too.
 */
function ctrlC(rl: readline.Interface, keys: KeyState): () => void {
  process.stdin.on('keypress', (_s: string | undefined, key: { ctrl?: boolean; name?: string } | undefined) => {
    if (key?.ctrl !== true || key.name !== 'c') keys.leaveArmed = false;
  });
  return () => {
    const empty = rl.line === '';
    endLine(rl, '^C');
    if (keys.running !== null) {
      keys.running.abort();
      return;
    }
    if (empty && keys.leaveArmed) {
      keys.leftByCtrlC = true;
      rl.close();
      return;
    }
    if (empty) process.stdout.write(LEAVE_HINT);
    keys.leaveArmed = empty;
    rl.prompt();
  };
}

/** Runs the REPL until end of input, `exit` or a second ^C; returns the console's exit code. */
export async function repl(shell: Shell, conn: Connection, paint: Paint): Promise<number> {
  process.on('exit', restoreTerminal);
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
  const keys: KeyState = { running: null, leaveArmed: false, leftByCtrlC: false };
  shell.leaveWhenGone(() => {
    process.stdout.write('\n');
    rl.close();
  });
  rl.on('SIGINT', ctrlC(rl, keys));
  rl.on('close', () => keys.running?.abort());
  const undoJobControl = jobControl(rl, () => keys.running === null);
  rl.prompt();
  try {
    for await (const line of rl) {
      if (line.trim() !== '') appendHistory(file, line.trim());
      keys.running = new AbortController();
      const result = await shell.run(line, { signal: keys.running.signal });
      keys.running = null;
      if (result === 'quit' || result === 'shutdown') {
        rl.close();
        return 0;
      }
      rl.prompt();
    }
  } finally {
    undoJobControl();
  }
  // End of input (^D) leaves the cursor after the prompt; ^C has ended its line already.
  if (!keys.leftByCtrlC) process.stdout.write('\n');
  return 0;
}
