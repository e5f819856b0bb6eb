// A host reached over ssh: nothing to install there by hand. The first time it is
// needed, the coordinator checks for its pool program (one bundled file, named by its
// content hash under the host's cache directory) and copies it over the same ssh if it
// is missing; then each pool is `ssh -T host node <cache>/pool-<hash>.mjs --key <key>`,
// frames on the ssh channel, one connection each: a shared one (ControlMaster) would
// hold every pool's pipes in its master, so a pool whose link is cut would not be seen
// to end until the master noticed. Pings both ways notice a silent network. Everything else on the host (re-attaching an
// orphaned pool, its ledger, killing a group) goes through the pool program's tools; a
// batch job's files go as tar streams over ssh (coord/pools/transfer.ts).

import { spawn } from 'node:child_process';
import type { PoolConfig, PoolEvent } from '../../protocol/pool-messages.js';
import type { HostPaths, Launcher, Probe } from './launcher.js';
import { HostError } from './launcher.js';
import { spawnLink, type LinkListener, type PoolLink } from './link.js';
import type { PoolBundle } from './bundle.js';
import { lastLine, readOutput, runShell, shellPath, sshShell, type Ran, type Shell } from './shell.js';
import { checkArea, collectVia, hostRoots, putVia, removeVia, type HostRoots } from './transfer.js';

export interface SshSpec {
  name: string;
  ssh: string;
  sshOptions: readonly string[];
  node: string;
  cache: string;
  dir: string;
}

/** How often the coordinator pings a remote pool; three missed pings are a lost link. */
export const HEARTBEAT_MS = 1000;

export { shellPath, type Ran };

export class SshLauncher implements Launcher {
  readonly host: string;
  readonly paths: HostPaths;
  readonly heartbeatMs = HEARTBEAT_MS;
  private ready: Promise<void> | null = null;
  /** The pool program's path on the host. */
  readonly program: string;
  /** The commands of this host: `ssh -T <options> <host> <command>`. */
  private readonly shell: Shell;
  /** Its home directory, as its shell says (a hosts file's `~/` there), once prepared. */
  private home: string | null = null;

  constructor(
    private readonly spec: SshSpec,
    private readonly bundle: PoolBundle,
    readonly leaseMs: number,
    private readonly log: (line: string) => void,
  ) {
    this.host = spec.name;
    this.paths = { outDir: spec.dir, outDirId: null, ledgerDir: `${spec.dir}/.jms/pools` };
    this.program = `${spec.cache}/pool-${bundle.hash}.cjs`;
    this.shell = sshShell(spec.name, () => this.args());
  }

  /** ssh's options: the user's first (ssh takes the first value given), then ours. */
  private options(): string[] {
    return [
      ...this.spec.sshOptions,
      '-o', 'BatchMode=yes', '-o', 'ServerAliveInterval=2', '-o', 'ServerAliveCountMax=3', '-o', 'ControlMaster=no',
    ];
  }

  private args(): string[] {
    return ['-T', ...this.options(), this.spec.ssh];
  }

  /** The ssh command line that runs `command` on the host (a shell line there). */
  argv(command: string): string[] {
    return ['ssh', ...this.args(), command];
  }

  /** Runs `command` on the host (a shell line there). */
  run(command: string, input = ''): Promise<Ran> {
    return runShell(this.shell, command, input);
  }

  private node(): string {
    return shellPath(this.spec.node).replace(/^'([A-Za-z0-9_./-]+)'$/, '$1');
  }

  private tool(args: string): string {
    return `${this.node()} ${shellPath(this.program)} ${args}`;
  }

  prepare(again = false): Promise<void> {
    if (again) this.ready = null;
    this.ready ??= this.install().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  /** Checks Node.js and the pool program on the host; copies the program over if missing. */
  private async install(): Promise<void> {
    const f = shellPath(this.program);
    const check = await this.run(
      `if [ -f ${f} ] && [ "$(sha256sum < ${f} | cut -c1-64)" = ${this.bundle.sha256} ]; then echo have; else echo need; fi; printf '%s\\n' "$HOME"; ${this.node()} --version`,
    );
    if (check.code !== 0) throw new HostError(unreachable(this.host, check));
    const [have, home = '', version = ''] = check.stdout.trim().split('\n');
    if (home.startsWith('/')) this.home = home;
    const major = Number(/^v(\d+)\./.exec(version.trim())?.[1] ?? 0);
    if (major < 20) {
      throw new HostError(`${this.host} has no Node.js 20 or later as '${this.spec.node}' (${version.trim() || 'not found'}); install it there or set node: in the hosts file`);
    }
    if (have === 'have') return;
    const dir = shellPath(this.spec.cache);
    const put = await this.run(`umask 077 && mkdir -p ${dir} && cat > ${f}.tmp.$$ && mv -f ${f}.tmp.$$ ${f}`, this.bundle.text);
    if (put.code !== 0) throw new HostError(`cannot install the pool program on ${this.host}: ${lastLine(put.stderr)}`);
    this.log(`installed the pool program on ${this.host} as ${this.program}`);
  }

  start(config: PoolConfig, listener: LinkListener): PoolLink {
    const link = spawnLink(this.shell.argv(this.tool(`--key ${config.key}`)), process.env, listener, false);
    link.send({ kind: 'config', ...config });
    return link;
  }

  async probe(key: string, pid: number | null, listener: LinkListener): Promise<Probe> {
    try {
      await this.prepare();
    } catch (err) {
      return { kind: 'unreachable', why: err instanceof Error ? err.message : String(err) };
    }
    return new Promise((resolve) => {
      let first = true;
      let stderr = '';
      const link = spawnLink(this.shell.argv(this.tool(`--attach ${shellPath(this.paths.ledgerDir)} ${key} ${pid ?? 0}`)), process.env, {
        event: (event: PoolEvent) => {
          if (!first) return listener.event(event);
          first = false;
          if (event.kind !== 'absent') {
            resolve({ kind: 'attached', link });
            listener.event(event);
            return;
          }
          const ledger = event.ledger ? { key: event.key, pid: event.pid, orphaned: event.orphaned, jobs: new Map(event.jobs.map((j) => [j.jobId, j])), rejected: 0 } : null;
          resolve(event.alive ? { kind: 'alive' } : { kind: 'dead', ledger });
        },
        closed: (how) => {
          if (!first) return listener.closed(how);
          // ssh exits 255 when the connection fails; anything else reached the host (a
          // pool that let go of the socket as it left): look again.
          resolve(how === 'exited with code 255' || how.startsWith('was killed') ? { kind: 'unreachable', why: `ssh to ${this.host} ${how}: ${lastLine(stderr)}` } : { kind: 'alive' });
        },
        log: (line) => {
          stderr = line;
          if (!first) listener.log(line);
        },
      });
    });
  }

  async ledgers(): Promise<string[] | null> {
    try {
      await this.prepare();
    } catch {
      return null;
    }
    const r = await this.run(this.tool(`--ledgers ${shellPath(this.paths.ledgerDir)}`));
    if (r.code !== 0) return null;
    try {
      const keys: unknown = JSON.parse(r.stdout);
      return Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : null;
    } catch {
      return null;
    }
  }

  async forget(key: string): Promise<void> {
    const r = await this.run(this.tool(`--forget ${shellPath(this.paths.ledgerDir)} ${key}`));
    if (r.code !== 0) this.log(`cannot remove the ledger ${key} on ${this.host}: ${lastLine(r.stderr)}`);
  }

  async killGroups(pids: readonly number[]): Promise<void> {
    if (pids.length === 0) return;
    const r = await this.run(this.tool(`--kill-groups ${pids.join(' ')}`));
    if (r.code !== 0) this.log(`cannot end process groups ${pids.join(', ')} on ${this.host}: ${lastLine(r.stderr)}`);
  }

  /** Runs the pool program's `--read` tool there; its stdout is the file's bytes. */
  async *readFile(path: string, lines: number | null, until: Promise<void>): AsyncIterable<Buffer> {
    await this.prepare();
    const [ssh = 'ssh', ...args] = this.shell.argv(this.tool(`--read ${shellPath(path)} ${lines ?? -1}`));
    const child = spawn(ssh, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    yield* readOutput(child, until, (code, stderr) => `cannot read ${path} on ${this.host}: ${lastLine(stderr) || `ssh exited with code ${code ?? 'null'}`}`);
  }

  /** This host's roots with `~/` made its home (known once prepared). */
  private async roots(): Promise<HostRoots> {
    await this.prepare();
    const dir = this.spec.dir;
    if (dir === '~' || dir.startsWith('~/')) {
      if (this.home === null) throw new HostError(`cannot tell where ${dir} is on ${this.host}: its shell gave no home directory`);
      return hostRoots(`${this.home.replace(/\/+$/, '')}${dir.slice(1)}`);
    }
    return hostRoots(dir);
  }

  async put(from: string, area: string): Promise<string> {
    return putVia(this.shell, await this.roots(), from, area);
  }

  async unstage(area: string): Promise<void> {
    const roots = await this.roots();
    await removeVia(this.shell, roots, [`${roots.stage}/${checkArea(area)}`]);
  }

  async collect(dir: string, entries: readonly string[], dest: string): Promise<{ missing: string[] }> {
    return collectVia(this.shell, dir, entries, dest);
  }

  async remove(paths: readonly string[]): Promise<void> {
    if (paths.length === 0) return;
    await removeVia(this.shell, await this.roots(), paths);
  }

  async close(): Promise<void> {
    // Each pool had its own connection, gone with it.
  }
}

function unreachable(host: string, r: Ran): string {
  return `cannot reach ${host} over ssh (${r.code === 255 || r.code === null ? 'ssh failed' : `exit ${r.code}`}: ${lastLine(r.stderr) || 'no message'})`;
}
