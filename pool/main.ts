// The pool program. Started by the coordinator with frames on stdin/stdout; takes at
// most `capacity` jobs over its life, reports each start and end, says `bye` and exits
// once every job it took has ended, or, told to `retire` (idle before its quota was
// used), once its running jobs have ended.
//
// SIGTERM (the coordinator's shutdown): SIGTERM to every job, SIGKILL after the grace,
// report the ends, exit. SIGINT is ignored: a ^C in the coordinator's terminal reaches
// the pools too, and the coordinator decides what happens then.
// Coordinator gone (stdin EOF or a broken stdout): jobs are left to finish on their
// own; each job's end is written to `exit_status` in its directory; then the pool exits.
//
// Its imports are kept to the protocol and node: built-ins, for a fast start.

import { LineDecoder, encode } from '../protocol/codec.js';
import { MAX_FRAME_BYTES } from '../protocol/messages.js';
import { parsePoolCommand } from '../protocol/parse.js';
import type { PoolCommand, PoolEvent } from '../protocol/pool-messages.js';
import { Runner } from './runner.js';

let runner: Runner | null = null;
/** Job environments by key, as the coordinator sent them. */
const envs = new Map<string, Record<string, string>>();
let capacity = 0;
let stopping = false;
let orphaned = false;

function log(message: string): void {
  process.stderr.write(`pool ${process.pid}: ${message}\n`);
}

function emit(event: PoolEvent): void {
  if (!orphaned) process.stdout.write(encode(event));
  maybeExit();
}

function maybeExit(): void {
  if (runner === null || runner.active > 0) return;
  if (runner.taken >= capacity || stopping || orphaned) {
    if (!orphaned) process.stdout.write(encode({ kind: 'bye', served: runner.taken } satisfies PoolEvent));
    // stdout is a pipe, written synchronously on Linux: the frame is out before exit.
    process.exit(0);
  }
}

function handle(command: PoolCommand): void {
  if (command.kind === 'config') {
    if (runner !== null) return log('ignored a second config frame');
    capacity = command.capacity;
    runner = new Runner({ outDir: command.outDir, user: command.user, graceMs: command.graceMs }, emit);
    return;
  }
  if (runner === null) return log(`ignored '${command.kind}' before config`);
  switch (command.kind) {
    case 'run':
      if (stopping || runner.taken >= capacity) {
        emit({ kind: 'start-failed', jobId: command.jobId, reason: 'the pool takes no more jobs' });
        return;
      }
      if (command.envKey !== undefined && !envs.has(command.envKey)) {
        emit({ kind: 'start-failed', jobId: command.jobId, reason: `the pool was never sent its environment '${command.envKey}'` });
        return;
      }
      runner.run(command.jobId, command.command, command.cwd, command.envKey === undefined ? undefined : envs.get(command.envKey));
      return;
    case 'env':
      envs.set(command.key, command.env);
      return;
    case 'signal':
      runner.signal(command.jobId, command.signal);
      return;
    case 'retire':
      stopping = true;
      maybeExit();
      return;
  }
}

function coordinatorGone(): void {
  if (orphaned) return;
  orphaned = true;
  if (runner === null) process.exit(0);
  runner.recordInDirs = true;
  log(`coordinator gone; ${runner.active} job(s) left to finish, ends recorded in their directories`);
  maybeExit();
}

const decoder = new LineDecoder(MAX_FRAME_BYTES);
process.stdin.on('data', (chunk: Buffer) => {
  for (const frame of decoder.push(chunk)) {
    if (!frame.ok) {
      log(`bad frame from the coordinator: ${frame.error}`);
      continue;
    }
    const command = parsePoolCommand(frame.value);
    if ('invalid' in command) log(`bad command from the coordinator: ${command.invalid}`);
    else handle(command);
  }
});
process.stdin.on('end', coordinatorGone);
process.stdout.on('error', coordinatorGone);
// stderr is the coordinator's log pipe: once the coordinator is gone, writes fail
// (EPIPE), and the pool must carry on supervising its jobs all the same.
process.stderr.on('error', () => undefined);

process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  if (runner === null) process.exit(0);
  runner.terminateAll();
  maybeExit();
});

process.stdout.write(encode({ kind: 'ready', pid: process.pid } satisfies PoolEvent));
