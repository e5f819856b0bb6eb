// jms_coord's command line: flags in any order, checked into a typed value or one
// usage error in the grammar of every JMS error, whose hint is a command line that
// works as printed (built from what was typed).

import { Command } from 'commander';
import { parseCommandLine, typeable } from '../../protocol/usage.js';
import { DURATION_HELP, parseDuration } from '../../protocol/duration.js';

export interface CoordArgs {
  path: string;
  jobsPool: number;
  /** As given by -w / -r; absent: JMS_OUT / JMS_IN or the per-user default (protocol/paths.ts). */
  jmsOut: string | undefined;
  jmsIn: string | undefined;
  maxPools: number;
  graceMs: number;
  poolIdleMs: number;
  journal: boolean;
  /** The hosts file (--hosts); null: this machine only. */
  hosts: string | null;
  /** How long jobs on other hosts keep running without a coordinator (ms). */
  leaseMs: number;
  /** How long an exit hook (or a batch's notify) may run before it is killed (s). */
  hookTimeoutSec: number;
}

export const DEFAULT_MAX_POOLS = 16;
export const DEFAULT_GRACE_MS = 5000;
export const DEFAULT_POOL_IDLE_MS = 1000;
export const DEFAULT_LEASE_SEC = 300;
export const DEFAULT_HOOK_TIMEOUT_SEC = 600;

export class UsageError extends Error {}

interface Raw {
  path?: string; jobsPool?: string; jmsOut?: string; jmsIn?: string;
  maxPools?: string; grace?: string; poolIdle?: string; journal: boolean; hosts?: string; lease?: string; hookTimeout?: string;
}

/** `jms_coord -l <path> -n <n>` with what was typed where it can be typed back. */
function example(o: Raw): string {
  const path = typeable(o.path ?? '') ?? 'jms_output';
  const n = o.jobsPool !== undefined && /^[1-9]\d{0,5}$/.test(o.jobsPool) ? o.jobsPool : '3';
  return `e.g. 'jms_coord -l ${path} -n ${n}'`;
}

function whole(o: Raw, value: string | undefined, flag: string, what: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)) || Number(value) < min) {
    const shown = value.length > 20 ? `${value.slice(0, 20)}…` : value;
    throw new UsageError(`${flag} (${what}) must be a whole number of at least ${min}, not '${shown}'; ${example(o)}.`);
  }
  return Number(value);
}

function lease(o: Raw): number {
  return duration(o.lease, '--lease', '5m', DEFAULT_LEASE_SEC) * 1000;
}

function duration(text: string | undefined, flag: string, eg: string, fallback: number): number {
  if (text === undefined) return fallback;
  const sec = parseDuration(text);
  if (sec === null) throw new UsageError(`${flag} takes ${DURATION_HELP}, not '${text.slice(0, 20)}'; e.g. '${flag} ${eg}'.`);
  return sec;
}

/** Parses argv (without node and the script); throws UsageError with one sentence. */
export function parseCoordArgs(argv: readonly string[], version: string): CoordArgs | 'exit' {
  const program = new Command('jms_coord')
    .description('The JMS coordinator: takes jobs from consoles and runs them in pools.')
    .version(version)
    .option('-l, --path <path>', 'directory for job output (created if missing); required')
    .option('-n, --jobs-pool <jobs_pool>', 'most jobs one pool takes over its life; required')
    .option('-w, --jms-out <jms_out>', 'FIFO the coordinator writes (default: $JMS_OUT, else jms_out in the per-user directory)')
    .option('-r, --jms-in <jms_in>', 'FIFO the coordinator reads (default: $JMS_IN, else jms_in in the per-user directory)')
    .option('--max-pools <n>', `most pools alive at once, the spare one included; more jobs wait as Queued (default: ${DEFAULT_MAX_POOLS})`)
    .option('--grace <ms>', `how long a job has after SIGTERM before SIGKILL (default: ${DEFAULT_GRACE_MS})`)
    .option('--pool-idle <ms>', `how long a pool with quota left stays when it has no jobs (default: ${DEFAULT_POOL_IDLE_MS})`)
    .option('--hosts <file>', 'a hosts file (YAML): other machines to run pools on, over ssh or Slurm')
    .option('--lease <duration>', `how long jobs on other hosts go on without a coordinator before their pool ends them (default: ${DEFAULT_LEASE_SEC / 60}m)`)
    .option('--hook-timeout <duration>', `how long an exit hook or a batch's notify may run before it is killed (default: ${DEFAULT_HOOK_TIMEOUT_SEC / 60}m)`)
    .option('--no-journal', 'keep no durable records (jobs are lost with the coordinator); for measurements only')
    .addHelpText('after', '\nThe per-user directory: $JMS_DIR, else $XDG_RUNTIME_DIR/jms, else ~/.jms.')
    .allowExcessArguments(true);
  const parsed = parseCommandLine(program, argv, 'jms_coord --help');
  if (parsed === 'exit') return 'exit';
  if (parsed !== 'parsed') throw new UsageError(parsed.usage);
  const o = program.opts<Raw>();
  const [stray] = program.args;
  if (stray !== undefined) throw new UsageError(`unexpected argument '${stray.slice(0, 40)}' (jms_coord takes options only); ${example(o)}.`);
  if (o.path === undefined || o.path === '') throw new UsageError(`the output directory (-l <path>) is missing; ${example(o)}.`);
  if (o.jobsPool === undefined) throw new UsageError(`the number of jobs per pool (-n <jobs_pool>) is missing; ${example(o)}.`);
  return {
    path: o.path,
    jobsPool: whole(o, o.jobsPool, '-n', 'jobs_pool', 1, 0),
    jmsOut: o.jmsOut,
    jmsIn: o.jmsIn,
    maxPools: whole(o, o.maxPools, '--max-pools', 'pools alive at once', 1, DEFAULT_MAX_POOLS),
    graceMs: whole(o, o.grace, '--grace', 'milliseconds', 0, DEFAULT_GRACE_MS),
    poolIdleMs: whole(o, o.poolIdle, '--pool-idle', 'milliseconds', 0, DEFAULT_POOL_IDLE_MS),
    journal: o.journal,
    hosts: o.hosts ?? null,
    leaseMs: lease(o),
    hookTimeoutSec: duration(o.hookTimeout, '--hook-timeout', '10m', DEFAULT_HOOK_TIMEOUT_SEC),
  };
}
