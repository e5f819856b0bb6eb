// The coordinator's own machine: pools are child processes (`node pool/main.js`), their
// ledgers and attach sockets live in <path>/.jms/pools, reached through its open
// descriptor (protocol/own-dir.ts).

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scanRecordFd } from '../../protocol/crc-lines.js';
import { LEDGER_SUFFIX, LedgerReader, POOL_KEY, SOCKET_SUFFIX, type LedgerView } from '../../protocol/ledger.js';
import { HELD_CERTS } from '../../protocol/messages.js';
import type { OwnDir } from '../../protocol/own-dir.js';
import type { PoolConfig } from '../../protocol/pool-messages.js';
import { isAlive, procInfo } from '../util/proc.js';
import type { HostPaths, Launcher } from './launcher.js';
import { socketLink, spawnLink, type LinkListener, type PoolLink } from './link.js';

const POOL_MAIN = fileURLToPath(new URL('../../pool/main.js', import.meta.url));

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
  return env;
}

export class LocalLauncher implements Launcher {
  readonly host = 'local';
  readonly leaseMs = null;
  readonly heartbeatMs = null;
  readonly paths: HostPaths;

  constructor(out: OwnDir, private readonly ledgerDir: OwnDir) {
    this.paths = { outDir: out.path, outDirId: out.id, ledgerDir: ledgerDir.path };
  }

  start(config: PoolConfig, listener: LinkListener): PoolLink {
    // The key on the command line lets a restarted coordinator tell this pool from a recycled pid.
    const link = spawnLink([process.execPath, POOL_MAIN, '--key', config.key], poolEnv(), listener);
    link.send({ kind: 'config', ...config });
    return link;
  }

  attach(key: string, listener: LinkListener): Promise<PoolLink | null> {
    return socketLink(this.ledgerDir.at(`${key}${SOCKET_SUFFIX}`), listener);
  }

  poolAlive(key: string, pid: number): boolean {
    if (!isAlive(pid)) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(key);
    } catch {
      return false;
    }
  }

  async ledgers(): Promise<string[]> {
    const names = await fs.promises.readdir(this.ledgerDir.at('.'));
    return names.filter((n) => n.endsWith(LEDGER_SUFFIX)).map((n) => n.slice(0, -LEDGER_SUFFIX.length)).filter((k) => POOL_KEY.test(k));
  }

  async readLedger(key: string): Promise<LedgerView | null> {
    let fd: number;
    try {
      fd = fs.openSync(this.ledgerDir.at(`${key}${LEDGER_SUFFIX}`), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    } catch {
      return null;
    }
    const reader = new LedgerReader();
    try {
      scanRecordFd(fd, (r) => reader.add(r));
    } finally {
      fs.closeSync(fd);
    }
    return reader.view;
  }

  async forget(key: string): Promise<void> {
    for (const suffix of [LEDGER_SUFFIX, SOCKET_SUFFIX]) {
      await fs.promises.rm(this.ledgerDir.at(`${key}${suffix}`), { force: true });
    }
  }

  async killGroups(pids: readonly number[]): Promise<void> {
    for (const pid of pids) {
      // Only a live group leader: the pid may have been reused since.
      if (!isAlive(pid) || procInfo(pid)?.pgrp !== pid) continue;
      for (const sig of ['SIGKILL', 'SIGCONT'] as const) {
        try {
          process.kill(-pid, sig);
        } catch {
          // The group is already gone.
        }
      }
    }
  }
}
