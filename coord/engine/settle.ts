// What follows a job's end, in order: its saved files are archived (if it saves any);
// then, if it failed or was lost and has retries left, it is queued again (away from
// the hosts where it failed, where another fits); otherwise it has ended for good, and
// only then do waiters hear of it, its exit hooks run, the jobs after it start or end
// as dependency-failed, and its batch moves on (a build that failed everywhere cancels
// the batch; a batch whose jobs have all ended runs its notify and loses its build
// directories). Work is taken from a list, not by recursion, so a chain of 10,000
// dependents ends in one loop.

import { outcomeOf, type Outcome } from '../../protocol/messages.js';
import { depState } from '../core/holds.js';
import { awaitsArchive, isFinal, retriesLeft, type Job, type JobEvent } from '../core/state.js';
import type { Host } from '../hosts/host.js';
import type { Archiver } from './archiver.js';
import { archiveDir, batchArchiveDir, buildState, type Batch, type Batches } from './batches.js';
import type { Hooks } from './hooks.js';

export interface SettleHost {
  job(id: number): Job | undefined;
  hosts: ReadonlyMap<string, Host>;
  apply(job: Job, event: JobEvent): Promise<void>;
  enqueue(id: number): void;
  dequeue(id: number): void;
  schedule(): void;
  /** End waiters (wait, submit's answer) hear that it ended. */
  ended(id: number): void;
  now(): number;
  /** Every job of the batch has ended for good (after its notify is started). */
  batchEnded(batch: Batch): void;
}

export class Settler {
  /** JobID -> the jobs that run after it. */
  readonly dependents = new Map<number, number[]>();
  private readonly work: Job[] = [];
  private running = false;

  constructor(
    private readonly on: SettleHost,
    private readonly batches: Batches,
    private readonly archiver: Archiver,
    private readonly hooks: Hooks,
  ) {}

  /** A job created or replayed: its dependencies know of it. */
  link(job: Job): void {
    for (const id of job.after ?? []) {
      const list = this.dependents.get(id);
      if (list === undefined) this.dependents.set(id, [job.id]);
      else list.push(job.id);
    }
  }

  /** The job stepped into `finished` (or was found so at a restart). */
  finished(job: Job): void {
    this.work.push(job);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.work.shift(); next !== undefined; next = this.work.shift()) this.settle(next);
    } finally {
      this.running = false;
    }
  }

  private settle(job: Job): void {
    if (job.state.tag !== 'finished') return;
    if (awaitsArchive(job)) {
      this.archiver.archive(job);
      return;
    }
    if (retriesLeft(job)) {
      void this.on.apply(job, { type: 'retry', at: this.on.now() });
      this.on.enqueue(job.id);
      this.on.schedule();
      return;
    }
    if (!isFinal(job)) return;
    this.on.ended(job.id);
    if (job.onExit !== undefined) this.hooks.ended({ job: job.id }, job.onExit, job.state.result, this.hookEnv(job));
    this.release(job);
    const batch = job.batch === undefined ? undefined : this.batches.byKey.get(job.batch);
    if (batch !== undefined) this.batchMoved(batch, job);
    this.on.schedule();
  }

  /** Jobs waiting on `job`: free to start, or (it did not succeed) ended as dependency-failed. */
  private release(job: Job): void {
    for (const id of this.dependents.get(job.id) ?? []) {
      const dep = this.on.job(id);
      if (dep === undefined || dep.state.tag !== 'queued') continue;
      const d = depState(dep, this.on.job);
      if (d.kind === 'failed') this.failDependent(dep, d.jobId, d.outcome);
    }
  }

  /** A queued job whose dependency did not succeed: it never runs (its own dependents follow). */
  failDependent(job: Job, jobId: number, outcome: Outcome): void {
    this.on.dequeue(job.id);
    void this.on.apply(job, { type: 'dependency-failed', jobId, outcome, at: this.on.now() });
  }

  private batchMoved(batch: Batch, job: Job): void {
    if (job.kind === 'build') {
      const build = buildState(batch, this.on.job);
      if (build !== null && build.succeeded.length === 0 && build.pending.length === 0) this.cancelBatch(batch);
    }
    const all = [...batch.builds.values(), ...batch.jobs];
    if (!all.every((id) => { const j = this.on.job(id); return j === undefined || isFinal(j); })) return;
    this.batchEnded(batch);
  }

  /** Its build failed on every host it could run on: its jobs that wait are cancelled, saying so. */
  private cancelBatch(batch: Batch): void {
    const why = [...batch.builds].map(([host, id]) => `${host}: ${this.endText(this.on.job(id))}`).join('; ');
    const reason = `the batch's build failed on every host it could run on (${why})`;
    for (const id of batch.jobs) {
      const job = this.on.job(id);
      if (job === undefined || job.state.tag !== 'queued') continue;
      this.on.dequeue(id);
      void this.on.apply(job, { type: 'cancelled', reason, at: this.on.now() });
    }
  }

  private endText(job: Job | undefined): string {
    if (job === undefined || job.state.tag !== 'finished') return 'unknown';
    const r = job.state.result;
    return r.kind === 'exited' ? `exit code ${r.code}` : outcomeOf(r);
  }

  private batchEnded(batch: Batch): void {
    if (batch.ended === true) return;
    batch.ended = true;
    const counts = this.batchCounts(batch);
    const env: Record<string, string> = { JMS_BATCH: batch.rec.key, JMS_BATCH_JOBS: String(batch.jobs.length), JMS_ARCHIVE: batchArchiveDir(this.archiver.root, batch.rec.key) };
    for (const [outcome, n] of Object.entries(counts)) env[`JMS_BATCH_${outcome.toUpperCase().replaceAll('-', '_')}`] = String(n);
    if (batch.rec.notify !== null) this.hooks.ended({ batch: batch.rec.key }, [{ when: 'any', command: batch.rec.notify }], null, env);
    if (!batch.rec.keep) this.removeBuilds(batch);
    this.on.batchEnded(batch);
  }

  batchCounts(batch: Batch): Partial<Record<Outcome, number>> {
    const counts: Partial<Record<Outcome, number>> = {};
    for (const id of batch.jobs) {
      const s = this.on.job(id)?.state;
      if (s?.tag !== 'finished') continue;
      const o = outcomeOf(s.result);
      counts[o] = (counts[o] ?? 0) + 1;
    }
    return counts;
  }

  private removeBuilds(batch: Batch): void {
    for (const id of batch.builds.values()) {
      const s = this.on.job(id)?.state;
      if (s?.tag !== 'finished' || s.started === null) continue;
      const host = this.on.hosts.get(s.started.host ?? 'local');
      if (host !== undefined) void this.archiver.removeOn(host, [s.started.dir], s.started.poolKey);
    }
  }

  /** What an exit hook knows of the job that ended. */
  private hookEnv(job: Job): Record<string, string> {
    const s = job.state;
    if (s.tag !== 'finished') return {};
    const r = s.result;
    const env: Record<string, string> = {
      JMS_JOB_ID: String(job.id), JMS_OUTCOME: outcomeOf(r), JMS_COMMAND: job.command,
      JMS_EXIT_CODE: r.kind === 'exited' ? String(r.code) : r.kind === 'timed-out' && r.code !== null ? String(r.code) : '',
      JMS_SIGNAL: r.kind === 'signalled' ? r.signal : r.kind === 'timed-out' ? r.signal ?? '' : '',
      JMS_HOST: s.started === null ? '' : s.started.host ?? 'local', JMS_JOB_DIR: s.started?.dir ?? '',
      JMS_ATTEMPTS: String((job.attempts?.length ?? 0) + 1),
      JMS_REASON: 'reason' in r ? r.reason : '',
    };
    if (job.batch !== undefined) {
      env['JMS_BATCH'] = job.batch;
      env['JMS_JOB_NAME'] = job.name ?? '';
      if (job.save !== undefined) env['JMS_ARCHIVE'] = archiveDir(this.archiver.root, job);
    }
    return env;
  }
}
