// The archive of batch jobs: when one ends, what it left in its batch's `save` folder and
// its stdout/stderr are copied from its host into `<-l path>/archive/<namespace>/<batch>/<job>/`,
// then its job directory (scratch) is removed there unless the batch keeps it. Only then
// has the job ended for good (`archived`); a copy that fails makes it a failed job with
// the reason (`archive-failed`). A job still to be archived at a restart is archived then.

import type { Host } from '../hosts/host.js';
import type { Job, JobEvent } from '../core/state.js';
import { log } from '../util/log.js';
import { archiveDir, type Batches } from './batches.js';

export interface ArchiveHost {
  hosts: ReadonlyMap<string, Host>;
  batches: Batches;
  apply(job: Job, event: JobEvent): Promise<void>;
  now(): number;
  /** How long a host may stay unreachable before archiving from it fails. */
  patienceMs: number;
}

export class Archiver {
  private readonly busy = new Set<number>();
  /** Jobs waiting for their host to be reachable again, since when. */
  private readonly waiting = new Map<number, number>();

  constructor(readonly root: string, private readonly on: ArchiveHost) {}

  /** Archives `job` (finished, started, saving), once; a job whose host is down waits for it. */
  archive(job: Job): void {
    const s = job.state;
    if (this.busy.has(job.id) || s.tag !== 'finished' || s.started === null) return;
    const started = s.started;
    const host = this.on.hosts.get(started.host ?? 'local');
    const at = this.on.now();
    if (host === undefined) {
      void this.on.apply(job, { type: 'archive-failed', reason: `its host ${started.host ?? 'local'} is no longer in the hosts file`, at });
      return;
    }
    if (host.state !== 'up' && host.spec.kind !== 'local') {
      const since = this.waiting.get(job.id) ?? at;
      this.waiting.set(job.id, since);
      if (at - since < this.on.patienceMs) return;
      this.waiting.delete(job.id);
      void this.on.apply(job, { type: 'archive-failed', reason: `${host.name} could not be reached to copy what it saved (${host.why ?? host.state})`, at });
      return;
    }
    this.waiting.delete(job.id);
    this.busy.add(job.id);
    void this.copy(job, host, started.dir, started.poolKey).finally(() => this.busy.delete(job.id));
  }

  /** Jobs that wait for their host: tried again (a host changed state, or time passed). */
  retry(lookup: (id: number) => Job | undefined): void {
    for (const id of [...this.waiting.keys()]) {
      const job = lookup(id);
      if (job !== undefined) this.archive(job);
    }
  }

  private async copy(job: Job, host: Host, dir: string, poolKey: string | undefined): Promise<void> {
    const entries = [`stdout_${job.id}`, `stderr_${job.id}`];
    if (job.save !== undefined && job.save !== '') entries.unshift(job.save);
    const dest = archiveDir(this.root, job);
    try {
      await host.launcher.collect(dir, entries, dest, poolKey);
    } catch (err) {
      await this.on.apply(job, { type: 'archive-failed', reason: `its files could not be archived from ${host.name}: ${describe(err)}`, at: this.on.now() });
      return;
    }
    await this.on.apply(job, { type: 'archived', at: this.on.now() });
    if (job.kind === 'build' || this.keeps(job)) return; // a build's directory serves its batch until the batch ends
    await this.removeOn(host, [dir], poolKey);
  }

  private keeps(job: Job): boolean {
    return job.batch !== undefined && this.on.batches.byKey.get(job.batch)?.rec.keep === true;
  }

  /** Removes job directories on a host (written by the pool `poolKey`); a failure is only logged (the job's end stands). */
  async removeOn(host: Host, dirs: readonly string[], poolKey?: string): Promise<void> {
    if (dirs.length === 0) return;
    try {
      await host.launcher.remove(dirs, poolKey);
    } catch (err) {
      log(`could not remove ${dirs.length} finished job director${dirs.length === 1 ? 'y' : 'ies'} on ${host.name}: ${describe(err)}`);
    }
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
