// The one timer of what waits for a time: begin times of held jobs, and the opening and
// closing of run windows (of hosts and of batches). At each such moment the queue is
// looked at again, and `suspend-outside` is carried out: jobs under way where a window
// has closed are suspended (`by: 'window'`), and those it suspended are resumed as soon
// as every window they are under is open again, also after a restart.

import { isOpen, nextChange, type Windows } from '../../protocol/windows.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Job, JobEvent } from '../core/state.js';
import type { JobSignal } from '../../protocol/pool-messages.js';
import type { Host } from '../hosts/host.js';
import { log } from '../util/log.js';
import type { Batches } from './batches.js';

export interface TickHost {
  hosts: ReadonlyMap<string, Host>;
  batches: Batches;
  underWay(): Iterable<Job>;
  signalGroup(job: Job, signal: JobSignal): Promise<string | null>;
  apply(job: Job, event: JobEvent): Promise<void>;
  schedule(): void;
  /** Nothing is to be changed now (stopping). */
  stopped(): boolean;
}

export class Ticker {
  private timer: Timer | null = null;
  private deadline: number | null = null;
  /** The soonest change of any window (cached: undefined until looked for). */
  private windowsAt: number | null | undefined = undefined;

  constructor(private readonly clock: Clock, private readonly on: TickHost) {}

  /** Wakes at the soonest of `heldUntil` (a held job's time) and the next change of any window. */
  arm(heldUntil: number | null): void {
    const now = this.clock.now();
    if (this.windowsAt === undefined || (this.windowsAt !== null && this.windowsAt <= now)) this.windowsAt = this.nextWindowChange(now);
    let at = heldUntil;
    if (this.windowsAt !== null && (at === null || this.windowsAt < at)) at = this.windowsAt;
    if (at === this.deadline && this.timer !== null) return;
    this.timer?.cancel();
    this.timer = null;
    this.deadline = at;
    if (at === null) return;
    this.timer = this.clock.after(Math.max(0, at - now), () => {
      this.timer = null;
      this.deadline = null;
      this.enforce();
      this.on.schedule();
    });
  }

  /** A batch with windows came (or went): the next change is looked for again. */
  windowsChanged(): void {
    this.windowsAt = undefined;
  }

  private nextWindowChange(now: number): number | null {
    let at: number | null = null;
    for (const w of this.windows()) {
      const next = nextChange(w, now);
      if (next !== null && (at === null || next < at)) at = next;
    }
    return at;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private *windows(): Generator<Windows> {
    for (const h of this.on.hosts.values()) if (h.spec.windows !== null) yield h.spec.windows;
    for (const b of this.on.batches.byKey.values()) if (b.windows !== null) yield b.windows;
  }

  /** Outside a window that suspends what runs outside it (its host's, or its batch's). */
  outside(job: Job, now: number): boolean {
    const s = job.state;
    if (s.tag !== 'running' && s.tag !== 'suspended') return false;
    const host = this.on.hosts.get(s.host ?? 'local');
    if (host !== undefined && host.spec.suspendOutside && host.spec.windows !== null && !isOpen(host.spec.windows, now)) return true;
    const batch = job.batch === undefined ? undefined : this.on.batches.byKey.get(job.batch);
    return batch !== undefined && batch.rec.suspendOutside && batch.windows !== null && !isOpen(batch.windows, now);
  }

  /** Suspends what runs outside its windows; resumes what they suspended once they are open. */
  enforce(): void {
    if (this.on.stopped()) return;
    const now = this.clock.now();
    for (const job of this.on.underWay()) {
      const s = job.state;
      const out = this.outside(job, now);
      if (s.tag === 'running' && out) void this.signal(job, 'SIGSTOP', { type: 'suspended', at: now, by: 'window' });
      else if (s.tag === 'suspended' && s.by === 'window' && !out) void this.signal(job, 'SIGCONT', { type: 'resumed', at: now });
    }
  }

  /** A job that has just started where a suspend-outside window is shut: suspended at once. */
  started(job: Job): void {
    if (this.on.stopped() || job.state.tag !== 'running' || !this.outside(job, this.clock.now())) return;
    void this.signal(job, 'SIGSTOP', { type: 'suspended', at: this.clock.now(), by: 'window' });
  }

  private async signal(job: Job, signal: JobSignal, event: JobEvent): Promise<void> {
    const want = signal === 'SIGSTOP' ? 'running' : 'suspended';
    const error = await this.on.signalGroup(job, signal);
    if (error !== null) {
      log(`JobID ${job.id}: could not ${signal === 'SIGSTOP' ? 'suspend it outside its run windows' : 'resume it in its run windows'}: ${error}`);
      return;
    }
    if (job.state.tag === want) await this.on.apply(job, event);
  }
}
