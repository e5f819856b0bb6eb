// The batches: what `submit-batch` makes of a BatchSpec (its build jobs, one per host
// that fits, and its jobs with their `after` names turned into JobIDs), and what is known
// of each batch afterwards (its build per host, its windows, its jobs). A batch goes to
// the journal as one record with all its jobs, so it is on record whole or not at all.

import fs from 'node:fs';
import { join } from 'node:path';
import type { BatchSpec, BatchJobSpec, OnExit } from '../../protocol/batch.js';
import { parseBegin } from '../../protocol/begin.js';
import { BadRequestError } from '../../protocol/errors.js';
import { outcomeOf } from '../../protocol/messages.js';
import { parseWindows, type Windows } from '../../protocol/windows.js';
import type { BuildState } from '../core/holds.js';
import { fits } from '../core/scheduler.js';
import { isFinal, type Job, type JobOptions } from '../core/state.js';
import type { Host } from '../hosts/host.js';
import { noHostFits } from '../hosts/wording.js';
import type { BatchRecord, NewJob } from '../persist/records.js';

export interface Batch {
  rec: BatchRecord;
  windows: Windows | null;
  /** Its jobs (builds not counted), in the order of the file. */
  jobs: number[];
  /** Its build job on each host. */
  builds: Map<string, number>;
  /** Every job has ended for good (its notify was started). */
  ended?: true;
}

/** What a batch's jobs are submitted with besides their own spec. */
export interface BatchContext {
  now: number;
  hosts: readonly Host[];
  firstId: number;
  envId?: string;
  origin?: JobOptions['origin'];
}

export function batchKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function windowsOf(text: string | null): Windows | null {
  if (text === null) return null;
  const w = parseWindows(text);
  return 'error' in w ? null : w;
}

export class Batches {
  readonly byKey = new Map<string, Batch>();

  /** A batch as its record has it (at submit, or replayed). */
  add(rec: BatchRecord): Batch {
    const batch: Batch = { rec, windows: windowsOf(rec.windows), jobs: [], builds: new Map() };
    this.byKey.set(rec.key, batch);
    return batch;
  }

  /** A job of a batch, as it is created or replayed. */
  attach(job: Job): void {
    if (job.batch === undefined) return;
    const batch = this.byKey.get(job.batch);
    if (batch === undefined) return;
    if (job.kind === 'build' && job.pin !== undefined) batch.builds.set(job.pin, job.id);
    else batch.jobs.push(job.id);
  }

  /** `name` alone names the batch of that name if only one namespace has it. */
  find(ref: string): Batch {
    const direct = this.byKey.get(ref);
    if (direct !== undefined) return direct;
    const named = [...this.byKey.values()].filter((b) => b.rec.name === ref);
    if (named.length === 1 && named[0] !== undefined) return named[0];
    if (named.length > 1) throw new BadRequestError(`there are batches '${ref}' in several namespaces (${named.map((b) => b.rec.namespace).join(', ')}); name one as namespace/${ref}.`);
    const known = [...this.byKey.keys()];
    throw new BadRequestError(`there is no batch '${ref}'; ${known.length === 0 ? 'no batch was submitted' : `the batches are ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}`} ('show-batches' lists them).`);
  }

  /** Where its build stands: hosts where it succeeded, hosts where it is still to end. */
  buildOf(job: Job, lookup: (id: number) => Job | undefined): BuildState | null {
    if (job.batch === undefined || job.kind === 'build') return null;
    const batch = this.byKey.get(job.batch);
    return batch === undefined ? null : buildState(batch, lookup);
  }

  windowsOf(job: Job): Windows | null {
    return job.batch === undefined ? null : this.byKey.get(job.batch)?.windows ?? null;
  }
}

/** Where a batch's build stands (null: it has no build step). */
export function buildState(batch: Batch, lookup: (id: number) => Job | undefined): BuildState | null {
  if (batch.builds.size === 0) return null;
  const succeeded: string[] = [];
  const pending: string[] = [];
  for (const [host, id] of batch.builds) {
    const b = lookup(id);
    if (b === undefined) continue;
    if (!isFinal(b)) pending.push(host);
    else if (b.state.tag === 'finished' && outcomeOf(b.state.result) === 'succeeded') succeeded.push(host);
  }
  return { succeeded, pending };
}

/** The batch's record and its jobs' records, checked against the hosts and the clock; throws BadRequestError. */
export function planBatch(spec: BatchSpec, ctx: BatchContext): { rec: BatchRecord; jobs: NewJob[] } {
  const namespace = spec.namespace;
  const key = batchKey(namespace, spec.name);
  const windows = spec.windows === null ? null : parseWindows(spec.windows);
  if (windows !== null && 'error' in windows) throw new BadRequestError(`the batch's windows: ${windows.error}`);
  const rec: BatchRecord = {
    key, name: spec.name, namespace, at: ctx.now, needs: spec.needs, notify: spec.notify, build: spec.build, keep: spec.keep,
    windows: spec.windows, suspendOutside: spec.suspendOutside,
  };
  checkFiles(spec);
  const common: JobOptions = { batch: key, ...(ctx.envId === undefined ? {} : { envId: ctx.envId }), ...(ctx.origin === undefined ? {} : { origin: ctx.origin }) };
  const jobs: NewJob[] = [];
  let id = ctx.firstId;
  if (spec.build !== null) {
    const hosts = ctx.hosts.filter((h) => fits(spec.needs, h.tags));
    if (hosts.length === 0) throw new BadRequestError(noHostFits(spec.needs, ctx.hosts));
    for (const host of hosts) {
      jobs.push({ id: id++, cmd: spec.build, at: ctx.now, ...common, kind: 'build', pin: host.name, name: `build@${host.name}`, save: '', ...needsOf(spec.needs) });
    }
  }
  const ids = new Map(spec.jobs.map((j, i) => [j.name, id + i]));
  for (const j of spec.jobs) jobs.push(planJob(spec, j, { ...common }, id++, ids, ctx));
  return { rec, jobs };
}

function needsOf(needs: readonly string[]): JobOptions {
  return needs.length === 0 ? {} : { needs: [...new Set(needs)] };
}

function planJob(spec: BatchSpec, j: BatchJobSpec, o: JobOptions, id: number, ids: ReadonlyMap<string, number>, ctx: BatchContext): NewJob {
  const job: NewJob = { id, cmd: j.command, at: ctx.now, ...o, name: j.name, save: spec.save ?? '', ...needsOf([...spec.needs, ...j.needs]) };
  const needs = job.needs ?? [];
  if (needs.length > 0 && !ctx.hosts.some((h) => fits(needs, h.tags))) throw new BadRequestError(`job '${j.name}': ${noHostFits(needs, ctx.hosts)}`);
  const after = j.after.map((name) => ids.get(name)).filter((x): x is number => x !== undefined);
  if (after.length > 0) job.after = after;
  if (j.timeoutSec !== null) job.timeoutSec = j.timeoutSec;
  if (j.retries > 0) job.retries = j.retries;
  if (j.priority !== 0) job.priority = j.priority;
  if (j.begin !== null) {
    const at = parseBegin(j.begin, ctx.now);
    if (typeof at !== 'number') throw new BadRequestError(`job '${j.name}': ${at.error}`);
    if (at > ctx.now) job.beginAt = at;
  }
  const onExit: OnExit = [...j.onExit, ...spec.onExit];
  if (onExit.length > 0) job.onExit = onExit;
  if (j.files.length > 0) job.files = j.files;
  return job;
}

/** Every file to stage must be there now (it is read when a job of the batch first needs it on a host). */
function checkFiles(spec: BatchSpec): void {
  const seen = new Set<string>();
  for (const j of spec.jobs) {
    for (const f of j.files) {
      if (seen.has(f.from)) continue;
      seen.add(f.from);
      try {
        fs.accessSync(f.from, fs.constants.R_OK);
      } catch (err) {
        const why = err instanceof Error && 'code' in err && err.code === 'ENOENT' ? 'no such file or folder' : 'it cannot be read';
        throw new BadRequestError(`job '${j.name}': cannot stage ${f.from}: ${why}; fix the path in the batch file.`);
      }
    }
  }
}

/** A batch's folder in the archive: `<archive>/<namespace>/<batch>`. */
export function batchArchiveDir(root: string, key: string): string {
  const [namespace = '', name = ''] = key.split('/');
  return join(root, namespace, name);
}

/** Where a job's saved files go in the archive: `<archive>/<namespace>/<batch>/<job name>`. */
export function archiveDir(root: string, job: Job): string {
  return join(batchArchiveDir(root, job.batch ?? '/'), job.name ?? String(job.id));
}
