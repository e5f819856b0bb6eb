// One pool as the coordinator sees it: its link, the jobs it was given, and what it can
// still take. Commands go out as frames (never as signals to a process, which over ssh
// would reach only the ssh client); events come back to the owner.

import type { Placement } from '../core/allocations.js';
import type { Timer } from '../core/clock.js';
import type { JobSignal, PoolCommand, PoolEvent } from '../../protocol/pool-messages.js';
import type { StageEntry } from '../../protocol/stage.js';
import type { LinkListener, PoolLink } from './link.js';

export interface PoolOwner {
  onEvent(pool: Pool, event: PoolEvent): void;
  /** The link ended; `how`: "exited with code 0", "was killed by SIGKILL", … */
  onClose(pool: Pool, how: string): void;
  log(line: string): void;
}

export interface PoolSpec {
  id: number;
  key: string;
  host: string;
  capacity: number;
  /** What it was asked for, on a host whose pools are allocations (Slurm). */
  place?: Placement;
}

/** Where and with what a job runs (the `run` frame's options). */
export interface RunOptions {
  cwd?: string;
  envKey?: string;
  env?: Record<string, string>;
  setEnv?: Record<string, string>;
  orJobDir?: boolean;
  /** In its job directory, whatever `cwd` says (a batch job). */
  inJobDir?: boolean;
  /** Files on the pool's host copied into the job directory first (Launcher.put gives `src`). */
  stage?: readonly StageEntry[];
}

type SignalWaiter = { jobId: number; signal: JobSignal; done: (error: string | null) => void };

export class Pool {
  /** The pool process's pid on its host, once it said so. */
  pid: number;
  /** Jobs dispatched to this pool over its life. */
  assigned = 0;
  /** Job ids dispatched here that have not finished. */
  readonly jobs = new Set<number>();
  alive = true;
  /** Takes no more jobs (idle before its quota was used, or re-attached after a restart). */
  retired = false;
  /** Said bye: every job it took has ended. */
  done = false;
  /** Timer that retires the pool if it stays idle. */
  idleTimer: Timer | null = null;
  /** When a frame last came from it (the fleet's heartbeat). */
  lastHeard = 0;
  /** Its link was cut for silence. */
  cut = false;
  /** When it said it was ready (or, re-attached, gave its state): on Slurm, when its allocation started. */
  readyAt: number | null = null;
  private link: PoolLink | null = null;
  private readonly signalWaiters: SignalWaiter[] = [];
  /** Environments this pool already has (sent once, then named by key). */
  private readonly envKeys = new Set<string>();

  constructor(
    readonly spec: PoolSpec,
    private readonly owner: PoolOwner,
  ) {
    this.pid = -1;
  }

  heard(at: number): void {
    this.lastHeard = at;
  }

  get id(): number {
    return this.spec.id;
  }

  get key(): string {
    return this.spec.key;
  }

  get host(): string {
    return this.spec.host;
  }

  /** An allocation that has not started yet: it neither answers nor takes jobs. */
  get awaitingAllocation(): boolean {
    return this.spec.place !== undefined && this.readyAt === null;
  }

  /** The listener its link reports to. */
  listener(): LinkListener {
    return {
      event: (event) => this.event(event),
      closed: (how) => this.closed(how),
      log: (line) => this.owner.log(`pool ${this.id} (${this.host}, pid ${this.pid}): ${line}`),
    };
  }

  bind(link: PoolLink): void {
    this.link = link;
    if (this.pid < 0 && link.pid !== null) this.pid = link.pid;
  }

  get room(): number {
    return this.alive && !this.retired && !this.done ? this.spec.capacity - this.assigned : 0;
  }

  /** Tells the pool to take no more jobs; it says bye once its jobs have ended. */
  retire(): void {
    this.retired = true;
    this.send({ kind: 'retire' });
  }

  run(jobId: number, command: string, opts: RunOptions): void {
    const run: PoolCommand = { kind: 'run', jobId, command };
    if (opts.cwd !== undefined) run.cwd = opts.cwd;
    if (opts.setEnv !== undefined) run.setEnv = opts.setEnv;
    if (opts.orJobDir === true) run.orJobDir = true;
    if (opts.inJobDir === true) run.inJobDir = true;
    if (opts.stage !== undefined && opts.stage.length > 0) run.stage = [...opts.stage];
    if (opts.envKey !== undefined && opts.env !== undefined) {
      if (!this.envKeys.has(opts.envKey)) {
        this.envKeys.add(opts.envKey);
        this.send({ kind: 'env', key: opts.envKey, env: opts.env });
      }
      run.envKey = opts.envKey;
    }
    this.send(run);
  }

  /** Counts a job as this pool's (before its run frame goes out). */
  take(jobId: number): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.assigned += 1;
    this.jobs.add(jobId);
  }

  /** Takes back a job whose run frame never went out. */
  untake(jobId: number): void {
    if (!this.jobs.delete(jobId)) return;
    this.assigned -= 1;
  }

  signal(jobId: number, signal: JobSignal): Promise<string | null> {
    return new Promise((done) => {
      if (!this.alive) return done('the pool ended');
      this.signalWaiters.push({ jobId, signal, done });
      this.send({ kind: 'signal', jobId, signal });
    });
  }

  /** Shutdown: the pool terminates its jobs, reports and says bye. */
  terminate(): void {
    this.retired = true;
    this.send({ kind: 'terminate' });
  }

  /** Its ends are on the coordinator's disk: the pool may forget them and exit. */
  release(): void {
    this.send({ kind: 'release' });
  }

  /** Last resort: ends the local process behind the link. */
  kill(): void {
    this.link?.kill();
  }

  send(command: PoolCommand): void {
    if (this.alive) this.link?.send(command);
  }

  /** Writes the frames queued for it now (they go out by themselves at the end of this turn). */
  flush(): void {
    this.link?.flush?.();
  }

  private event(event: PoolEvent): void {
    if (event.kind === 'ready' || event.kind === 'state') this.pid = event.pid;
    if (event.kind === 'signalled') this.settleSignal(event.jobId, event.signal, event.error);
    if (event.kind === 'bye') this.done = true;
    this.owner.onEvent(this, event);
  }

  private closed(how: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.idleTimer?.cancel();
    for (const w of this.signalWaiters.splice(0)) w.done('the pool ended');
    this.owner.onClose(this, how);
  }

  private settleSignal(jobId: number, signal: JobSignal, error: string | null): void {
    const i = this.signalWaiters.findIndex((w) => w.jobId === jobId && w.signal === signal);
    if (i >= 0) this.signalWaiters.splice(i, 1)[0]?.done(error);
  }
}
