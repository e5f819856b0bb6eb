// The types of the hosts file (coord/config/hosts-file.ts reads it): the coordinator's own
// machine, machines reached over ssh, and Slurm clusters, each with its tags, slots, cost and
// run windows; and the defaults a host gets for what its entry leaves out.

import type { Windows } from '../../protocol/windows.js';

export interface HostBase {
  name: string;
  tags: string[];
  /** Jobs that may run there at once; null: the default (for local, --max-pools × -n). */
  slots: number | null;
  /** Where job directories go on that host; null: the coordinator's -l for local, the launcher's default elsewhere. */
  dir: string | null;
  /** Lower is preferred; defaults: local 0, ssh 1, slurm 10. */
  cost: number;
  /** When jobs may start there (protocol/windows.ts); null: always. */
  windows: Windows | null;
  /** Suspend running jobs when a window closes, resume them when it opens. */
  suspendOutside: boolean;
  /** The line of the entry in the file; 0 for the local host added by default. */
  line: number;
}

export interface SlurmSpec {
  partition: string;
  account: string | null;
  qos: string | null;
  /** The most a pool may ask for (srun --time); null: the partition's limit. */
  timeSec: number | null;
  /** CPUs per pool (srun --cpus-per-task); null: Slurm's default. */
  cpus: number | null;
  /** Pools (Slurm jobs) at once. */
  maxPools: number;
}

export type HostSpec =
  | (HostBase & { kind: 'local' })
  | (HostBase & {
      kind: 'ssh';
      ssh: string;
      sshOptions: string[];
      /** The Node.js to run there. */
      node: string;
      /** The pool-program cache directory on the host. */
      cache: string;
    })
  | (HostBase & {
      kind: 'slurm';
      slurm: SlurmSpec;
      /** An ssh destination to run srun/squeue/scancel on; null: run them here. */
      login: string | null;
      sshOptions: string[];
      node: string;
      cache: string;
    });

export interface HostsConfig {
  /** Always exactly one of kind 'local' (the first unless the file places it elsewhere). */
  hosts: HostSpec[];
}

export const LOCAL_HOST = 'local';
export const DEFAULT_NODE = 'node';
export const DEFAULT_CACHE = '~/.cache/jms';
export const DEFAULT_COST = { local: 0, ssh: 1, slurm: 10 } as const;
/** Hosts one file may name. */
export const MAX_HOSTS = 1000;

export function defaultLocalHost(): HostSpec {
  return {
    kind: 'local', name: LOCAL_HOST, tags: [], slots: null, dir: null, cost: DEFAULT_COST.local,
    windows: null, suspendOutside: false, line: 0,
  };
}
