// The posix_spawn spawner: finds, loads and checks pool/spawn's native addon
// (jms_spawn.node, built from native/jms-spawn.c by scripts/build-addon.sh) and starts
// jobs through it. A missing addon is normal (not built, or a bundled pool on a host
// without it); one that is present but unusable is worth a line from the caller.

import { addonCandidates as nativeCandidates, loadNative } from '../../protocol/native-addon.js';
import { signalName, whyNotStarted } from './failure.js';
import type { ExitInfo, JobSpawner } from './types.js';

/** The addon's exports (see the header of native/jms-spawn.c). */
export interface Addon {
  spawn(
    shell: string,
    command: string,
    cwd: string | null,
    /** An environment object, or what prepareEnv made of one. */
    env: unknown,
    stdoutFd: number,
    stderrFd: number,
    onExit: (code: number | null, signo: number) => void,
  ): number;
  /** The environment as spawn needs it, built once for many jobs (an opaque external). */
  prepareEnv(env: Readonly<Record<string, string | undefined>>): unknown;
  /** Gives a directory ext2/3/4's T attribute (chattr +T); false where it has none. */
  spreadSubdirs(dirFd: number): boolean;
  check(): string | null;
  /** [user µs, system µs] of the reaped children (an addon built before it lacks it). */
  childrenUsage?: () => unknown;
}

function isAddon(m: unknown): m is Addon {
  return typeof m === 'object' && m !== null && 'spawn' in m && typeof m.spawn === 'function' && 'check' in m && typeof m.check === 'function'
    && 'prepareEnv' in m && typeof m.prepareEnv === 'function' && 'spreadSubdirs' in m && typeof m.spreadSubdirs === 'function';
}

export const ADDON_FILE = 'jms_spawn.node';

/**
 * Where the addon may be: beside this module (a bundle shipped with its .node file), then
 * build/Release of the checkout (protocol/native-addon.ts). None when the module's own
 * location is unknown.
 */
export function addonCandidates(): string[] {
  return nativeCandidates(ADDON_FILE, import.meta.dirname);
}

export type AddonLoad = { addon: Addon; file: string } | { missing: string } | { unusable: string };

/** The first candidate that exists, loaded and self-checked. */
export function loadAddon(candidates: readonly string[] = addonCandidates()): AddonLoad {
  const got = loadNative(candidates, ADDON_FILE);
  if (!('module' in got)) return got;
  const { module: mod, file } = got;
  // One built from an older source lacks prepareEnv or spreadSubdirs, and does not end a job's group at its end.
  if (!isAddon(mod)) return { unusable: `${file} is not this version's spawn addon (no spawn, prepareEnv, spreadSubdirs and check functions; make build rebuilds it)` };
  const problem = mod.check();
  return problem === null ? { addon: mod, file } : { unusable: `${file} is unsupported here: ${problem}` };
}

function exitInfo(code: number | null, signo: number): ExitInfo {
  if (code !== null || signo === 0) return { code, signal: null };
  const signal = signalName(signo);
  // A signal Node has no name for (a real-time one): reported as the shell would.
  return signal === null ? { code: 128 + signo, signal: null } : { code: null, signal };
}

export function nativeSpawner(addon: Addon, shell = '/bin/sh'): JobSpawner {
  // Each environment object's vector, built on its first job (JobSpec.env is not changed
  // once given): a pool's jobs mostly share one, and building it took ~40 µs a job.
  const prepared = new WeakMap<object, unknown>();
  return {
    kind: 'posix_spawn',
    spawn(spec, onExit) {
      try {
        let env = prepared.get(spec.env);
        if (env === undefined) {
          env = addon.prepareEnv(spec.env);
          prepared.set(spec.env, env);
        }
        const report = (code: number | null, signo: number): void => onExit(exitInfo(code, signo));
        return { pid: addon.spawn(shell, spec.command, spec.cwd ?? null, env, spec.stdoutFd, spec.stderrFd, report) };
      } catch (err) {
        return { error: whyNotStarted(shell, spec.cwd, err) };
      }
    },
  };
}
