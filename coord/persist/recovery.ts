// Start-up after a crash or restart: the journal's records replayed through `step`
// rebuild every job; then each job that was under way is reconciled with what its pool
// knows (the `state` an orphaned pool gives when re-attached, or the ledger of a pool
// that has died). A job its pool never started is queued again; one it started gets
// its real end, or stays with the live pool that runs it; only what nobody can know
// (a pool killed together with its coordinator mid-start) is lost, with the reason.

import fs from 'node:fs';
import { join } from 'node:path';
import type { JobEnd, JobTrace } from '../../protocol/ledger.js';
import { isAlive, procInfo } from '../util/proc.js';
import { Interner } from '../engine/intern.js';
import { parseRecord, type BatchRecord, type NewJob } from './records.js';
import { advance, newJob, type Job, type JobEvent } from '../core/state.js';

/** What the journal says of one exit hook (keyed `job:<id>:<n>` or `batch:<key>:<n>`). */
export interface HookOnRecord {
  of: { job?: number; batch?: string };
  n: number;
  started: number;
  ended: { ok: boolean; how: string; at: number } | null;
}

export function hookKey(of: { job?: number; batch?: string }, n: number): string {
  return of.job !== undefined ? `job:${of.job}:${n}` : `batch:${of.batch ?? ''}:${n}`;
}

/** A pool the journal says was started (with its key) and not seen to end. */
export interface PoolOnRecord {
  key: string;
  pid: number;
  host: string;
}

export interface Replayed {
  jobs: Map<number, Job>;
  /** Environments jobs refer to, by key. */
  envs: Map<string, Record<string, string>>;
  /** pause-all in force when the journal ended: for every host (null) or one, until when. */
  pauses: Map<string | null, number | null>;
  /** Hosts switched off (host-off). */
  hostsOff: Set<string>;
  /** Pools started and not recorded as ended, by key. */
  pools: Map<string, PoolOnRecord>;
  batches: Map<string, BatchRecord>;
  hooks: Map<string, HookOnRecord>;
  nextJobId: number;
  /** Records that could not be applied (unreadable, or an illegal transition). */
  rejected: number;
}

/** Rebuilds jobs one record at a time, so a long journal is never held whole. */
export class Replayer {
  private readonly jobs = new Map<number, Job>();
  private readonly envs = new Map<string, Record<string, string>>();
  private readonly pools = new Map<string, PoolOnRecord>();
  private readonly interner = new Interner();
  private readonly pauses = new Map<string | null, number | null>();
  private readonly hostsOff = new Set<string>();
  private readonly batches = new Map<string, BatchRecord>();
  private readonly hooks = new Map<string, HookOnRecord>();
  private maxId = 0;
  private rejected = 0;
  private ordered = true;

  add(value: unknown): void {
    const rec = parseRecord(value);
    if ('invalid' in rec) {
      this.rejected += 1;
      return;
    }
    switch (rec.r) {
      case 'mark':
        return;
      case 'host':
        if (rec.off) this.hostsOff.add(rec.name);
        else this.hostsOff.delete(rec.name);
        return;
      case 'pool':
        if (rec.key === undefined) return; // history of an older version: nothing to rebuild
        if (rec.state === 'started') this.pools.set(rec.key, { key: rec.key, pid: rec.pid, host: rec.host ?? 'local' });
        else this.pools.delete(rec.key);
        return;
      case 'env':
        this.envs.set(rec.key, rec.env);
        return;
      case 'pause':
        if (rec.on) this.pauses.set(rec.host ?? null, rec.until);
        else this.pauses.delete(rec.host ?? null);
        return;
      case 'new': {
        const { r: _r, ...job } = rec;
        return this.addNew(job);
      }
      case 'batch': {
        const { r: _r, jobs, ...batch } = rec;
        this.batches.set(batch.key, batch);
        for (const job of jobs ?? []) this.addNew(job);
        return;
      }
      case 'hook': {
        const key = hookKey(rec, rec.n);
        const of = rec.job !== undefined ? { job: rec.job } : { batch: rec.batch ?? '' };
        if (rec.state === 'started') this.hooks.set(key, { of, n: rec.n, started: rec.at, ended: null });
        else this.hooks.set(key, { of, n: rec.n, started: this.hooks.get(key)?.started ?? rec.at, ended: { ok: rec.ok ?? false, how: rec.how ?? '', at: rec.at } });
        return;
      }
      case 'ev': {
        this.maxId = Math.max(this.maxId, rec.id);
        const job = this.jobs.get(rec.id);
        if (job === undefined || advance(job, rec.ev) !== null) this.rejected += 1;
      }
    }
  }

  private addNew(rec: NewJob): void {
    if (this.jobs.has(rec.id)) {
      this.rejected += 1;
    } else {
      if (rec.id < this.maxId) this.ordered = false;
      const { id, cmd, at, ...options } = rec;
      if (options.cwd !== undefined) options.cwd = this.interner.str(options.cwd);
      if (options.envId !== undefined) options.envId = this.interner.str(options.envId);
      if (options.origin !== undefined) options.origin = this.interner.origin(options.origin);
      this.jobs.set(id, newJob(id, this.interner.str(cmd), at, options));
    }
    this.maxId = Math.max(this.maxId, rec.id);
  }

  result(): Replayed {
    // Journals list jobs in id order; only a hand-edited one needs sorting.
    const jobs = this.ordered ? this.jobs : new Map([...this.jobs].sort(([a], [b]) => a - b));
    return {
      jobs, envs: this.envs, pauses: this.pauses, hostsOff: this.hostsOff, pools: this.pools, batches: this.batches, hooks: this.hooks,
      nextJobId: this.maxId + 1, rejected: this.rejected,
    };
  }
}

export function replay(records: Iterable<unknown>): Replayed {
  const replayer = new Replayer();
  for (const value of records) replayer.add(value);
  return replayer.result();
}

/** What a job's pool knows: `live` when it answered an attach (it reports from now on). */
export interface PoolFacts {
  live: boolean;
  traces: ReadonlyMap<number, JobTrace>;
}

export type Verdict =
  | { kind: 'none' }
  | { kind: 'requeue'; events: JobEvent[] }
  /** The live pool goes on with it; `events` bring the job up to date first. */
  | { kind: 'adopt'; events: JobEvent[] }
  /** Ends it; `kill`: the process group of a job left without a pool, to end too. */
  | { kind: 'settle'; events: JobEvent[]; kill: number | null };

function endEvents(trace: JobTrace, end: JobEnd): JobEvent[] {
  if (end.kind === 'start-failed') return [{ type: 'start-failed', reason: end.reason, at: end.at }];
  if (trace.expiredAt !== null) {
    return [{ type: 'lost', reason: `its pool lost the coordinator for longer than its lease and ended it (${end.signal ?? `exit code ${end.code ?? 0}`})`, at: end.at }];
  }
  return [{ type: 'exited', code: end.code, signal: end.signal, at: end.at }];
}

/**
 * What to do with one replayed job, given what its pool knows (null: its pool left no
 * ledger, so it never got so far as to start anything). Pure.
 */
export function reconcile(job: Job, facts: PoolFacts | null, now: number, poolGone: string | null = null): Verdict {
  const s = job.state;
  if (s.tag === 'finished') return { kind: 'none' };
  if (s.tag === 'queued') return { kind: 'requeue', events: [] };
  const trace = facts?.traces.get(job.id);
  const requeue: Verdict = { kind: 'requeue', events: [{ type: 'requeued', reason: 'its pool never started it', at: now }] };
  const lost = (reason: string, kill: number | null): Verdict => ({ kind: 'settle', events: [{ type: 'lost', reason, at: now }], kill });
  const startedEvent = (): JobEvent[] =>
    s.tag === 'starting' && trace?.started != null ? [{ type: 'started', pid: trace.started.pid, dir: trace.started.dir, at: trace.started.at }] : [];
  if (trace === undefined || facts === null) {
    if (s.tag === 'starting') return requeue;
    return lost(poolGone ?? 'its pool left no record of it, so how it ended is unknown', s.pid);
  }
  if (trace.end !== null) {
    if (trace.end.kind === 'exited' && s.tag === 'starting' && trace.started === null) return lost('its pool recorded an end but no start', null);
    return { kind: 'settle', events: [...startedEvent(), ...endEvents(trace, trace.end)], kill: null };
  }
  if (facts.live) return { kind: 'adopt', events: startedEvent() };
  if (trace.started !== null) {
    const reason = poolGone ?? 'its pool died while no coordinator watched it, so its end is unknown';
    return { kind: 'settle', events: [...startedEvent(), { type: 'lost', reason, at: now }], kill: trace.started.pid };
  }
  return trace.starting ? lost(`${poolGone ?? 'its pool died'} while starting it, so whether it ran is unknown`, null) : requeue;
}

// --- jobs of journals written before pools kept ledgers --------------------------

export interface ExitRecord {
  code: number | null;
  signal: string | null;
  at: number;
}

/** The end an orphaned pool of an older version wrote into a job's directory, if any. */
export function readExitRecord(dir: string): ExitRecord | null {
  let v: unknown;
  try {
    const fd = fs.openSync(join(dir, 'exit_status'), fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    try {
      v = JSON.parse(fs.readFileSync(fd, 'utf8'));
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || !('code' in v) || !('signal' in v) || !('at' in v)) return null;
  const code = Number.isInteger(v.code) ? Number(v.code) : null;
  const signal = typeof v.signal === 'string' ? v.signal : null;
  // Exactly one of code and signal says how it ended; anything else is not a record.
  if ((code === null) === (signal === null) || (code === null && v.code !== null) || (signal === null && v.signal !== null)) return null;
  return { code, signal, at: Number.isSafeInteger(v.at) && Number(v.at) >= 0 ? Number(v.at) : Date.now() };
}

/** A live process that leads its own group: the job, not a recycled pid. */
export function isLiveLeader(pid: number): boolean {
  return isAlive(pid) && procInfo(pid)?.pgrp === pid;
}

/** A started job's directory, found by name (for a job whose start was not recorded). */
export function findJobDir(outDir: string, user: string, jobId: number): { pid: number; dir: string; at: number } | null {
  const prefix = `jms_${user}_${jobId}_`;
  let names: string[];
  try {
    names = fs.readdirSync(outDir).filter((n) => n.startsWith(prefix));
  } catch {
    return null;
  }
  for (const name of names) {
    const m = /^(\d+)_\d{8}_\d{6}$/.exec(name.slice(prefix.length));
    if (m === null) continue;
    const dir = join(outDir, name);
    return { pid: Number(m[1]), dir, at: Math.floor(fs.statSync(dir).mtimeMs) };
  }
  return null;
}

export interface LegacyProbe {
  exitRecord(dir: string): ExitRecord | null;
  alive(pid: number): boolean;
  findDir(jobId: number): { pid: number; dir: string; at: number } | null;
}

/**
 * A job of an older journal (its pool kept no ledger): its recorded end if its pool
 * wrote one, else lost; a job still running then has no pool to supervise it and is
 * ended (`kill`).
 */
export function reconcileLegacy(job: Job, probe: LegacyProbe, now: number): Verdict {
  const s = job.state;
  if (s.tag === 'finished') return { kind: 'none' };
  if (s.tag === 'queued') return { kind: 'requeue', events: [] };
  const found = s.tag === 'starting' ? probe.findDir(job.id) : { pid: s.pid, dir: s.dir, at: s.startedAt };
  if (found === null) return { kind: 'settle', events: [{ type: 'lost', reason: 'the coordinator stopped before the job was started', at: now }], kill: null };
  const started: JobEvent[] = s.tag === 'starting' ? [{ type: 'started', pid: found.pid, dir: found.dir, at: found.at }] : [];
  const rec = probe.exitRecord(found.dir);
  if (rec !== null) return { kind: 'settle', events: [...started, { type: 'exited', code: rec.code, signal: rec.signal, at: rec.at }], kill: null };
  const alive = probe.alive(found.pid);
  const reason = alive ? 'it was started by an older JMS whose pools cannot be re-attached; it was ended' : 'it ended while the coordinator was down and its exit status is unknown';
  return { kind: 'settle', events: [...started, { type: 'lost', reason, at: now }], kill: alive ? found.pid : null };
}
