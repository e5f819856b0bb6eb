// Batches coming in and going: submit-batch's parts gathered per console and token, the
// whole batch checked, planned (engine/batches.ts) and put on record as one record before
// its jobs are queued; kill-batch; what a batch job's run gets (its variables, its
// staging area); and, when a batch has ended, its staged files removed from its hosts.

import { parseBatchSpec, type BatchSpec } from '../../protocol/batch.js';
import { BadRequestError, StorageError } from '../../protocol/errors.js';
import type { Reply } from '../../protocol/messages.js';
import type { Clock } from '../core/clock.js';
import { newJob, type Job } from '../core/state.js';
import type { Host } from '../hosts/host.js';
import type { AppendMode } from '../persist/journal.js';
import type { JournalRecord } from '../persist/records.js';
import type { Pool } from '../pools/pool.js';
import { log } from '../util/log.js';
import { batchKey, planBatch, type Batch, type Batches } from './batches.js';
import type { Settler } from './settle.js';

/** What the intake needs of the coordinator. */
export interface IntakeHost {
  readonly jobs: Map<number, Job>;
  readonly hosts: ReadonlyMap<string, Host>;
  readonly batches: Batches;
  readonly settler: Settler;
  readonly clock: Clock;
  readonly user: string;
  readonly outDir: string;
  /** The JobID the next job gets; `takeIds`: that many are taken. */
  nextId(): number;
  takeIds(n: number): void;
  /** Throws ShuttingDownError while the coordinator stops or drains. */
  accepting(): void;
  /** Throws StorageError while the journal cannot be written. */
  refuseChanges(what: string): void;
  record(rec: JournalRecord, mode: AppendMode): Promise<void>;
  /** The command text, interned. */
  command(text: string): string;
  enqueue(id: number): void;
  schedule(): void;
  kill(id: number): Promise<'dequeued' | 'signalled'>;
  /** A batch with run windows came: the ticker looks for the next change again. */
  windowsChanged(): void;
  /** What was staged for a batch is gone: staged again if asked for. */
  forgetStaged(area: string): void;
}

/** What a batch brings besides its spec: where it came from, and with what environment. */
export interface BatchOrigin {
  envKey?: string;
  origin?: Job['origin'];
}

export class BatchIntake {
  /** Parts of batches on their way, by console and token. */
  private readonly parts = new Map<string, { parts: string[]; got: number }>();

  constructor(private readonly on: IntakeHost) {}

  /**
   * A part of a batch (submit-batch): kept until the last of its token has come, then the
   * whole batch is checked, planned and recorded as one record, its jobs queued. Returns
   * null for a part before the last.
   */
  async part(consolePid: number, token: string, part: number, parts: number, data: string, base: BatchOrigin): Promise<Reply | null> {
    this.on.accepting();
    const key = `${consolePid}:${token}`;
    const got = this.parts.get(key) ?? { parts: new Array<string>(parts).fill(''), got: 0 };
    if (got.parts.length !== parts || part >= parts) {
      this.parts.delete(key);
      throw new BadRequestError(`part ${part} of batch ${token} does not fit its ${got.parts.length} parts; send the batch again.`);
    }
    got.parts[part] = data;
    got.got += 1;
    this.parts.set(key, got);
    if (got.got < parts) return null;
    this.parts.delete(key);
    let value: unknown;
    try {
      value = JSON.parse(got.parts.join('')) as unknown;
    } catch {
      throw new BadRequestError('the batch is not valid JSON; send it again with submit-batch.');
    }
    const spec = parseBatchSpec(value);
    if ('invalid' in spec) throw new BadRequestError(`the batch is not valid: ${spec.invalid}`);
    if (spec.namespace === '') spec.namespace = this.on.user;
    return this.add(spec, base);
  }

  private async add(spec: BatchSpec, base: BatchOrigin): Promise<Reply> {
    const { on } = this;
    const key = batchKey(spec.namespace, spec.name);
    if (on.batches.byKey.has(key)) throw new BadRequestError(`there is already a batch ${key}; give this one another name (status-batch ${key} shows the other).`);
    on.refuseChanges('the batch was not accepted');
    const { rec, jobs: news } = planBatch(spec, {
      now: on.clock.now(), hosts: [...on.hosts.values()], firstId: on.nextId(),
      ...(base.envKey === undefined ? {} : { envId: base.envKey }), ...(base.origin === undefined ? {} : { origin: base.origin }),
    });
    try {
      await on.record({ r: 'batch', ...rec, jobs: news }, 'rollback');
    } catch (err) {
      throw new StorageError(`the batch was not accepted: ${describe(err)}; free space under ${on.outDir} and submit it again.`);
    }
    on.takeIds(news.length);
    on.batches.add(rec);
    if (rec.windows !== null) on.windowsChanged();
    for (const n of news) {
      const { id, cmd, at, ...options } = n;
      const job = newJob(id, on.command(cmd), at, options);
      on.jobs.set(id, job);
      on.batches.attach(job);
      on.settler.link(job);
      on.enqueue(id);
    }
    on.schedule();
    const first = news[0]?.id ?? on.nextId();
    const builds = news.filter((n) => n.kind === 'build').length;
    return { kind: 'batch-submitted', id: 0, batch: key, jobs: news.length, firstJobId: first, lastJobId: first + news.length - 1, builds };
  }

  /** kill-batch: its queued jobs leave the queue first (none ends dependency-failed meanwhile), then its running ones are killed. */
  async kill(ref: string): Promise<{ batch: string; dequeued: number; signalled: number }> {
    const { on } = this;
    const batch = on.batches.find(ref);
    on.refuseChanges(`batch ${batch.rec.key} was not killed`);
    let dequeued = 0;
    let signalled = 0;
    const ids = [...batch.builds.values(), ...batch.jobs];
    const queued = (id: number): boolean => on.jobs.get(id)?.state.tag === 'queued';
    for (const id of [...ids.filter(queued), ...ids.filter((id) => !queued(id))]) {
      const job = on.jobs.get(id);
      if (job === undefined || job.state.tag === 'finished') continue;
      const how = await on.kill(id).catch(() => null);
      if (how === 'dequeued') dequeued += 1;
      else if (how === 'signalled') signalled += 1;
    }
    return { batch: batch.rec.key, dequeued, signalled };
  }

  /** What a batch job's run gets: its batch's variables, its staging area, and its host's build (JMS_BUILD_DIR). */
  run(job: Job, pool: Pool): BatchRun | null {
    if (job.batch === undefined) return null;
    const setEnv: Record<string, string> = { JMS_BATCH: job.batch, JMS_JOB_NAME: job.name ?? '' };
    const buildId = this.on.batches.byKey.get(job.batch)?.builds.get(pool.host);
    const build = buildId === undefined ? undefined : this.on.jobs.get(buildId)?.state;
    if (build?.tag !== 'finished' || build.started === null || job.kind === 'build') return { setEnv, area: job.batch };
    const { dir, poolKey } = build.started;
    return { setEnv, area: job.batch, build: poolKey === undefined ? { dir } : { dir, poolKey } };
  }

  /** A batch has ended: what was staged for it on its hosts is removed. */
  ended(batch: Batch): void {
    this.on.forgetStaged(batch.rec.key);
    for (const host of this.on.hosts.values()) {
      if (host.state !== 'up' && host.spec.kind !== 'local') continue;
      host.launcher.unstage(batch.rec.key).catch((err: unknown) => log(`batch ${batch.rec.key}: its staged files on ${host.name} were not removed: ${describe(err)}`));
    }
  }
}

/** A batch job's run: `build`, the directory its host's build ran in, and the pool that ran it. */
export interface BatchRun {
  setEnv: Record<string, string>;
  area: string;
  build?: { dir: string; poolKey?: string };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
