// Where a Slurm host's commands (srun, squeue, sinfo, scancel, the pool program's tools)
// run: on this machine, when the coordinator runs on a login node of the cluster, or on
// the login node over ssh, with the ssh launcher's connection and its install of the
// pool program (in the host's cache directory, which the nodes must see). Either way a
// command is an argv; over ssh it becomes one quoted shell line there.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import { HELD_CERTS } from '../../protocol/messages.js';
import { HostError } from './launcher.js';
import { spawnLink, type LinkListener, type PoolLink } from './link.js';
import { shellWord } from './slurm-commands.js';
import { shellPath, type Ran, type SshLauncher } from './ssh.js';
import type { Shell } from './shell.js';

export type { Ran };

export interface ClusterShell {
  /** Where the commands run, for messages: `here` or `on <login>`. */
  readonly where: string;
  /** The Node.js the nodes run the pool program with, and the program's path there. */
  readonly node: string;
  readonly program: string;
  /** The Node.js that runs the pool program's tools where the commands run. */
  readonly toolNode: string;
  /** Makes the commands runnable (over ssh: Node.js there, the pool program installed). */
  prepare(again: boolean): Promise<void>;
  run(argv: readonly string[]): Promise<Ran>;
  /** A frame link to argv's stdin and stdout (srun in front of a pool, or of a tool). */
  link(argv: readonly string[], listener: LinkListener): PoolLink;
  /** argv started where the commands run, its stdio piped (a stream of bytes, not frames). */
  spawn(argv: readonly string[]): ChildProcessWithoutNullStreams;
  /**
   * A Shell on a node: each command line runs as `srun <srun> /bin/sh -c <line>` (a step
   * in a pool's Slurm job, or a small job of its own there); `host` names it in messages.
   */
  on(srun: readonly string[], host: string): Shell;
}

function onNode(srun: readonly string[], command: string): string[] {
  return ['srun', ...srun, '/bin/sh', '-c', command];
}

/** Longest a Slurm command may take here before it counts as failed. */
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * The environment of Slurm commands started here: the coordinator's, without
 * NODE_EXTRA_CA_CERTS (kept under another name for the jobs, as for local pools) and
 * without the SLURM_* variables of an allocation the coordinator might run in (srun
 * would make a step of it instead of a job of its own); SLURM_CONF stays.
 */
export function slurmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('SLURM_') && k !== 'SLURM_CONF') continue;
    if (k === 'NODE_EXTRA_CA_CERTS') env[HELD_CERTS] = v;
    else env[k] = v;
  }
  return env;
}

/** The commands run here; the nodes see this installation's pool program (a shared filesystem). */
export class LocalShell implements ClusterShell {
  readonly where = 'here';
  /** This coordinator's own Node.js. */
  readonly toolNode = process.execPath;

  constructor(readonly node: string, readonly program: string) {}

  async prepare(): Promise<void> {
    if (!fs.existsSync(this.program)) throw new HostError(`the pool program ${this.program} is missing (run make build)`);
  }

  run(argv: readonly string[]): Promise<Ran> {
    return new Promise((resolve) => {
      const [cmd = '', ...args] = argv;
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: slurmEnv() });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      child.on('error', (err) => {
        clearTimeout(timer);
        resolve({ code: null, stdout, stderr: err.message });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  link(argv: readonly string[], listener: LinkListener): PoolLink {
    return spawnLink(argv, slurmEnv(), listener);
  }

  spawn(argv: readonly string[]): ChildProcessWithoutNullStreams {
    const [cmd = '', ...args] = argv;
    return spawn(cmd, args, { stdio: 'pipe', env: slurmEnv() });
  }

  on(srun: readonly string[], host: string): Shell {
    return { host, remote: false, env: slurmEnv(), argv: (command) => onNode(srun, command) };
  }
}

/** A word of a command line on the login node (`~/…` expands to the home there). */
function remoteWord(word: string): string {
  return word.startsWith('~/') ? shellPath(word) : shellWord(word);
}

/** The commands run on the login node over ssh. */
export class LoginShell implements ClusterShell {
  readonly where: string;
  readonly program: string;
  readonly toolNode: string;

  constructor(private readonly ssh: SshLauncher, login: string, readonly node: string) {
    this.where = `on ${login}`;
    this.program = ssh.program;
    this.toolNode = node;
  }

  prepare(again: boolean): Promise<void> {
    return this.ssh.prepare(again);
  }

  run(argv: readonly string[]): Promise<Ran> {
    return this.ssh.run(argv.map(remoteWord).join(' '));
  }

  link(argv: readonly string[], listener: LinkListener): PoolLink {
    return spawnLink(this.ssh.argv(argv.map(remoteWord).join(' ')), process.env, listener);
  }

  spawn(argv: readonly string[]): ChildProcessWithoutNullStreams {
    const [cmd = 'ssh', ...args] = this.ssh.argv(argv.map(remoteWord).join(' '));
    return spawn(cmd, args, { stdio: 'pipe' });
  }

  on(srun: readonly string[], host: string): Shell {
    return { host, remote: true, argv: (command) => this.ssh.argv(onNode(srun, command).map(remoteWord).join(' ')) };
  }
}
