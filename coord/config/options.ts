// jms_coord's command line: flags in any order, checked into a typed value or a
// one-line usage error.

import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DURATION_HELP, parseDuration } from '../../protocol/duration.js';

export interface CoordArgs {
  path: string;
  jobsPool: number;
  jmsOut: string;
  jmsIn: string;
  maxPools: number;
  graceMs: number;
  poolIdleMs: number;
  journal: boolean;
  /** The hosts file (--hosts); null: this machine only. */
  hosts: string | null;
  /** How long jobs on other hosts keep running without a coordinator (ms). */
  leaseMs: number;
}

export const DEFAULT_MAX_POOLS = 16;
export const DEFAULT_GRACE_MS = 5000;
export const DEFAULT_POOL_IDLE_MS = 1000;
export const DEFAULT_LEASE_SEC = 300;

function leaseDuration(value: string): number {
  const sec = parseDuration(value);
  if (sec === null) throw new InvalidArgumentError(`--lease takes ${DURATION_HELP}, such as 5m.`);
  return sec;
}

function wholeNumber(what: string, min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
      throw new InvalidArgumentError(`${what} must be a whole number of at least ${min}.`);
    }
    return Number(value);
  };
}

export class UsageError extends Error {}

/** Parses argv (without node and the script); throws UsageError with commander's message. */
export function parseCoordArgs(argv: readonly string[], version: string): CoordArgs | 'exit' {
  const program = new Command('jms_coord')
    .description('The JMS coordinator: takes jobs from consoles and runs them in pools.')
    .version(version)
    .requiredOption('-l, --path <path>', 'directory for job output (created if missing)')
    .requiredOption('-n, --jobs-pool <jobs_pool>', 'most jobs one pool takes over its life', wholeNumber('jobs_pool', 1))
    .option('-w, --jms-out <jms_out>', 'FIFO the coordinator writes (the console reads)', 'jms_out')
    .option('-r, --jms-in <jms_in>', 'FIFO the coordinator reads (the console writes)', 'jms_in')
    .option('--max-pools <n>', 'most pools alive at once; more jobs wait as Queued', wholeNumber('max-pools', 1), DEFAULT_MAX_POOLS)
    .option('--grace <ms>', 'how long a job has after SIGTERM before SIGKILL', wholeNumber('grace', 0), DEFAULT_GRACE_MS)
    .option('--pool-idle <ms>', 'how long a pool with quota left stays when it has no jobs', wholeNumber('pool-idle', 0), DEFAULT_POOL_IDLE_MS)
    .option('--hosts <file>', 'a hosts file (YAML): other machines to run pools on, over ssh or Slurm')
    .option('--lease <duration>', 'how long jobs on other hosts go on without a coordinator before their pool ends them', leaseDuration, DEFAULT_LEASE_SEC)
    .option('--no-journal', 'keep no durable records (jobs are lost with the coordinator); for measurements only')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 'exit';
      throw new UsageError(err.message.replace(/^error: /, ''));
    }
    throw err;
  }
  const o = program.opts<{
    path: string; jobsPool: number; jmsOut: string; jmsIn: string; maxPools: number; grace: number; poolIdle: number;
    journal: boolean; hosts?: string; lease: number;
  }>();
  return {
    path: o.path, jobsPool: o.jobsPool, jmsOut: o.jmsOut, jmsIn: o.jmsIn,
    maxPools: o.maxPools, graceMs: o.grace, poolIdleMs: o.poolIdle, journal: o.journal,
    hosts: o.hosts ?? null, leaseMs: o.lease * 1000,
  };
}
