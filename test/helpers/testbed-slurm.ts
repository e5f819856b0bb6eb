// The test cluster as a test reads it: squeue and sinfo, parsed, and srun in its partition,
// each with the test bed's SLURM_CONF.

import { exec, type ExecOptions, type Ran } from './testbed-exec.js';
import type { SlurmBed } from './testbed-state.js';

export interface SlurmJob {
  id: string;
  /** Long form: PENDING, RUNNING, COMPLETING, COMPLETED, CANCELLED, NODE_FAIL … */
  state: string;
  /** Why it pends, or "None". */
  reason: string;
  nodes: string;
  name: string;
}

export interface SlurmNodeInfo {
  name: string;
  /** sinfo's compact state: idle, alloc, mix, down … with '*' when it does not respond. */
  state: string;
  features: string[];
}

async function slurmCmd(bed: SlurmBed, argv: readonly string[]): Promise<string> {
  const r = await exec(argv, { env: bed.env, timeoutMs: 15_000 });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** The cluster's jobs (pending and running; with `all`, also those just ended, for MinJobAge). */
export async function squeue(bed: SlurmBed, opts: { all?: boolean } = {}): Promise<SlurmJob[]> {
  const out = await slurmCmd(bed, ['squeue', '-h', '-o', '%i\t%T\t%r\t%N\t%j', ...(opts.all === true ? ['--states=all'] : [])]);
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const [id = '', state = '', reason = '', nodes = '', ...name] = line.split('\t');
    return { id, state, reason, nodes, name: name.join('\t') };
  });
}

/** The partition's nodes with their state. */
export async function sinfo(bed: SlurmBed): Promise<SlurmNodeInfo[]> {
  const out = await slurmCmd(bed, ['sinfo', '-h', '-N', '-p', bed.partition, '-o', '%N\t%t\t%f']);
  return out.split('\n').filter((l) => l !== '').map((line) => {
    const [name = '', state = '', features = ''] = line.split('\t');
    return { name, state, features: features === '(null)' ? [] : features.split(',') };
  });
}

/** `srun -p <partition> <args…>` with the test bed's SLURM_CONF. */
export function srun(bed: SlurmBed, args: readonly string[], opts: ExecOptions = {}): Promise<Ran> {
  // --chdir: this directory need not exist on the nodes (a checkout under /tmp does not).
  return exec(['srun', '--chdir=/', '-p', bed.partition, ...args], { ...opts, env: { ...bed.env, ...opts.env } });
}
