#!/usr/bin/env node
// jms_coord -l <path> -n <jobs_pool> [-w <jms_out>] [-r <jms_in>] [--max-pools N] [--grace MS]
//
// Starts first and keeps running: creates its FIFOs (0600; by default in the per-user
// directory of protocol/paths.ts, which consoles find by themselves), takes console handshakes
// on jms_in, runs jobs in pool processes it starts on demand, and removes its FIFOs
// on every way out. SIGINT, SIGTERM and SIGHUP take the same path as `shutdown`.
//
// Exit codes: 0 after a shutdown, 2 usage error, 3 unusable path or FIFO (or another
// coordinator already reads jms_in), 70 internal error.

import os from 'node:os';
import { EMPTY_FRAME, LineDecoder } from '../protocol/codec.js';
import { openReader, removeFifo } from '../protocol/fifo.js';
import { JMS_VERSION, PIPE_BUF } from '../protocol/messages.js';
import { checkPrivateDir, ensurePrivateDir, PathError, resolveFifos } from '../protocol/paths.js';
import { parseHello } from '../protocol/parse.js';
import type { OwnDir } from '../protocol/own-dir.js';
import { parseCoordArgs, UsageError } from './config/options.js';
import { clockFromEnv, type Clock } from './core/clock.js';
import { Coordinator, type CoordConfig, type HostSetup } from './engine/coordinator.js';
import type { Context } from './api/dispatch.js';
import { fileId, Sessions } from './api/sessions.js';
import { Journal } from './persist/journal.js';
import { findJobDir, isLiveLeader, readExitRecord, Replayer } from './persist/recovery.js';
import { hostSetups } from './hosts/setup.js';
import { acquireLock } from './setup/lock.js';
import { claimFifo, prepareOutDir, prepareOwnSubdir, SetupError } from './setup/setup.js';
import { log } from './util/log.js';

const EXIT_OK = 0;
const EXIT_USAGE = 2;
const EXIT_SETUP = 3;
const EXIT_INTERNAL = 70;

async function main(): Promise<void> {
  const args = parseCoordArgs(process.argv.slice(2), JMS_VERSION);
  if (args === 'exit') return;
  const { jmsIn, jmsOut, dir: fifoDir } = resolveFifos({ jmsIn: args.jmsIn, jmsOut: args.jmsOut });
  if (jmsIn === jmsOut) throw new UsageError(`-r (jms_in) and -w (jms_out) name the same path, ${jmsIn}; give them two different paths.`);
  // Refused before anything is made; created (0700) only once the output directory is taken.
  if (fifoDir !== null) checkPrivateDir(fifoDir);
  const out = prepareOutDir(args.path);
  const outDir = out.path;
  const stateDir = prepareOwnSubdir(out, '.jms');
  const releaseLock = acquireLock(stateDir, outDir);
  process.on('exit', releaseLock);
  // Registered before the first FIFO is made, so a refusal of the second removes the first.
  const fifos: string[] = [];
  process.on('exit', () => fifos.forEach(removeFifo));
  if (fifoDir !== null) ensurePrivateDir(fifoDir);
  for (const [path, flag] of [[jmsIn, '-r'], [jmsOut, '-w']] as const) {
    await claimFifo(path, flag);
    fifos.push(path);
  }

  const user = os.userInfo().username;
  const clock = clockFromEnv();
  const hosts = hostSetups({ hostsFile: args.hosts, maxPools: args.maxPools, jobsPool: args.jobsPool, leaseMs: args.leaseMs, clock }, out, stateDir);
  const coord = await openState(args.journal ? stateDir : null, {
    outDir, jobsPool: args.jobsPool, maxPools: args.maxPools, graceMs: args.graceMs, poolIdleMs: args.poolIdleMs, user, hookTimeoutSec: args.hookTimeoutSec,
  }, clock, hosts);
  coord.connectHosts();
  const listener = await openReader(jmsIn, { keepOpen: true });
  // Held open (reading and dropping anything written to it) so that another coordinator
  // asked to use the same jms_out sees it is taken.
  const outHolder = await openReader(jmsOut, { keepOpen: true });
  outHolder.on('data', () => undefined);
  let exiting = false;
  const exit = (code: number): void => {
    if (exiting) return;
    exiting = true;
    sessions.closeAll();
    listener.destroy();
    outHolder.destroy();
    fifos.forEach(removeFifo);
    process.exit(code);
  };
  const ctx: Context = { coord, exit: () => exit(EXIT_OK) };
  const sessions = new Sessions(ctx, process.getuid?.() ?? 0, new Set(fifos.map(fileId)));

  const decoder = new LineDecoder(PIPE_BUF);
  listener.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (!frame.ok && frame.error === EMPTY_FRAME) continue;
      const hello = frame.ok ? parseHello(frame.value) : { invalid: frame.error };
      if ('invalid' in hello) log(`ignored a bad handshake on ${jmsIn}: ${hello.invalid}`);
      else void sessions.accept(hello);
    }
  });

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: shutting down`);
      void coord.shutdown().then(() => exit(EXIT_OK));
    });
  }
  process.on('uncaughtException', (err) => {
    log(`internal error: ${err.stack ?? err.message}`);
    // Pools see their stdin close and let their jobs finish on their own.
    exit(EXIT_INTERNAL);
  });
  log(`serving on ${jmsIn} (jobs_pool ${args.jobsPool}, max pools ${args.maxPools}, output in ${outDir})`);
}

/** Opens the journal, replays it and takes back the jobs of an earlier coordinator. */
async function openState(stateDir: OwnDir | null, config: CoordConfig, clock: Clock, hosts: HostSetup[]): Promise<Coordinator> {
  if (stateDir === null) {
    log('--no-journal: no durable records; jobs on record are lost with this coordinator');
    return new Coordinator(config, clock, hosts, null);
  }
  const replayer = new Replayer();
  const { journal, replay: read } = Journal.open(stateDir, clock, (record) => replayer.add(record));
  process.on('exit', () => journal.flushSync());
  const replayed = replayer.result();
  const coord = new Coordinator(config, clock, hosts, journal);
  const counts = await coord.recovery.restore(replayed, {
    exitRecord: readExitRecord,
    alive: isLiveLeader,
    findDir: (jobId) => findJobDir(config.outDir, config.user, jobId),
  });
  if (replayed.jobs.size > 0 || read.skipped > 0) {
    log(`journal: ${replayed.jobs.size} job(s) on record, next JobID ${replayed.nextJobId}; ` +
      `${counts.requeued} queued again, ${counts.settled} settled, ${counts.waiting} still with their pools; ` +
      `${read.skipped} torn or corrupt line(s) skipped, ${replayed.rejected} record(s) rejected`);
  }
  return coord;
}

// `jms_coord --help | head -1` ends quietly; a log reader that went away loses the log, not the jobs.
process.stdout.on('error', () => process.exit(EXIT_OK));
process.stderr.on('error', () => undefined);

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`jms_coord: error: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (err instanceof SetupError || err instanceof PathError) {
    process.stderr.write(`jms_coord: error: ${err.message}\n`);
    process.exit(EXIT_SETUP);
  }
  process.stderr.write(`jms_coord: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(EXIT_INTERNAL);
});

