// The hosts a coordinator runs pools on, from its options: the local machine always,
// and with --hosts the file's other machines, each with the launcher for its kind.
// A bad hosts file is a SetupError listing every mistake, each on its line.

import fs from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import type { OwnDir } from '../../protocol/own-dir.js';
import { defaultLocalHost, parseHostsFile, type HostSpec } from '../config/hosts-file.js';
import type { Clock } from '../core/clock.js';
import type { HostSetup } from '../engine/coordinator.js';
import { BUNDLE_PATH, poolBundle } from '../pools/bundle.js';
import { LocalLauncher } from '../pools/local.js';
import { SlurmLauncher } from '../pools/slurm.js';
import { siteOf } from '../pools/slurm-commands.js';
import { LocalShell, LoginShell } from '../pools/slurm-shell.js';
import { SshLauncher } from '../pools/ssh.js';
import { prepareOwnSubdir, SetupError } from '../setup/setup.js';
import { log } from '../util/log.js';

export interface HostOptions {
  hostsFile: string | null;
  maxPools: number;
  jobsPool: number;
  leaseMs: number;
  clock: Clock;
}

/** Where job directories go on a host whose entry names no `dir`. */
const DEFAULT_REMOTE_DIR = '~/jms';

export function readHostsFile(file: string): HostSpec[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new SetupError(`cannot read the hosts file ${file}: ${err instanceof Error ? err.message : String(err)}; give --hosts a readable YAML file.`);
  }
  const parsed = parseHostsFile(text, file);
  if ('errors' in parsed) throw new SetupError(parsed.errors.join('\n'));
  return parsed.hosts;
}

/** `state`: the coordinator's own directory (<-l>/.jms), where local pools keep their ledgers. */
export function hostSetups(opts: HostOptions, out: OwnDir, state: OwnDir): HostSetup[] {
  const specs = opts.hostsFile === null ? [defaultLocalHost()] : readHostsFile(resolve(opts.hostsFile));
  const ledgers = prepareOwnSubdir(state, 'pools');
  return specs.map((spec): HostSetup => {
    switch (spec.kind) {
      case 'local':
        return { spec, launcher: new LocalLauncher(out, ledgers), slots: spec.slots ?? opts.maxPools * opts.jobsPool, maxPools: opts.maxPools };
      case 'ssh': {
        const slots = spec.slots ?? 1;
        const launcher = new SshLauncher(
          { name: spec.name, ssh: spec.ssh, sshOptions: spec.sshOptions, node: spec.node, cache: spec.cache, dir: spec.dir ?? DEFAULT_REMOTE_DIR },
          poolBundle(), opts.leaseMs, log,
        );
        return { spec, launcher, slots, maxPools: slots };
      }
      case 'slurm':
        return slurmSetup(spec, opts, out, state);
    }
  });
}

/**
 * A Slurm cluster: at most max_pools pools (Slurm jobs) at once, each taking -n jobs, so
 * max_pools × -n slots unless the entry says otherwise. Its commands run here, or on the
 * login node over ssh (the ssh launcher installs the pool program in the cache there).
 */
function slurmSetup(spec: Extract<HostSpec, { kind: 'slurm' }>, opts: HostOptions, out: OwnDir, state: OwnDir): HostSetup {
  const site = siteOf(os.hostname(), out.path);
  const dir = spec.dir ?? DEFAULT_REMOTE_DIR;
  let shell: LocalShell | LoginShell;
  let ledgerDir: string;
  if (spec.login === null) {
    shell = new LocalShell(spec.node, BUNDLE_PATH);
    ledgerDir = prepareOwnSubdir(state, `slurm-${spec.name}`).path;
  } else {
    const ssh = new SshLauncher({ name: spec.name, ssh: spec.login, sshOptions: spec.sshOptions, node: spec.node, cache: spec.cache, dir }, poolBundle(), opts.leaseMs, log);
    shell = new LoginShell(ssh, spec.login, spec.node);
    ledgerDir = `${spec.cache}/ledgers/${site}-${spec.name}`;
  }
  const launcher = new SlurmLauncher({ name: spec.name, slurm: spec.slurm, tags: spec.tags, dir, ledgerDir, site }, shell, opts.leaseMs, opts.clock, log);
  return { spec, launcher, slots: spec.slots ?? spec.slurm.maxPools * opts.jobsPool, maxPools: spec.slurm.maxPools };
}
