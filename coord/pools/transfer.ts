// Files between the coordinator's machine and a host (a batch job's staged files, the
// archive of what it saved, the removal of its scratch), written once for every
// launcher. The `…Via` functions reach the host through a Shell (ssh to it or to a Slurm
// login node, or /bin/sh here for a cluster this machine submits to) with tar streams,
// one process each way per call; the `…Here` ones are plain fs calls for this machine.
// Everything a host is asked to remove is first checked to lie strictly inside its
// job-directory root (or its staging root), never in the coordinator's own `.jms`.

import fs from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { cleanRelative, fsProblem, relativeProblem } from '../../protocol/stage.js';
import { HostError } from './launcher.js';
import { failure, lastLine, pipe, quote, runShell, type Ran, type Shell } from './shell.js';

/** The staging root's name under a host's job-directory root. */
export const STAGE_DIR = '.jms-stage';
/** JMS's own directory under a job-directory root (ledgers, the coordinator's state). */
const OWN_DIR = '.jms';

/** A host's job-directory root and staging root, absolute as that host sees them. */
export interface HostRoots {
  jobs: string;
  stage: string;
}

export function hostRoots(jobs: string): HostRoots {
  const root = jobs.length > 1 ? jobs.replace(/\/+$/, '') : jobs;
  return { jobs: root, stage: `${root}/${STAGE_DIR}` };
}

/** The staging area `area` as a checked relative path. */
export function checkArea(area: string): string {
  const bad = relativeProblem(area);
  if (bad !== null) throw new HostError(`the staging area '${area}' ${bad}; give a relative name such as alice/sweep-1/3`);
  return cleanRelative(area);
}

/** `from` as an absolute path that exists here (a file, folder or link). */
export function checkFrom(from: string, host: string): string {
  if (!isAbsolute(from)) throw new HostError(`cannot stage ${from} on ${host}: it is not an absolute path`);
  const src = resolve(from);
  if (src === '/') throw new HostError(`cannot stage / on ${host}: give a file or folder inside it`);
  try {
    fs.lstatSync(src);
  } catch (err) {
    throw new HostError(`cannot stage ${from} on ${host}: ${fsProblem(err)}`);
  }
  return src;
}

/** Checked entry names, each once, without those inside another (they come with it). */
function checkEntries(entries: readonly string[]): string[] {
  const names = entries.map((e) => {
    const bad = relativeProblem(e);
    if (bad !== null) throw new HostError(`cannot collect '${e}': the name ${bad}`);
    return cleanRelative(e);
  });
  const unique = [...new Set(names)];
  return unique.filter((n) => !unique.some((o) => n.startsWith(`${o}/`)));
}

/** Why removing `p` is refused, or null when it lies strictly inside a root and outside `.jms`. */
function removeProblem(roots: HostRoots, p: string): string | null {
  if (!isAbsolute(p) || p.replace(/\/+$/, '').split('/').slice(1).some((x) => x === '' || x === '.' || x === '..')) {
    return 'it is not a plain absolute path';
  }
  const path = p.replace(/\/+$/, '');
  const within = (root: string): boolean => path.startsWith(root === '/' ? '/' : `${root}/`) && path !== root;
  if (!within(roots.jobs) && !within(roots.stage)) return `it is not inside ${roots.jobs} (job directories) or ${roots.stage} (staged files)`;
  const own = `${roots.jobs === '/' ? '' : roots.jobs}/${OWN_DIR}`;
  if (path === own || within(own)) return `${own} holds JMS's own state`;
  if (path === roots.stage) return 'it is the whole staging root';
  return null;
}

export function checkRemovable(roots: HostRoots, paths: readonly string[], host: string): string[] {
  return paths.map((p) => {
    const why = removeProblem(roots, p);
    if (why !== null) throw new HostError(`refusing to remove ${p} on ${host}: ${why}`);
    return p.replace(/\/+$/, '');
  });
}

/** Which side of a `tar | tar` to blame: the reader's failure often makes the writer's. */
function blame(r: { from: Ran; to: Ran }): 'from' | 'to' | null {
  const writerCut = r.from.code === null || /broken pipe/i.test(r.from.stderr);
  if (r.to.code !== 0 && (r.from.code === 0 || writerCut)) return 'to';
  if (r.from.code !== 0) return 'from';
  return r.to.code !== 0 ? 'to' : null;
}

/** Copies `from` (here) to `<stage root>/<area>/<its name>` there, replacing an earlier copy. */
export async function putVia(shell: Shell, roots: HostRoots, from: string, area: string): Promise<string> {
  const src = checkFrom(from, shell.host);
  const dir = `${roots.stage}/${checkArea(area)}`;
  const name = basename(src);
  const unpack = `umask 077 && rm -rf -- ${quote(`${dir}/${name}`)} && mkdir -p -- ${quote(dir)} && tar -C ${quote(dir)} --no-same-owner -xpf -`;
  const r = await pipe(['tar', '-C', dirname(src), '-cf', '-', `./${name}`], shell.argv(unpack), { to: shell.env });
  const what = `cannot stage ${from} on ${shell.host}`;
  switch (blame(r)) {
    case 'from':
      throw new HostError(`${what}: ${lastLine(r.from.stderr) || 'tar failed to read it'}`);
    case 'to':
      throw new HostError(failure(shell, what, r.to));
    case null:
      return `${dir}/${name}`;
  }
}

/** The shell lines that write a tar of the entries of `dir` that exist (an empty one if none). */
function packScript(dir: string, names: readonly string[]): string {
  return [
    `cd -- ${quote(dir)} 2>/dev/null || { echo 'no such directory' >&2; exit 3; }`,
    'set --',
    `for e in ${names.map(quote).join(' ')}; do if [ -e "$e" ] || [ -L "$e" ]; then set -- "$@" "./$e"; fi; done`,
    'exec tar -cf - -T /dev/null "$@"',
  ].join('\n');
}

/** Moves what arrived in `tmp` into `dest`, entry by entry; returns the names that did not arrive. */
function settleEntries(tmp: string, dest: string, names: readonly string[]): string[] {
  const missing: string[] = [];
  for (const name of names) {
    if (!exists(join(tmp, name))) {
      missing.push(name);
      continue;
    }
    fs.rmSync(join(dest, name), { recursive: true, force: true });
    fs.mkdirSync(dirname(join(dest, name)), { recursive: true, mode: 0o700 });
    fs.renameSync(join(tmp, name), join(dest, name));
  }
  return missing;
}

export async function collectVia(shell: Shell, dir: string, entries: readonly string[], dest: string): Promise<{ missing: string[] }> {
  const what = `cannot collect from ${dir} on ${shell.host}`;
  if (!isAbsolute(dir)) throw new HostError(`${what}: it is not an absolute path`);
  const names = checkEntries(entries);
  const tmp = makeDest(dest, what);
  try {
    const r = await pipe(shell.argv(packScript(dir, names)), ['tar', '-C', tmp, '--no-same-owner', '-xpf', '-'], { from: shell.env });
    switch (blame(r)) {
      case 'from':
        throw new HostError(failure(shell, what, r.from));
      case 'to':
        throw new HostError(`${what}: writing into ${dest} failed: ${lastLine(r.to.stderr) || 'tar failed'}`);
      case null:
        return { missing: settleEntries(tmp, dest, names) };
    }
  } catch (err) {
    if (err instanceof HostError) throw err;
    throw new HostError(`${what}: ${fsProblem(err)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Makes `dest` and a fresh folder inside it for what arrives; returns that folder. */
function makeDest(dest: string, what: string): string {
  try {
    fs.mkdirSync(dest, { recursive: true, mode: 0o700 });
    return fs.mkdtempSync(join(dest, '.jms-collect-'));
  } catch (err) {
    throw new HostError(`${what}: cannot write into ${dest}: ${fsProblem(err)}`);
  }
}

/** `rm -rf` of the paths there, once they are checked. */
export async function removeVia(shell: Shell, roots: HostRoots, paths: readonly string[]): Promise<void> {
  const checked = checkRemovable(roots, paths, shell.host);
  if (checked.length === 0) return;
  const r = await runShell(shell, `rm -rf -- ${checked.map(quote).join(' ')}`);
  if (r.code !== 0) throw new HostError(failure(shell, `cannot remove ${checked.join(', ')} on ${shell.host}`, r));
}

/** collect on this machine: fs copies, links as links, modes kept. */
export function collectHere(dir: string, entries: readonly string[], dest: string): { missing: string[] } {
  const what = `cannot collect from ${dir}`;
  if (!isAbsolute(dir)) throw new HostError(`${what}: it is not an absolute path`);
  if (!isDir(dir)) throw new HostError(`${what}: no such directory`);
  const names = checkEntries(entries);
  const missing: string[] = [];
  try {
    fs.mkdirSync(dest, { recursive: true, mode: 0o700 });
    for (const name of names) {
      if (!exists(join(dir, name))) {
        missing.push(name);
        continue;
      }
      fs.rmSync(join(dest, name), { recursive: true, force: true });
      fs.cpSync(join(dir, name), join(dest, name), { recursive: true, verbatimSymlinks: true, errorOnExist: false, force: true });
    }
  } catch (err) {
    throw new HostError(`${what} into ${dest}: ${fsProblem(err)}`);
  }
  return { missing };
}

export function removeHere(roots: HostRoots, paths: readonly string[], host: string): void {
  for (const p of checkRemovable(roots, paths, host)) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
    } catch (err) {
      throw new HostError(`cannot remove ${p} on ${host}: ${fsProblem(err)}`);
    }
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
