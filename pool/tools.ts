// The pool program's tool modes, so a host needs nothing but this one file and Node.js:
// what a coordinator does on another machine over ssh, it asks of these.
//
//   --attach <ledgerDir> <key> <pid>  relays frames between stdin/stdout and the pool's
//                                     attach socket; if no pool answers there, writes one
//                                     `absent` frame (its ledger, whether it lives) and exits
//   --ledger <ledgerDir> <key>        one `absent` frame with that ledger (without asking the
//                                     socket: the pool is known to be gone, and on a shared
//                                     filesystem its socket may be another machine's)
//   --ledgers <ledgerDir>             one line of JSON: the keys of the ledgers there
//   --forget <ledgerDir> <key>        removes a ledger and its socket
//   --kill-groups <pid>…              SIGKILL to each pid's group, if it still leads one
//   --read <file> <lines>             writes the file's bytes (its last <lines> lines; -1:
//                                     all), then what is appended until stdin ends
//   --check                           one line of JSON: this Node's version

import net from 'node:net';
import { encode } from '../protocol/codec.js';
import { followFile } from '../protocol/file-follow.js';
import { SOCKET_SUFFIX } from '../protocol/ledger.js';
import { forgetLedger, killGroups, ledgerKeys, poolAlive, readLedger } from '../protocol/ledger-files.js';
import { openOwnDir, type OwnDir } from '../protocol/own-dir.js';
import { expandHome } from '../protocol/paths-home.js';

function attach(ledgerDir: string, key: string, pidHint: number): void {
  const dir = openOwnDir(expandHome(ledgerDir), { create: true });
  const socket = net.connect(dir.at(`${key}${SOCKET_SUFFIX}`));
  socket.once('connect', () => {
    process.stdin.pipe(socket);
    socket.pipe(process.stdout);
    socket.once('close', () => process.exit(0));
    process.stdin.once('end', () => socket.end());
  });
  socket.once('error', () => {
    absent(dir, key, pidHint, true);
    process.exit(0);
  });
}

async function read(path: string, lines: number): Promise<void> {
  const inputEnds = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('error', () => resolve());
    process.stdin.resume();
  });
  try {
    for await (const chunk of followFile(expandHome(path), lines < 0 ? null : lines, inputEnds)) {
      if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    }
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
  process.stdin.destroy();
}

/** Writes what the ledger of `key` holds as an `absent` frame (`alive`: whether its pool still runs here). */
function absent(dir: OwnDir, key: string, pidHint: number, check: boolean): void {
  const view = readLedger(dir, key);
  const pid = view?.pid ?? (pidHint > 0 ? pidHint : null);
  process.stdout.write(encode({
    kind: 'absent', key, pid, orphaned: view?.orphaned ?? false, ledger: view !== null,
    jobs: view === null ? [] : [...view.jobs.values()], alive: check && pid !== null && poolAlive(key, pid),
  }));
}

/** Runs the tool mode argv asks for; false when it names none. */
export function runTool(argv: readonly string[]): boolean {
  const [mode, ...args] = argv;
  switch (mode) {
    case '--attach':
      attach(args[0] ?? '', args[1] ?? '', Number(args[2] ?? 0));
      return true;
    case '--ledger':
      absent(openOwnDir(expandHome(args[0] ?? ''), { create: true }), args[1] ?? '', 0, false);
      return true;
    case '--ledgers':
      process.stdout.write(`${JSON.stringify(ledgerKeys(openOwnDir(expandHome(args[0] ?? ''), { create: true })))}\n`);
      return true;
    case '--forget':
      forgetLedger(openOwnDir(expandHome(args[0] ?? '')), args[1] ?? '');
      return true;
    case '--kill-groups':
      killGroups(args.map(Number).filter((n) => Number.isSafeInteger(n) && n > 1));
      return true;
    case '--read':
      void read(args[0] ?? '', Number(args[1] ?? -1));
      return true;
    case '--check':
      process.stdout.write(`${JSON.stringify({ node: process.version, pid: process.pid })}\n`);
      return true;
    default:
      return false;
  }
}
