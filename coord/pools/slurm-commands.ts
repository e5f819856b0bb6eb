// The Slurm commands the Slurm launcher runs and what they print, pure: the names JMS
// gives its Slurm jobs, the srun arguments of a pool and of a step that re-attaches to
// one, squeue's and sinfo's lines read back, and the words for how a Slurm job ended.

import { createHash } from 'node:crypto';
import type { Placement } from '../core/allocations.js';
import type { SlurmSpec } from '../config/host-spec.js';

/**
 * Every Slurm job JMS starts is named `jms-<site>-<pool key>`; the site (a hash of the
 * coordinator's machine and output directory) stays the same across restarts, so a
 * coordinator finds its own jobs again, and never touches another's.
 */
export function siteOf(machine: string, outDir: string): string {
  return createHash('sha256').update(`${machine}\0${outDir}`).digest('hex').slice(0, 10);
}

export function jobName(site: string, key: string): string {
  return `jms-${site}-${key}`;
}

/** The pool key a job name of this site carries, or null for any other job. */
export function keyOfName(site: string, name: string): string | null {
  const prefix = `jms-${site}-`;
  return name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : null;
}

/** Slurm counts time limits in whole minutes. */
export function minutes(sec: number): number {
  return Math.max(1, Math.ceil(sec / 60));
}

/** srun's options for a pool: one task on one node, named, with the host's account, QoS and CPUs. */
export function poolSrunArgs(spec: SlurmSpec, place: Placement, name: string): string[] {
  const args = [`--partition=${spec.partition}`];
  if (spec.account !== null) args.push(`--account=${spec.account}`);
  if (spec.qos !== null) args.push(`--qos=${spec.qos}`);
  if (spec.cpus !== null) args.push(`--cpus-per-task=${spec.cpus}`);
  if (place.timeSec !== null) args.push(`--time=${minutes(place.timeSec)}`);
  if (place.features.length > 0) args.push(`--constraint=${place.features.join('&')}`);
  // --chdir: the coordinator's directory need not exist on the nodes.
  args.push('--nodes=1', '--ntasks=1', `--job-name=${name}`, '--chdir=/');
  return args;
}

/** srun's options for a step inside the pool's own job (on its node, beside the pool). */
export function stepSrunArgs(jobId: string): string[] {
  return [`--jobid=${jobId}`, '--overlap', '--nodes=1', '--ntasks=1', '--chdir=/'];
}

/** squeue's arguments: this user's jobs, including those just ended; one tab-separated line each. */
export const SQUEUE_ARGS = ['--me', '--noheader', '--states=all', '--format=%i\t%T\t%r\t%N\t%j'];

export interface QueueRow {
  id: string;
  /** PENDING, RUNNING, COMPLETING, NODE_FAIL, … */
  state: string;
  /** Why it pends ("None" when it does not). */
  reason: string;
  node: string;
}

/** squeue's lines of this site's jobs, by pool key. */
export function parseQueue(text: string, site: string): Map<string, QueueRow> {
  const rows = new Map<string, QueueRow>();
  for (const line of text.split('\n')) {
    const [id = '', state = '', reason = '', node = '', ...name] = line.split('\t');
    const key = keyOfName(site, name.join('\t'));
    if (key !== null && /^\d+(_\d+)?$/.test(id)) rows.set(key, { id, state, reason, node });
  }
  return rows;
}

/** States of a Slurm job that has not started yet. */
export function isPending(state: string): boolean {
  return state === 'PENDING' || state === 'CONFIGURING' || state === 'REQUEUED' || state === 'RESV_DEL_HOLD';
}

/** States after which nothing of the job runs any more (COMPLETING: it is being cleaned up). */
export function isOver(state: string): boolean {
  return !isPending(state) && !['RUNNING', 'SUSPENDED', 'STOPPED', 'RESIZING', 'SIGNALING', 'STAGE_OUT'].includes(state);
}

/** Why a pool's Slurm job ended, for the jobs it took with it. */
export function endReason(row: QueueRow): string {
  const job = `Slurm job ${row.id}`;
  switch (row.state) {
    case 'NODE_FAIL':
      return `its node ${row.node || '(unknown)'} failed (${job}: NODE_FAIL)`;
    case 'TIMEOUT':
      return `its ${job} reached its time limit (TIMEOUT)`;
    case 'CANCELLED':
      return `its ${job} was cancelled (CANCELLED)`;
    case 'PREEMPTED':
      return `its ${job} was preempted (PREEMPTED)`;
    case 'BOOT_FAIL':
      return `its node ${row.node || '(unknown)'} failed to boot (${job}: BOOT_FAIL)`;
    default:
      return `its ${job} ended (${row.state})`;
  }
}

/** `srun: job 1234 queued and waiting for resources` and the like: the job's id. */
export function srunJobId(line: string): string | null {
  const m = /^srun: (?:job|jobid) (\d+)[: ]/.exec(line);
  return m?.[1] ?? null;
}

/**
 * One of Slurm's own error lines (srun's, or slurmstepd's on the node: not the pool's),
 * without its prefix: why a pool could not start. Null for any other line.
 */
export function slurmError(line: string): string | null {
  const m = /^(?:srun|slurmstepd(?:-\S+)?): error: (.*)$/.exec(line);
  return m?.[1] ?? null;
}

/**
 * A time of sinfo's `%l`: `infinite`, `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`,
 * `D-HH:MM:SS`; in seconds, null when unlimited, undefined when unreadable.
 */
export function parseSlurmTime(text: string): number | null | undefined {
  const t = text.trim();
  if (t === 'infinite' || t === 'UNLIMITED' || t === 'INFINITE') return null;
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (m === null) return undefined;
  const [days, a, b, c] = [m[1], m[2], m[3], m[4]].map((x) => (x === undefined ? undefined : Number(x)));
  if (days !== undefined) return days * 86400 + (a ?? 0) * 3600 + (b ?? 0) * 60 + (c ?? 0);
  if (c !== undefined) return (a ?? 0) * 3600 + (b ?? 0) * 60 + c;
  if (b !== undefined) return (a ?? 0) * 60 + b;
  return (a ?? 0) * 60;
}

export interface Partition {
  /** Features of its nodes. */
  features: Set<string>;
  /** The features of each kind of its nodes (one sinfo line each). */
  kinds: Set<string>[];
  /** Its longest time limit (null: unlimited). */
  maxTimeSec: number | null;
}

/** sinfo's `%f|%l` lines for a partition (one per kind of node); null when it has no nodes. */
export function parsePartition(text: string): Partition | null {
  const features = new Set<string>();
  const kinds: Set<string>[] = [];
  let max: number | null | undefined;
  let lines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    lines += 1;
    const [feats = '', limit = ''] = line.split('|');
    const kind = new Set(feats.split(',').filter((f) => f !== '' && f !== '(null)'));
    for (const f of kind) features.add(f);
    kinds.push(kind);
    const sec = parseSlurmTime(limit);
    if (sec === null) max = null;
    else if (sec !== undefined && max !== null) max = Math.max(max ?? 0, sec);
  }
  return lines === 0 ? null : { features, kinds, maxTimeSec: max ?? null };
}

/** `'a b'` for a POSIX shell. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
