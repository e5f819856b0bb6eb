// The coordinator's own machine: pools are child processes (`node dist/jms_pool.cjs`, the
// bundled pool with its code cache; `node dist/pool/main.js` in a tsc-only build; both with
// a pool's V8 flags, protocol/quick-start.ts), their
// ledgers and attach sockets live in <path>/.jms/pools, reached through its open
// descriptor (protocol/own-dir.ts). A batch job's files are staged from where they are
// (nothing copied) and collected or removed with plain fs calls.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SOCKET_SUFFIX } from '../../protocol/ledger.js';
import { followFile } from '../../protocol/file-follow.js';
import { forgetLedger, killGroups, ledgerKeys, poolAlive, readLedger } from '../../protocol/ledger-files.js';
import { HELD_CERTS } from '../../protocol/messages.js';
import { POOL_NODE_FLAGS } from '../../protocol/quick-start.js';
import type { OwnDir } from '../../protocol/own-dir.js';
import type { PoolConfig } from '../../protocol/pool-messages.js';
import type { HostPaths, Launcher, Probe } from './launcher.js';
import { socketLink, spawnLink, type LinkListener, type PoolLink } from './link.js';
import { checkArea, checkFrom, collectHere, hostRoots, removeHere, type HostRoots } from './transfer.js';

/** The bundled pool starts in about half the time of the module tree (pool/launch.ts). */
const POOL_MAIN = [new URL('../../jms_pool.cjs', import.meta.url), new URL('../../pool/main.js', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((f, i, all) => i === all.length - 1 || fs.existsSync(f)) ?? '';

/**
 * The pool's environment: the coordinator's, except NODE_EXTRA_CA_CERTS, which makes
 * every Node start-up about 3x slower and which a pool (no TLS) does not need. It is
 * passed under another name and the pool gives it back to its jobs.
 */
function poolEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const certs = env['NODE_EXTRA_CA_CERTS'];
  if (certs !== undefined) {
    delete env['NODE_EXTRA_CA_CERTS'];
    env[HELD_CERTS] = certs;
  }
  return Object.freeze(env);
}

/** Made once: the coordinator's environment does not change, and a pool starts every jobs_pool jobs. */
let poolEnvOnce: NodeJS.ProcessEnv | undefined;

export class LocalLauncher implements Launcher {
  readonly host = 'local';
  readonly leaseMs = null;
  readonly heartbeatMs = null;
  readonly paths: HostPaths;

  private readonly roots: HostRoots;

  constructor(out: OwnDir, private readonly ledgerDir: OwnDir) {
    this.paths = { outDir: out.path, outDirId: out.id, ledgerDir: ledgerDir.path };
    this.roots = hostRoots(out.path);
  }

  async prepare(): Promise<void> {
    // The pool program is this installation's own.
  }

  start(config: PoolConfig, listener: LinkListener): PoolLink {
    // The key on the command line lets a restarted coordinator tell this pool from a recycled pid.
    const link = spawnLink([process.execPath, ...POOL_NODE_FLAGS, POOL_MAIN, '--key', config.key], (poolEnvOnce ??= poolEnv()), listener);
    link.send({ kind: 'config', ...config });
    return link;
  }

  async probe(key: string, pid: number | null, listener: LinkListener): Promise<Probe> {
    const link = await socketLink(this.ledgerDir.at(`${key}${SOCKET_SUFFIX}`), listener);
    if (link !== null) return { kind: 'attached', link };
    const ledger = readLedger(this.ledgerDir, key);
    const owner = ledger?.pid ?? pid;
    return owner !== null && poolAlive(key, owner) ? { kind: 'alive' } : { kind: 'dead', ledger };
  }

  async ledgers(): Promise<string[]> {
    return ledgerKeys(this.ledgerDir);
  }

  async forget(key: string): Promise<void> {
    forgetLedger(this.ledgerDir, key);
  }

  async killGroups(pids: readonly number[]): Promise<void> {
    killGroups(pids);
  }

  readFile(path: string, lines: number | null, until: Promise<void>): AsyncIterable<Buffer> {
    return followFile(path, lines, until);
  }

  /** Here the pool reads the file where it is. */
  async put(from: string, area: string): Promise<string> {
    checkArea(area);
    return checkFrom(from, this.host);
  }

  async unstage(area: string): Promise<void> {
    removeHere(this.roots, [`${this.roots.stage}/${checkArea(area)}`], this.host);
  }

  async collect(dir: string, entries: readonly string[], dest: string): Promise<{ missing: string[] }> {
    return collectHere(dir, entries, dest);
  }

  async remove(paths: readonly string[]): Promise<void> {
    removeHere(this.roots, paths, this.host);
  }

  async close(): Promise<void> {
    // Nothing of ours outlives the pools here.
  }
}
