// A coordinator on the test bed's Slurm cluster, for the suites that use it: a site with a
// hosts file, started with the cluster's SLURM_CONF; this site's Slurm jobs in squeue, and
// the check that none is left at the end.

import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { siteOf } from '../../coord/pools/slurm-commands.js';
import { launch, site, type Site } from './site.js';
import { sinfo, squeue, type SlurmBed, type SlurmJob } from './testbed.js';
import { unwrapTapSpawnHook } from './spawn-job.js';
import { waitFor } from './wait.js';

/** A site whose coordinator runs with `hosts` as its hosts file and the cluster's SLURM_CONF. */
export function clusterSite(t: Test, hosts: string, flags: string[] = []): Site {
  const s = site(t, ['-n', '2', ...flags]);
  const file = join(s.dir, 'hosts.yaml');
  fs.writeFileSync(file, hosts);
  s.flags.push('--hosts', file);
  return s;
}

/**
 * Starts the site's coordinator; a failed test shows its log. Without tap's NODE_OPTIONS
 * (its processinfo hook): a pool tool started as the coordinator exits would hang in it.
 */
export async function start(t: Test, s: Site, cl: SlurmBed): ReturnType<typeof launch> {
  // The hook would put NODE_OPTIONS back into the coordinator's environment, and srun
  // carries it to the nodes, where tap's files are missing when the checkout is under /tmp.
  unwrapTapSpawnHook();
  const c = await launch(t, s, { env: { ...cl.env, NODE_OPTIONS: '' } });
  t.teardown(() => {
    if (!t.passing()) t.comment(`coordinator log:\n${c.log()}`);
  });
  return c;
}

/** This site's Slurm jobs (named jms-<site>-<pool key>). */
export async function ours(cl: SlurmBed, s: Site, all = false): Promise<SlurmJob[]> {
  const prefix = `jms-${siteOf(os.hostname(), fs.realpathSync(s.out))}-`;
  return (await squeue(cl, { all })).filter((j) => j.name.startsWith(prefix));
}

export async function noneLeft(t: Test, cl: SlurmBed, s: Site): Promise<void> {
  await waitFor('no Slurm job of this coordinator left', async () => (await ours(cl, s)).length === 0, 15_000, 200)
    .catch(() => undefined);
  t.same(await ours(cl, s), [], 'squeue lists no Slurm job of this coordinator');
  // Its nodes done cleaning up too, before the test lets go of them.
  await waitFor('no node completing', async () => !(await sinfo(cl)).some((n) => n.state.startsWith('comp')), 10_000, 100)
    .catch(() => undefined);
}

