// The workstation pause: pause-all holds every running job (SIGSTOP) and starts
// nothing, for everything or for one host (`--host`), until resume-all or until the
// time given, on the coordinator's own clock, with or without a console, and across a
// restart (journal records). resume-all continues only what a pause held: a job the
// user suspended stays suspended, and a host still under another pause stays held.

import { IllegalStateError } from '../../protocol/errors.js';
import type { JobSignal } from '../../protocol/pool-messages.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Job, JobEvent } from '../core/state.js';
import type { JournalRecord } from '../persist/records.js';
import { log } from '../util/log.js';

export interface PauseHost {
  /** Jobs started and not ended. */
  underWay(): Iterable<Job>;
  signalGroup(job: Job, signal: JobSignal): Promise<string | null>;
  apply(job: Job, event: JobEvent): void;
  record(rec: JournalRecord): void;
  schedule(): void;
}

/** null: every host. */
export type Scope = string | null;

function hostOf(job: Job): string {
  const s = job.state;
  return s.tag === 'running' || s.tag === 'suspended' || s.tag === 'starting' ? s.host ?? 'local' : 'local';
}

function describeScope(scope: Scope): string {
  return scope === null ? 'pause-all' : `pause-all --host ${scope}`;
}

export class Pauses {
  private readonly scopes = new Map<Scope, { until: number | null; timer: Timer | null }>();

  constructor(
    private readonly clock: Clock,
    private readonly host: PauseHost,
  ) {}

  /** A pause of everything is in force. */
  get all(): boolean {
    return this.scopes.has(null);
  }

  /** Nothing starts on `host` now. */
  holds(host: string): boolean {
    return this.scopes.has(null) || this.scopes.has(host);
  }

  /** Holds every running job of the scope (SIGSTOP); nothing starts there until it ends. */
  async pause(forSec: number | null, scope: Scope): Promise<{ jobs: number; until: number | null }> {
    const until = forSec === null ? null : this.clock.now() + forSec * 1000;
    this.hold(scope, until);
    this.host.record({ r: 'pause', on: true, until, at: this.clock.now(), ...(scope === null ? {} : { host: scope }) });
    const running = [...this.host.underWay()].filter((job) => job.state.tag === 'running' && (scope === null || hostOf(job) === scope));
    const held = await Promise.all(running.map((job) => this.holdJob(job)));
    return { jobs: held.filter((ok) => ok).length, until };
  }

  /** Puts a pause in force (also at a restart, from the journal), with its clock. */
  hold(scope: Scope, until: number | null): void {
    this.scopes.get(scope)?.timer?.cancel();
    const timer = until === null ? null : this.clock.after(until - this.clock.now(), () => {
      log(`${describeScope(scope)}: its time is up; resuming`);
      this.resume(scope).catch((err: unknown) => log(`${describeScope(scope)}: could not resume: ${err instanceof Error ? err.message : String(err)}`));
    });
    this.scopes.set(scope, { until, timer });
  }

  /** A job has started where a pause holds: it is held at once. */
  started(job: Job): void {
    if (this.holds(hostOf(job))) void this.holdJob(job);
  }

  private async holdJob(job: Job): Promise<boolean> {
    if (job.state.tag !== 'running') return false;
    const error = await this.host.signalGroup(job, 'SIGSTOP');
    if (error !== null) {
      log(`pause-all: could not hold JobID ${job.id}: ${error}`);
      return false;
    }
    if (job.state.tag !== 'running') return false;
    this.host.apply(job, { type: 'suspended', at: this.clock.now(), by: 'pause' });
    return true;
  }

  /** Ends a pause: continues the jobs it held (unless another pause still holds their host). */
  async resume(scope: Scope): Promise<number> {
    const p = this.scopes.get(scope);
    if (p === undefined) {
      const what = scope === null ? 'nothing is paused' : `${scope} is not paused by its own pause-all --host`;
      throw new IllegalStateError(`${what}; 'pause-all${scope === null ? '' : ` --host ${scope}`}' pauses its running jobs.`);
    }
    p.timer?.cancel();
    this.scopes.delete(scope);
    this.host.record({ r: 'pause', on: false, until: null, at: this.clock.now(), ...(scope === null ? {} : { host: scope }) });
    const held = [...this.host.underWay()].filter((job) => job.state.tag === 'suspended' && job.state.by === 'pause' && !this.holds(hostOf(job)));
    const resumed = await Promise.all(held.map(async (job) => {
      const error = await this.host.signalGroup(job, 'SIGCONT');
      if (error !== null) log(`resume-all: could not continue JobID ${job.id}: ${error}`);
      if (error !== null || job.state.tag !== 'suspended') return false;
      this.host.apply(job, { type: 'resumed', at: this.clock.now() });
      return true;
    }));
    this.host.schedule();
    return resumed.filter((ok) => ok).length;
  }

  /** When a pause holds a job: until when (null: until resume-all); null when none does. */
  pauseOf(job: Job): { until: number | null } | null {
    if (job.state.tag !== 'suspended' || job.state.by !== 'pause') return null;
    const p = this.scopes.get(null) ?? this.scopes.get(hostOf(job));
    return { until: p?.until ?? null };
  }

  /** The pause of a host (null: of everything), if there is one. */
  ofHost(host: Scope): { until: number | null } | null {
    const p = this.scopes.get(host);
    return p === undefined ? null : { until: p.until };
  }

  /** The pauses in force as journal records, for compaction. */
  records(): JournalRecord[] {
    return [...this.scopes].map(([scope, p]): JournalRecord => ({ r: 'pause', on: true, until: p.until, at: this.clock.now(), ...(scope === null ? {} : { host: scope }) }));
  }

  stop(): void {
    for (const p of this.scopes.values()) p.timer?.cancel();
  }
}
