// The coordinator's state and the I/O shell around the pure core: the job table, the
// hosts, and what happens on each pool event. Request handlers call in here; nothing in
// here knows about consoles. The queue and where its jobs go are the dispatcher's
// (engine/dispatcher.ts); each host's pools are its fleet's (pools/fleet.ts); what a
// crash or a lost link left behind is the recovery's (engine/recovery.ts). What follows
// a job's end (archive, retry, hooks, dependents, its batch) is the settler's
// (engine/settle.ts); batches are planned in engine/batches.ts.

import { join } from 'node:path';
import type { OnExit } from '../../protocol/batch.js';
import { BadRequestError, IllegalStateError, PoolError, ShuttingDownError, StorageError, UnknownJobError } from '../../protocol/errors.js';
import { envKey } from '../../protocol/env-key.js';
import { outcomeOf, type Origin, type Reply } from '../../protocol/messages.js';
import type { JobSignal, PoolEvent } from '../../protocol/pool-messages.js';
import type { HostSpec } from '../config/host-spec.js';
import type { Clock } from '../core/clock.js';
import { holdOf, type Hold } from '../core/holds.js';
import { fits } from '../core/scheduler.js';
import { advance, inProgress, isFinal, newJob, type Job, type JobEvent, type JobState } from '../core/state.js';
import { cannotSignal } from '../core/wording.js';
import { Host } from '../hosts/host.js';
import { noHostFits, placeRefusal, waitingFor } from '../hosts/wording.js';
import type { AppendMode, Journal } from '../persist/journal.js';
import { optionsOf, recordsFor, type JournalRecord } from '../persist/records.js';
import { Fleet, PoolIds } from '../pools/fleet.js';
import type { Launcher } from '../pools/launcher.js';
import type { Pool } from '../pools/pool.js';
import type { Replayed } from '../persist/recovery.js';
import { Archiver } from './archiver.js';
import { BatchIntake } from './batch-intake.js';
import { Batches } from './batches.js';
import { Hooks } from './hooks.js';
import { Settler } from './settle.js';
import { Ticker } from './ticker.js';
import { log } from '../util/log.js';
import { JobControl } from './control.js';
import { Dispatcher } from './dispatcher.js';
import { Interner } from './intern.js';
import { EndWaiters } from './job-timers.js';
import { Recovery } from './recovery.js';

export interface CoordConfig {
  outDir: string;
  jobsPool: number;
  maxPools: number;
  graceMs: number;
  /** How long a pool with quota left may sit idle before it is retired. */
  poolIdleMs: number;
  user: string;
  /** How long an exit hook may run before it is killed. */
  hookTimeoutSec?: number;
  /** How long a job's host may stay unreachable before archiving what it saved fails. */
  archivePatienceSec?: number;
}

/** What a submit carries besides its command. */
export interface SubmitOptions {
  cwd?: string;
  /** Of an environment already remembered (rememberEnv). */
  envKey?: string;
  timeoutSec?: number;
  origin?: Origin;
  /** Tags a host must have (`!tag`: must not have). */
  needs?: string[];
  setEnv?: Record<string, string>;
  /** JobIDs that must succeed first. */
  after?: number[];
  retries?: number;
  priority?: number;
  /** Held until then (already read with this clock). */
  beginAt?: number;
  onExit?: OnExit;
}

/** A time a job waits for, as `status` says it: `2026-12-01 22:00`. */
function whenText(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A host as main.ts sets it up: its entry, how it is reached, and its limits. */
export interface HostSetup {
  spec: HostSpec;
  launcher: Launcher;
  slots: number;
  maxPools: number;
}

export interface Summary {
  served: number;
  inProgress: number;
}

type StartOutcome = { pid: number } | { error: string } | { queued: number };

export class Coordinator {
  readonly jobs = new Map<number, Job>();
  readonly hosts = new Map<string, Host>();
  readonly ids = new PoolIds();
  readonly dispatcher: Dispatcher;
  /** A hosts file is in use: queued jobs say what they wait for. */
  readonly multiHost: boolean;
  nextJobId = 1;
  private readonly startWaiters = new Map<number, (outcome: StartOutcome) => void>();
  private stopping: Promise<Summary> | null = null;
  /** Environments of submitted jobs, by content hash: jobs from one console share one. */
  private readonly envs = new Map<string, Record<string, string>>();
  private readonly interner = new Interner();
  private readonly ends = new EndWaiters();
  /** kill, timeouts and pause-all. */
  private readonly control: JobControl;
  readonly recovery: Recovery;
  /** shutdown --drain under way: resolves once no job is under way. */
  private drained: (() => void) | null = null;
  private draining: Promise<Summary> | null = null;
  readonly batches = new Batches();
  readonly settler: Settler;
  readonly archiver: Archiver;
  readonly hooks: Hooks;
  private readonly ticker: Ticker;
  readonly intake: BatchIntake;
  /** The soonest time a held job waits for, as the last decision saw it. */
  private heldUntil: number | null = null;

  constructor(
    readonly config: CoordConfig,
    readonly clock: Clock,
    setups: readonly HostSetup[],
    private readonly journal: Journal | null = null,
  ) {
    this.multiHost = setups.length > 1;
    for (const setup of setups) {
      const fleet = new Fleet(setup.launcher, config, clock, this.ids, {
        event: (pool, event) => this.onEvent(pool, event),
        gone: (pool, how) => this.onGone(pool, how),
        durable: () => this.durable(),
        log,
      });
      const host = new Host(setup.spec, setup.launcher, fleet, setup.slots, setup.maxPools, clock, {
        changed: () => this.schedule(),
        log,
      });
      this.hosts.set(host.name, host);
      setup.launcher.allocator?.onAllocated((key, id) => this.allocated(host, key, id));
    }
    this.dispatcher = new Dispatcher(this.hosts, {
      job: (id) => this.job(id),
      apply: (job, event, mode) => this.apply(job, event, mode),
      envOf: (job) => this.envOf(job),
      frozen: () => this.stopping !== null || this.control.pauses.all || this.drained !== null || (this.journal?.degraded ?? null) !== null,
      hostPaused: (host) => this.control.pauses.holds(host),
      poolStarted: (pool) => void this.record({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'started', at: this.clock.now(), key: pool.key, host: pool.host }),
      requeued: (job) => this.settleStart(job.id, { queued: this.queuePosition(job.id) }),
      pendingPools: (host) => this.recovery.pendingPools(host),
      hold: (job) => this.holdOf(job),
      dependencyFailed: (job, hold) => this.settler.failDependent(job, hold.jobId, hold.outcome),
      heldUntil: (at) => (this.heldUntil = at),
      batchRun: (job, pool) => this.intake.run(job, pool),
      startFailed: (job, pool, reason) => this.startFailed(job, pool, reason),
      now: () => this.clock.now(),
      jobsPool: config.jobsPool,
      graceMs: config.graceMs,
    });
    this.control = new JobControl(clock, {
      graceMs: () => this.config.graceMs,
      underWay: () => this.underWay(),
      signalGroup: (job, signal) => this.signalGroup(job, signal),
      apply: (job, event) => void this.apply(job, event),
      record: (rec) => void this.record(rec),
      schedule: () => this.schedule(),
    });
    this.recovery = new Recovery(this);
    this.archiver = new Archiver(join(config.outDir, 'archive'), {
      hosts: this.hosts, batches: this.batches, apply: (job, event) => this.apply(job, event), now: () => this.clock.now(),
      patienceMs: (config.archivePatienceSec ?? 600) * 1000,
    });
    this.hooks = new Hooks(clock, { record: (rec) => this.record(rec), logDir: join(config.outDir, '.jms', 'hooks'), timeoutMs: (config.hookTimeoutSec ?? 600) * 1000 });
    this.settler = new Settler({
      job: (id) => this.jobs.get(id), hosts: this.hosts, apply: (job, event) => this.apply(job, event),
      enqueue: (id) => this.enqueue(id), dequeue: (id) => this.dispatcher.remove(id), schedule: () => this.schedule(),
      ended: (id) => this.ends.ended(id), now: () => this.clock.now(), batchEnded: (batch) => this.intake.ended(batch),
    }, this.batches, this.archiver, this.hooks);
    this.intake = new BatchIntake({
      jobs: this.jobs, hosts: this.hosts, batches: this.batches, settler: this.settler, clock, user: config.user, outDir: config.outDir,
      nextId: () => this.nextJobId,
      takeIds: (n) => void (this.nextJobId += n),
      accepting: () => {
        if (this.stopping !== null || this.drained !== null) throw new ShuttingDownError();
      },
      refuseChanges: (what) => this.refuseChanges(what), record: (rec, mode) => this.record(rec, mode), command: (text) => this.interner.str(text),
      enqueue: (id) => this.enqueue(id), schedule: () => this.schedule(), kill: (id) => this.kill(id),
      windowsChanged: () => this.ticker.windowsChanged(), forgetStaged: (area) => this.dispatcher.forgetStaged(area),
    });
    this.ticker = new Ticker(clock, {
      hosts: this.hosts, batches: this.batches, underWay: () => this.underWay(), signalGroup: (job, signal) => this.signalGroup(job, signal),
      apply: (job, event) => this.apply(job, event), schedule: () => this.schedule(), stopped: () => this.stopping !== null,
    });
    if (journal !== null) journal.onRecovered = () => {
      log('the journal can be written again; submits are accepted');
      this.schedule();
    };
  }

  /** Resolves once every change so far is on disk: answers are sent after it. */
  durable(): Promise<void> {
    return this.journal?.barrier() ?? Promise.resolve();
  }

  /** Why nothing can be changed now (the journal cannot be written), or null. */
  private refuseChanges(what: string): void {
    const why = this.journal?.degraded ?? null;
    if (why !== null) throw new StorageError(`${what}: ${why}; nothing was changed; free space under ${this.config.outDir} (reads still work).`);
  }

  job(jobId: number): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new UnknownJobError(jobId);
    return job;
  }

  queuePosition(jobId: number): number {
    return this.dispatcher.position(jobId);
  }

  /** The coordinator's own machine. */
  get local(): Host {
    const host = this.hosts.get('local');
    if (host === undefined) throw new Error('no local host');
    return host;
  }

  /** Readies every host (ssh hosts: checked and given the pool program, in the background). */
  connectHosts(): void {
    for (const host of this.hosts.values()) host.connect();
  }

  /** A pool's allocation (its Slurm job) got its id: on record with the pool. */
  private allocated(host: Host, key: string, id: string): void {
    const pool = [...host.fleet.pools.values()].find((p) => p.key === key);
    if (pool === undefined) return;
    log(`pool ${pool.id} on ${host.name} is Slurm job ${id}`);
    void this.record({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'started', at: this.clock.now(), key, host: host.name, slurm: id });
  }

  /** What holds a queued job besides room (core/holds.ts). */
  holdOf(job: Job): Hold {
    return holdOf(job, {
      now: this.clock.now(), job: (id) => this.jobs.get(id), batchWindows: (j) => this.batches.windowsOf(j),
      build: (j) => this.batches.buildOf(j, (id) => this.jobs.get(id)),
    }, whenText);
  }

  /** What a queued job waits for (its dependencies, begin time, batch; with a hosts file, a host), or null. */
  waitingOf(job: Job): string | null {
    if (job.state.tag !== 'queued') return null;
    const hold = this.holdOf(job);
    if (hold.kind === 'held') return hold.why;
    if (hold.kind === 'dependency-failed') return `JobID ${hold.jobId} ${hold.outcome.replace('-', ' ')}: it will not run`;
    if (!this.multiHost) return null;
    const held = this.dispatcher.waits.get(job.id);
    const host = held === undefined ? undefined : this.hosts.get(held.host);
    const pool = held === undefined ? undefined : host?.fleet.pools.get(held.pool);
    const allocation = pool === undefined ? null : host?.launcher.allocator?.waiting(pool.key) ?? null;
    if (allocation !== null) return allocation;
    const fitting = this.dispatcher.blocked.get(job.id);
    return fitting === undefined ? null : waitingFor(fitting.map((name) => this.hosts.get(name)).filter((h): h is Host => h !== undefined), this.clock.now());
  }

  async submit(id: number, command: string, options: SubmitOptions = {}): Promise<Reply> {
    if (this.stopping !== null) throw new ShuttingDownError();
    if (this.drained !== null) throw new ShuttingDownError('the coordinator is draining for shutdown (it lets running jobs finish and takes no new ones); submit again once a coordinator runs again.');
    this.refuseChanges('the job was not accepted');
    const job = newJob(this.nextJobId++, this.interner.str(command), this.clock.now(), {
      ...(options.cwd === undefined ? {} : { cwd: this.interner.str(options.cwd) }),
      ...(options.envKey === undefined ? {} : { envId: options.envKey }),
      ...(options.origin === undefined ? {} : { origin: this.interner.origin(options.origin) }),
    });
    if (options.timeoutSec !== undefined) job.timeoutSec = options.timeoutSec;
    if (options.needs !== undefined && options.needs.length > 0) {
      const hosts = [...this.hosts.values()];
      if (!hosts.some((h) => fits(options.needs ?? [], h.tags))) throw new BadRequestError(noHostFits(options.needs, hosts));
      job.needs = options.needs;
    }
    const never = placeRefusal(options, [...this.hosts.values()], this.config.graceMs);
    if (never !== null) throw new BadRequestError(never);
    if (options.setEnv !== undefined) job.setEnv = options.setEnv;
    this.extras(job, options);
    // Recorded before it is queued: a job that runs is always a job on record.
    try {
      await this.record({ r: 'new', id: job.id, cmd: command, at: job.submittedAt, ...optionsOf(job) }, 'rollback');
    } catch (err) {
      // Not on disk, so it does not exist: no JobID is named for it.
      throw new StorageError(`the job was not accepted: ${describe(err)}; free space under ${this.config.outDir} and submit again.`);
    }
    this.jobs.set(job.id, job);
    this.settler.link(job);
    if (this.stopping !== null) {
      void this.apply(job, { type: 'cancelled', reason: 'the coordinator shut down before it started', at: this.clock.now() });
      throw new ShuttingDownError();
    }
    this.enqueue(job.id);
    this.schedule();
    const outcome = job.state.tag === 'queued' ? { queued: this.queuePosition(job.id) } : await this.startOf(job.id);
    if ('error' in outcome) throw new PoolError(`could not start JobID ${job.id}: ${outcome.error}; 'info ${job.id}' shows the job.`);
    if ('queued' in outcome) return { kind: 'queued', id, jobId: job.id, position: outcome.queued };
    return { kind: 'submitted', id, jobId: job.id, pid: outcome.pid };
  }

  /** --after, --retries, --priority, --begin and --on-exit of a submit, checked. */
  private extras(job: Job, options: SubmitOptions): void {
    if (options.after !== undefined && options.after.length > 0) {
      const after = [...new Set(options.after)];
      for (const id of after) this.checkDependency(id);
      job.after = after;
    }
    if (options.retries !== undefined && options.retries > 0) job.retries = options.retries;
    if (options.priority !== undefined && options.priority !== 0) job.priority = options.priority;
    if (options.beginAt !== undefined && options.beginAt > job.submittedAt) job.beginAt = options.beginAt;
    if (options.onExit !== undefined && options.onExit.length > 0) job.onExit = options.onExit;
  }

  /** A job to run after must exist, and must not have ended otherwise than in success. */
  private checkDependency(id: number): void {
    const dep = this.jobs.get(id);
    if (dep === undefined) throw new BadRequestError(`--after names JobID ${id}, which does not exist; 'status-all' lists the jobs.`);
    if (dep.state.tag === 'finished' && isFinal(dep) && outcomeOf(dep.state.result) !== 'succeeded') {
      const how = outcomeOf(dep.state.result).replace('-', ' ');
      throw new BadRequestError(`--after names JobID ${id}, which ${how}: a job after it would never run; 'info ${id}' says how it ended.`);
    }
  }

  private startOf(jobId: number): Promise<StartOutcome> {
    return new Promise((resolve) => this.startWaiters.set(jobId, resolve));
  }

  private settleStart(jobId: number, outcome: StartOutcome): void {
    this.startWaiters.get(jobId)?.(outcome);
    this.startWaiters.delete(jobId);
  }

  enqueue(jobId: number): void {
    this.dispatcher.enqueue(jobId);
  }

  /** A job sent to a pool that could not be started there before its run frame (its files). */
  private startFailed(job: Job, pool: Pool, reason: string): void {
    pool.untake(job.id);
    void this.apply(job, { type: 'start-failed', reason, at: this.clock.now() });
    this.settleStart(job.id, { error: reason });
    if (pool.jobs.size === 0) this.hosts.get(pool.host)?.fleet.retireWhenIdle(pool);
  }

  /** Batches, hooks and what follows jobs' ends, as the journal left them (at a restart, before anything starts). */
  restoreBatches(replayed: Replayed): void {
    for (const rec of replayed.batches.values()) this.batches.add(rec);
    this.hooks.restore(replayed.hooks);
    for (const job of replayed.jobs.values()) {
      this.batches.attach(job);
      this.settler.link(job);
    }
  }

  /** After a restart: finished jobs are settled again (archive, retry, hooks not run yet), windows enforced. */
  settleRestored(): void {
    for (const job of this.jobs.values()) if (job.state.tag === 'finished') this.settler.finished(job);
    this.ticker.enforce();
  }

  /** The pool that runs (or ran) a started job, if it is still there. */
  private poolOf(s: { poolId: number; host?: string }): Pool | undefined {
    return this.hosts.get(s.host ?? 'local')?.fleet.pools.get(s.poolId);
  }

  /** The environment a job was submitted with, if it was. */
  envOf(job: Job): Record<string, string> | undefined {
    return job.envId === undefined ? undefined : this.envs.get(job.envId);
  }

  /** Keeps one copy of each distinct environment (the journal gets it once); returns its key. */
  rememberEnv(env: Record<string, string>): string {
    const key = envKey(env);
    if (!this.envs.has(key)) {
      this.envs.set(key, env);
      void this.record({ r: 'env', key, env });
    }
    return key;
  }

  hasEnv(key: string): boolean {
    return this.envs.has(key);
  }

  restoreEnv(key: string, env: Record<string, string>): void {
    this.envs.set(key, env);
  }

  /** Sends a signal to a started job's process group, through the pool that runs it. */
  private async signalGroup(job: Job, signal: JobSignal): Promise<string | null> {
    const s = job.state;
    if (s.tag !== 'running' && s.tag !== 'suspended') return 'it is not running';
    const pool = this.poolOf(s);
    if (pool === undefined || !pool.jobs.has(job.id)) return `its pool on ${s.host ?? 'local'} is not reachable now`;
    return pool.signal(job.id, signal);
  }

  /** Suspends (SIGSTOP) or resumes (SIGCONT) a job's whole process group. */
  async signalJob(jobId: number, action: 'suspend' | 'resume'): Promise<void> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job = this.job(jobId);
    const s = job.state;
    const want = action === 'suspend' ? 'running' : 'suspended';
    if (s.tag !== want) throw new IllegalStateError(cannotSignal(jobId, action, s.tag));
    this.refuseChanges(`JobID ${jobId} was not ${action === 'suspend' ? 'suspended' : 'resumed'}`);
    const error = await this.signalGroup(job, action === 'suspend' ? 'SIGSTOP' : 'SIGCONT');
    if (job.state.tag === 'finished') throw new IllegalStateError(cannotSignal(jobId, action, 'finished'));
    if (error !== null) throw new PoolError(`could not ${action} JobID ${jobId}: ${error}; 'status ${jobId}' shows its state.`);
    const at = this.clock.now();
    const event: JobEvent = action === 'suspend' ? { type: 'suspended', at } : { type: 'resumed', at };
    // A concurrent request may have got there first; the signal was sent all the same.
    if (job.state.tag === want) void this.apply(job, event);
  }

  /**
   * kill: a queued job leaves the queue; a started one gets SIGTERM (and SIGCONT, so a
   * suspended one can die), then SIGKILL after the grace. Says which it did.
   */
  async kill(jobId: number): Promise<'dequeued' | 'signalled'> {
    if (this.stopping !== null) throw new ShuttingDownError();
    const job = this.job(jobId);
    if (job.state.tag !== 'finished') this.refuseChanges(`JobID ${jobId} was not killed`);
    switch (job.state.tag) {
      case 'finished':
        throw new IllegalStateError(`cannot kill JobID ${jobId}: it has already finished; 'info ${jobId}' says how it ended.`);
      case 'queued': {
        this.dispatcher.remove(jobId);
        void this.apply(job, { type: 'cancelled', reason: 'killed before it started (removed from the queue)', at: this.clock.now() });
        return 'dequeued';
      }
      case 'starting':
        this.control.killWhenStarted(jobId);
        return 'signalled';
      case 'running':
      case 'suspended': {
        const error = await this.control.terminate(job);
        if (error !== null && !ended(job)) throw new PoolError(`could not kill JobID ${jobId}: ${error}; 'status ${jobId}' shows its state.`);
        return 'signalled';
      }
    }
  }

  async pauseAll(forSec: number | null, host: string | null = null): Promise<{ jobs: number; until: number | null }> {
    if (this.stopping !== null) throw new ShuttingDownError();
    if (host !== null) this.hostNamed(host);
    this.refuseChanges('Nothing was paused');
    return this.control.pauses.pause(forSec, host);
  }

  /** The pause that holds a host, if any (its own, or pause-all of everything). */
  hostPause(name: string): { until: number | null } | null {
    return this.control.pauses.ofHost(name) ?? this.control.pauses.ofHost(null);
  }

  /** host-off: no new jobs there (running ones finish); host-on: back in use. Kept in the journal. */
  switchHost(name: string, off: boolean): Host {
    const host = this.hostNamed(name);
    this.refuseChanges(`${name} was not switched ${off ? 'off' : 'on'}`);
    host.switchedOff = off;
    void this.record({ r: 'host', name, off, at: this.clock.now() });
    if (off) for (const pool of host.fleet.pools.values()) if (pool.jobs.size === 0) pool.retire();
    if (off && host.fleet.current !== null) host.fleet.current.retire();
    this.schedule();
    return host;
  }

  /** host-off as the journal left it (at a restart). */
  restoreHostsOff(names: ReadonlySet<string>): void {
    for (const name of names) {
      const host = this.hosts.get(name);
      if (host !== undefined) host.switchedOff = true;
    }
  }

  /** A host of the hosts file, or a clear refusal naming them. */
  hostNamed(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new BadRequestError(`There is no host '${name}'; the hosts are ${[...this.hosts.keys()].join(', ')} ('show-hosts' lists them).`);
    return host;
  }

  async resumeAll(host: string | null = null): Promise<number> {
    if (this.stopping !== null) throw new ShuttingDownError();
    if (host !== null) this.hostNamed(host);
    this.refuseChanges('Nothing was resumed');
    return this.control.pauses.resume(host);
  }

  pauseOf(job: Job): { until: number | null } | null {
    return this.control.pauses.pauseOf(job);
  }

  /** Puts the journaled pauses back in force (at a restart). */
  restorePauses(pauses: ReadonlyMap<string | null, number | null>): void {
    for (const [scope, until] of pauses) this.control.pauses.hold(scope, until);
  }

  /** Every live pool, on every host. */
  *pools(): Generator<Pool> {
    for (const host of this.hosts.values()) yield* host.fleet.pools.values();
  }

  /** Jobs started and not ended: those of the live pools. */
  private *underWay(): Generator<Job> {
    for (const pool of this.pools()) for (const id of pool.jobs) yield this.job(id);
  }

  private underWayCount(): number {
    let n = 0;
    for (const pool of this.pools()) n += pool.jobs.size;
    return n + this.recovery.pendingJobs();
  }

  /** The queue, in the order its jobs will start. */
  queued(): Job[] {
    return this.dispatcher.queue.map((id) => this.job(id));
  }

  /** Settles when the job ends. */
  endOf(jobId: number, signal?: AbortSignal): Promise<void> {
    return this.ends.allEnded([jobId], signal);
  }

  /** Resolves once each of the jobs has ended; `all`: every job not ended now. An abort forgets the waiter. */
  async waitFor(ids: number[] | 'all', signal?: AbortSignal): Promise<Job[]> {
    const jobs = ids === 'all' ? [...this.jobs.values()].filter((j) => inProgress(j.state)) : ids.map((id) => this.job(id));
    await this.ends.allEnded(jobs.filter((j) => inProgress(j.state)).map((j) => j.id), signal);
    return jobs;
  }

  /**
   * shutdown --drain: takes no new jobs and starts no queued ones; once every running
   * or suspended job has ended, shuts down as usual. The summary counts from now.
   */
  drain(): Promise<Summary> {
    if (this.stopping !== null) return this.stopping;
    this.draining ??= this.drainThenStop();
    return this.draining;
  }

  private async drainThenStop(): Promise<Summary> {
    const summary = this.summaryNow();
    log(`draining: ${this.underWayCount()} job(s) under way; no job starts from now`);
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    });
    this.stopping ??= this.stop(summary);
    return this.stopping;
  }

  private checkDrained(): void {
    if (this.drained !== null && this.underWayCount() === 0) this.drained();
  }

  private summaryNow(): Summary {
    return { served: this.jobs.size, inProgress: [...this.jobs.values()].filter((j) => inProgress(j.state)).length };
  }

  /** Shutdown as specified: every pool terminates its jobs; wait until all are gone. */
  shutdown(): Promise<Summary> {
    this.stopping ??= this.stop(this.summaryNow());
    return this.stopping;
  }

  private async stop(summary: Summary): Promise<Summary> {
    this.control.stop();
    this.ticker.stop();
    const now = this.clock.now();
    for (const jobId of this.dispatcher.clear()) {
      void this.apply(this.job(jobId), { type: 'cancelled', reason: 'the coordinator shut down before it started', at: now });
    }
    for (const host of this.hosts.values()) host.stop();
    await Promise.all([...this.hosts.values()].map((h) => h.fleet.terminateAll()));
    await Promise.all([...this.hosts.values()].map((h) => h.launcher.close()));
    await this.journal?.drain().catch(() => undefined);
    log(`shut down: served ${summary.served} jobs, ${summary.inProgress} were still in progress`);
    return summary;
  }

  /** Lets queued jobs start where there is room, unless something holds them. */
  schedule(): void {
    this.archiver.retry((id) => this.jobs.get(id));
    this.dispatcher.schedule();
    if (this.stopping === null) this.ticker.arm(this.heldUntil);
  }

  private onEvent(pool: Pool, event: PoolEvent): void {
    switch (event.kind) {
      case 'ready':
        // An allocation (a Slurm job) has started: the jobs held for it go to it now.
        if (pool.spec.place !== undefined) break;
        return;
      case 'signalled':
      case 'pong':
        return;
      case 'bye':
        log(`pool ${pool.id} (pid ${pool.pid}) done after ${event.served} job(s)`);
        return;
      case 'state':
        this.recovery.stateOf(pool, event.jobs);
        return;
      case 'started': {
        const known = this.jobs.get(event.jobId)?.state;
        const poolPid = pool.pid > 0 && known?.tag === 'starting' && known.poolPid !== pool.pid ? { poolPid: pool.pid } : {};
        void this.applyById(event.jobId, { type: 'started', pid: event.pid, dir: event.dir, at: event.at, ...(event.cwd === undefined ? {} : { ranIn: event.cwd }), ...poolPid });
        this.settleStart(event.jobId, { pid: event.pid });
        const job = this.jobs.get(event.jobId);
        if (job !== undefined) this.control.started(job);
        if (job !== undefined) this.ticker.started(job);
        break;
      }
      case 'start-failed':
        void this.applyById(event.jobId, { type: 'start-failed', reason: event.reason, at: this.clock.now() });
        pool.jobs.delete(event.jobId);
        this.settleStart(event.jobId, { error: event.reason });
        break;
      case 'exited':
        void this.applyById(event.jobId, { type: 'exited', code: event.code, signal: event.signal, at: event.at });
        pool.jobs.delete(event.jobId);
        break;
    }
    if (event.kind === 'ready') this.schedule();
    if (pool.jobs.size === 0) this.hosts.get(pool.host)?.fleet.retireWhenIdle(pool);
  }

  private onGone(pool: Pool, how: string): void {
    void this.record({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'ended', at: this.clock.now(), how, key: pool.key, host: pool.host });
    // An allocation that ended before its pool could start (srun refused, the job was
    // cancelled): the host cannot take pools now; it is tried again in a few seconds.
    if (pool.awaitingAllocation && !pool.retired && this.stopping === null) this.hosts.get(pool.host)?.down(`a pool could not start there: its srun ${how}`);
    if (pool.jobs.size > 0) log(`pool ${pool.id} (pid ${pool.pid}) ${how} with ${pool.jobs.size} job(s) unfinished`);
    this.recovery.poolGone(pool, how);
    this.schedule();
  }

  /** A job a re-attached pool still runs: brought up to date and watched again. */
  adopt(job: Job, events: readonly JobEvent[]): void {
    for (const event of events) void this.apply(job, event);
    if (job.state.tag === 'running') this.control.armTimeout(job);
  }

  /** A job its pool left: lost (waiters hear why), or queued again if it never started. */
  settleLeft(job: Job, events: readonly JobEvent[]): void {
    for (const event of events) void this.apply(job, event);
    if (job.state.tag === 'queued') this.enqueue(job.id);
    if (job.state.tag === 'finished' && job.state.result.kind === 'lost') this.settleStart(job.id, { error: job.state.result.reason });
  }

  private applyById(jobId: number, event: JobEvent): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job !== undefined) return this.apply(job, event);
    log(`a pool reported '${event.type}' for unknown JobID ${jobId}`);
    return Promise.resolve();
  }

  /** Steps a job and records the event; resolves once the record is on disk. */
  apply(job: Job, event: JobEvent, mode: AppendMode = 'hold'): Promise<void> {
    const illegal = advance(job, event);
    if (illegal !== null) {
      log(`JobID ${job.id}: ${illegal}`);
      return Promise.resolve();
    }
    const written = this.record({ r: 'ev', id: job.id, ev: event }, mode);
    this.afterStep(job, job.state);
    return written;
  }

  /** Timers and waiters that follow a job's state. */
  private afterStep(job: Job, s: JobState): void {
    this.control.stepped(job, s);
    if (s.tag !== 'finished') return;
    // Archive, retry, then (once it has ended for good) waiters, hooks, dependents, its batch.
    this.settler.finished(job);
    // Pool sets drop the job after this step; check once they have.
    if (this.drained !== null) queueMicrotask(() => this.checkDrained());
  }

  record(rec: JournalRecord, mode: AppendMode = 'hold'): Promise<void> {
    if (this.journal === null) return Promise.resolve();
    const written = this.journal.append(rec, mode);
    if (mode === 'hold') written.catch((err: unknown) => log(`cannot write the journal: ${describe(err)}`));
    this.journal.compactIfGrown(() => this.snapshot(), log);
    return written;
  }

  /** The shortest records that rebuild the state: environments, live pools, the pause, then the jobs. */
  private snapshot(): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const [key, env] of this.envs) out.push({ r: 'env', key, env });
    for (const pool of this.pools()) {
      const slurm = this.hosts.get(pool.host)?.launcher.allocator?.allocation(pool.key)?.id ?? null;
      out.push({ r: 'pool', pid: Math.max(pool.pid, 0), state: 'started', at: this.clock.now(), key: pool.key, host: pool.host, ...(slurm === null ? {} : { slurm }) });
    }
    out.push(...this.control.pauses.records());
    for (const batch of this.batches.byKey.values()) out.push({ r: 'batch', ...batch.rec });
    for (const host of this.hosts.values()) if (host.switchedOff) out.push({ r: 'host', name: host.name, off: true, at: this.clock.now() });
    for (const job of this.jobs.values()) out.push(...recordsFor(job));
    out.push(...this.hooks.records());
    return out;
  }
}

/** Read through a call, so the compiler does not keep a narrowing made before an await. */
function ended(job: Job): boolean {
  return job.state.tag === 'finished';
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
