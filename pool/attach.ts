// Where a restarted coordinator finds an orphaned pool: a unix socket next to the
// pool's ledger (`<key>.sock`, in the owner-only ledger directory, so nobody else can
// connect). A connection is served only once the pool has seen its old coordinator
// go: until then every frame the old one sent may not have been read yet, and the new
// one must not hear a state that could still change.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import type net from 'node:net';
import { SOCKET_SUFFIX } from '../protocol/ledger.js';
import type { OwnDir } from '../protocol/own-dir.js';

export type OnAttach = (input: NodeJS.ReadableStream, output: NodeJS.WritableStream, close: () => void) => void;

export class AttachPoint {
  private readonly server: net.Server;
  private readonly path: string;
  /** A coordinator that connected before the old link was gone. */
  private waiting: net.Socket | null = null;
  private serving = false;

  constructor(dir: OwnDir, key: string, private readonly onAttach: OnAttach, log: (line: string) => void) {
    this.path = dir.at(`${key}${SOCKET_SUFFIX}`);
    // node:net only now: a pool that is never orphaned never loads it (pool/stdio.ts).
    const { createServer } = createRequire(import.meta.url)('node:net') as typeof import('node:net');
    this.server = createServer((socket) => this.connected(socket));
    this.server.on('error', (err) => log(`attach socket: ${err.message}`));
    this.server.listen(this.path);
  }

  /** The old link is gone: serve the next (or the waiting) coordinator. */
  ready(): void {
    this.serving = true;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting !== null && !waiting.destroyed) this.serve(waiting);
  }

  close(): void {
    this.server.close();
    try {
      fs.unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  private connected(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.serving) return this.serve(socket);
    this.waiting?.destroy();
    this.waiting = socket;
  }

  private serve(socket: net.Socket): void {
    this.serving = false;
    this.onAttach(socket, socket, () => socket.destroy());
  }
}
