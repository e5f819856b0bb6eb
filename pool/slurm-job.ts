// A pool that srun started as a Slurm job of its own (`--slurm` after its key on the
// command line): srun is what ends that job when the pool exits. A pool that leaves
// without a coordinator, or released by one that re-attached to it, may have lost srun
// (the coordinator's machine went with it), and then its allocation would stay, empty,
// until its time limit: so it cancels its own job as the last thing it does. Such a pool
// also leaves if it is never configured (srun gone before it could pass the config on).

import { createRequire } from 'node:module';

/** How long a pool under srun waits for its config before it leaves. */
export const CONFIG_WAIT_MS = 60_000;

/** This pool's Slurm job id, when it runs as a Slurm job of its own. */
export function ownSlurmJob(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const id = env['SLURM_JOB_ID'];
  return argv.includes('--slurm') && id !== undefined && /^\d+$/.test(id) ? id : null;
}

/** scancel of the pool's own job (which also ends this process; it is leaving anyway). */
export function cancelOwnJob(id: string, log: (line: string) => void): void {
  // node:child_process only now: most pools never need it, and it costs 4 ms to load.
  const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  const r = spawnSync('scancel', [id], { stdio: 'ignore', timeout: 10_000 });
  if (r.error !== undefined || r.status !== 0) log(`cannot cancel its own Slurm job ${id}: ${r.error?.message ?? `scancel exited ${r.status ?? 'by a signal'}`}`);
}
