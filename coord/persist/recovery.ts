// Start-up after a crash or restart: the journal's records replayed through `step`
// rebuild every job; then each job that was still under way is reconciled with what
// the machine says now. A queued job queues again. A started job whose orphaned pool
// wrote `exit_status` into its directory gets that result; one still running (its pid
// alive and leading its own process group) is adopted: watched and signalled directly;
// anything else is recorded as lost, with the reason.

import fs from 'node:fs';
import { join } from 'node:path';
import { isAlive, procInfo } from '../util/proc.js';
import { Interner } from '../engine/intern.js';
import { parseRecord } from './records.js';
import { isIllegal, step, type Job, type JobEvent } from '../core/state.js';

export interface Replayed {
  jobs: Map<number, Job>;
  /** Environments jobs refer to, by key. */
  envs: Map<string, Record<string, string>>;
  /** pause-all in force when the journal ended. */
  pause: { until: number | null } | null;
  nextJobId: number;
  /** Records that could not be applied (unreadable, or an illegal transition). */
  rejected: number;
}

/** Rebuilds jobs one record at a time, so a long journal is never held whole. */
export class Replayer {
  private readonly jobs = new Map<number, Job>();
  private readonly envs = new Map<string, Record<string, string>>();
  private readonly interner = new Interner();
  private pause: { until: number | null } | null = null;
  private maxId = 0;
  private rejected = 0;
  private ordered = true;

  add(value: unknown): void {
    const rec = parseRecord(value);
    if ('invalid' in rec) {
      this.rejected += 1;
      return;
    }
    if (rec.r === 'pool') return; // pool history: nothing to rebuild from it
    if (rec.r === 'env') {
      this.envs.set(rec.key, rec.env);
      return;
    }
    if (rec.r === 'pause') {
      this.pause = rec.on ? { until: rec.until } : null;
      return;
    }
    if (rec.r === 'new') {
      if (this.jobs.has(rec.id)) {
        this.rejected += 1;
      } else {
        if (rec.id < this.maxId) this.ordered = false;
        const { r: _r, id, cmd, at, ...options } = rec;
        if (options.cwd !== undefined) options.cwd = this.interner.str(options.cwd);
        if (options.envId !== undefined) options.envId = this.interner.str(options.envId);
        if (options.origin !== undefined) options.origin = this.interner.origin(options.origin);
        this.jobs.set(id, { id, command: this.interner.str(cmd), submittedAt: at, state: { tag: 'queued' }, ...options });
      }
      this.maxId = Math.max(this.maxId, rec.id);
      return;
    }
    this.maxId = Math.max(this.maxId, rec.id);
    const job = this.jobs.get(rec.id);
    const next = job === undefined ? { illegal: 'unknown job' } : step(job.state, rec.ev, job);
    if (job === undefined || isIllegal(next)) this.rejected += 1;
    else job.state = next;
  }

  result(): Replayed {
    // Journals list jobs in id order; only a hand-edited one needs sorting.
    const jobs = this.ordered ? this.jobs : new Map([...this.jobs].sort(([a], [b]) => a - b));
    return { jobs, envs: this.envs, pause: this.pause, nextJobId: this.maxId + 1, rejected: this.rejected };
  }
}

export function replay(records: Iterable<unknown>): Replayed {
  const replayer = new Replayer();
  for (const value of records) replayer.add(value);
  return replayer.result();
}

export interface ExitRecord {
  code: number | null;
  signal: string | null;
  at: number;
}

/** The end an orphaned pool wrote into a job's directory, if any. */
export function readExitRecord(dir: string): ExitRecord | null {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(join(dir, 'exit_status'), 'utf8'));
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

export type Verdict =
  | { kind: 'requeue' }
  | { kind: 'adopt' }
  | { kind: 'settle'; events: JobEvent[] }
  | { kind: 'none' };

/** What to do with one replayed job now. Pure given its probes. */
export function reconcile(
  job: Job,
  probe: { exitRecord(dir: string): ExitRecord | null; alive(pid: number): boolean; findDir(jobId: number): { pid: number; dir: string; at: number } | null },
  now: number,
): Verdict {
  const s = job.state;
  switch (s.tag) {
    case 'finished':
      return { kind: 'none' };
    case 'queued':
      return { kind: 'requeue' };
    case 'starting': {
      const found = probe.findDir(job.id);
      if (found === null) return { kind: 'settle', events: [{ type: 'lost', reason: 'the coordinator stopped before the job was started', at: now }] };
      const started: JobEvent = { type: 'started', pid: found.pid, dir: found.dir, at: found.at };
      const rest = settleStarted(found.pid, found.dir, probe, now);
      return rest === null ? { kind: 'settle', events: [started] } : { kind: 'settle', events: [started, ...rest] };
    }
    case 'running':
    case 'suspended': {
      const rest = settleStarted(s.pid, s.dir, probe, now);
      return rest === null ? { kind: 'adopt' } : { kind: 'settle', events: rest };
    }
  }
}

/** null: still running (adopt it); otherwise the events that end it. */
function settleStarted(
  pid: number,
  dir: string,
  probe: { exitRecord(dir: string): ExitRecord | null; alive(pid: number): boolean },
  now: number,
): JobEvent[] | null {
  const rec = probe.exitRecord(dir);
  if (rec !== null) return [{ type: 'exited', code: rec.code, signal: rec.signal, at: rec.at }];
  if (probe.alive(pid)) return null;
  return [{ type: 'lost', reason: 'it ended while the coordinator was down and its exit status is unknown', at: now }];
}

