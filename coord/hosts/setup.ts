// The hosts a coordinator runs pools on, from its options: the local machine always,
// and with --hosts the file's other machines, each with the launcher for its kind.
// A bad hosts file is a SetupError listing every mistake, each on its line.

import fs from 'node:fs';
import { resolve } from 'node:path';
import type { OwnDir } from '../../protocol/own-dir.js';
import { defaultLocalHost, parseHostsFile, type HostSpec } from '../config/hosts-file.js';
import type { HostSetup } from '../engine/coordinator.js';
import { poolBundle } from '../pools/bundle.js';
import { LocalLauncher } from '../pools/local.js';
import { SshLauncher } from '../pools/ssh.js';
import { SetupError } from '../setup/setup.js';
import { log } from '../util/log.js';

export interface HostOptions {
  hostsFile: string | null;
  maxPools: number;
  jobsPool: number;
  leaseMs: number;
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

export function hostSetups(opts: HostOptions, out: OwnDir, ledgers: OwnDir): HostSetup[] {
  const specs = opts.hostsFile === null ? [defaultLocalHost()] : readHostsFile(resolve(opts.hostsFile));
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
        throw new SetupError(`${spec.name}: Slurm hosts are not supported yet; remove the entry from the hosts file.`);
    }
  });
}
