// pool/spawn: how a pool starts its jobs, behind one small interface (types.ts).
// jobSpawner() gives the posix_spawn spawner when the native addon is built, loads and
// passes its self-check, else child_process.spawn with the same semantics.
//
// JMS_SPAWN in the pool's environment chooses: unset or `auto` as above;
// `child_process` forces the fallback (to run a whole suite on it); `posix_spawn` asks
// for the addon and says on stderr when it cannot have it (then falls back).

import { childProcessSpawner } from './child-process.js';
import { loadAddon, nativeSpawner, type AddonLoad } from './native.js';
import type { JobSpawner } from './types.js';
import { say } from '../stdio.js';

export type { ExitInfo, JobSpawner, JobSpec, SpawnError, Spawned, SpawnerKind } from './types.js';

export const SPAWN_CHOICE = 'JMS_SPAWN';

let loaded: AddonLoad | undefined;
const said = new Set<string>();

/** One line on stderr, once per process for each distinct reason. */
function sayOnce(line: string): void {
  if (said.has(line)) return;
  said.add(line);
  say(`jms: ${line}\n`);
}

function native(required: boolean): JobSpawner | null {
  loaded ??= loadAddon();
  if ('addon' in loaded) return nativeSpawner(loaded.addon);
  if ('unusable' in loaded) sayOnce(`${loaded.unusable}; jobs start with child_process.spawn`);
  else if (required) sayOnce(`${SPAWN_CHOICE}=posix_spawn but ${loaded.missing}; jobs start with child_process.spawn`);
  return null;
}

/**
 * Gives the directory `dirFd` ext2/3/4's T attribute (chattr +T) through the addon, so the
 * file system spreads the directories made in it over the disk (pool/spread-dirs.ts says
 * where and why). False when it could not: no addon, or a file system without it.
 */
export function setTopDir(dirFd: number): boolean {
  loaded ??= loadAddon();
  return 'addon' in loaded && loaded.addon.spreadSubdirs(dirFd);
}

export function jobSpawner(env: NodeJS.ProcessEnv = process.env): JobSpawner {
  const choice = env[SPAWN_CHOICE] ?? 'auto';
  switch (choice) {
    case 'child_process':
      return childProcessSpawner();
    case 'posix_spawn':
      return native(true) ?? childProcessSpawner();
    case 'auto':
    case '':
      return native(false) ?? childProcessSpawner();
    default:
      sayOnce(`${SPAWN_CHOICE}=${choice} is not one of auto, posix_spawn, child_process: using auto`);
      return native(false) ?? childProcessSpawner();
  }
}
