// One pool process as the coordinator sees it: spawn it, send it commands, turn its
// frames into typed events, and notice at once when it ends (whatever the cause).

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineDecoder, encode } from '../../protocol/codec.js';
import { HELD_CERTS, MAX_FRAME_BYTES } from '../../protocol/messages.js';
import { parsePoolEvent } from '../../protocol/parse.js';
import type { JobSignal, PoolCommand, PoolEvent } from '../../protocol/pool-messages.js';
import { log } from '../util/log.js';

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

export interface PoolConfig {
  capacity: number;
  outDir: string;
  user: string;
  graceMs: number;
}

export interface PoolListener {
  onEvent(pool: Pool, event: PoolEvent): void;
  onExit(pool: Pool, code: number | null, signal: string | null): void;
}

type SignalWaiter = { jobId: number; signal: JobSignal; done: (error: string | null) => void };

export class Pool {
  readonly pid: number;
  /** Jobs dispatched to this pool over its life. */
  assigned = 0;
  /** Job ids dispatched here that have not finished. */
  readonly jobs = new Set<number>();
  alive = true;
  /** Told to take no more jobs (idle before its quota was used). */
  retired = false;
  /** Timer that retires the pool if it stays idle. */
  idleTimer: NodeJS.Timeout | null = null;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly signalWaiters: SignalWaiter[] = [];

  constructor(
    readonly id: number,
    readonly config: PoolConfig,
    private readonly listener: PoolListener,
  ) {
    this.child = spawn(process.execPath, [POOL_MAIN], { stdio: ['pipe', 'pipe', 'pipe'], env: poolEnv() });
    // spawn of node itself failing is a broken installation; it surfaces as 'exit' below.
    this.pid = this.child.pid ?? -1;
    this.child.on('error', (err) => log(`pool ${id}: ${err.message}`));
    this.child.stdin.on('error', () => undefined); // EPIPE: the exit handler accounts for it.
    this.wireEvents();
    this.wireStderr();
    // 'close', not 'exit': every frame the pool wrote has been read by then.
    this.child.once('close', (code, signal) => {
      this.alive = false;
      if (this.idleTimer !== null) clearTimeout(this.idleTimer);
      for (const w of this.signalWaiters.splice(0)) w.done('the pool ended');
      this.listener.onExit(this, code, signal);
    });
    this.send({ kind: 'config', ...config });
  }

  get room(): number {
    return this.alive && !this.retired ? this.config.capacity - this.assigned : 0;
  }

  /** Tells the pool to take no more jobs; it exits once its jobs have ended. */
  retire(): void {
    this.retired = true;
    this.send({ kind: 'retire' });
  }

  /** Environments this pool already has (sent once, then named by key). */
  private readonly envKeys = new Set<string>();

  run(jobId: number, command: string, cwd?: string, envKey?: string, env?: Record<string, string>): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.assigned += 1;
    this.jobs.add(jobId);
    const run: PoolCommand = { kind: 'run', jobId, command };
    if (cwd !== undefined) run.cwd = cwd;
    if (envKey !== undefined && env !== undefined) {
      if (!this.envKeys.has(envKey)) {
        this.envKeys.add(envKey);
        this.send({ kind: 'env', key: envKey, env });
      }
      run.envKey = envKey;
    }
    this.send(run);
  }

  signal(jobId: number, signal: JobSignal): Promise<string | null> {
    return new Promise((done) => {
      if (!this.alive) return done('the pool ended');
      this.signalWaiters.push({ jobId, signal, done });
      this.send({ kind: 'signal', jobId, signal });
    });
  }

  /** SIGTERM: the pool terminates its jobs, reports and exits. */
  terminate(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }

  private send(command: PoolCommand): void {
    if (this.alive) this.child.stdin.write(encode(command));
  }

  private wireEvents(): void {
    const decoder = new LineDecoder(MAX_FRAME_BYTES);
    this.child.stdout.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const event = frame.ok ? parsePoolEvent(frame.value) : { invalid: frame.error };
        if ('invalid' in event) {
          log(`pool ${this.id} (pid ${this.pid}) sent a bad frame: ${event.invalid}`);
          continue;
        }
        if (event.kind === 'signalled') this.settleSignal(event.jobId, event.signal, event.error);
        this.listener.onEvent(this, event);
      }
    });
  }

  private settleSignal(jobId: number, signal: JobSignal, error: string | null): void {
    const i = this.signalWaiters.findIndex((w) => w.jobId === jobId && w.signal === signal);
    if (i >= 0) this.signalWaiters.splice(i, 1)[0]?.done(error);
  }

  private wireStderr(): void {
    let carry = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => {
      const lines = (carry + text).split('\n');
      carry = lines.pop() ?? '';
      for (const line of lines) if (line !== '') log(line);
    });
  }
}
