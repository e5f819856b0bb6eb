// The coordinator's one clock: every `now` and every timer of the coordinator comes
// from here, so tests drive time instead of waiting on a wall-clock window.
//
// - systemClock(): Date.now() and real timers.
// - offsetClock(file): wall time plus an offset (ms) read from `file`, re-read every
//   50 ms; moving the offset forward fires every timer it passes. e2e tests start
//   jms_coord with JMS_CLOCK_FILE=<file> and write the offset to move its time.
// - ManualClock: time moves only by advance(); for unit tests of the engine.
//
// Timers hold absolute deadlines in this clock's time, so a jump re-arms them all, and
// a deadline beyond setTimeout's 24.8-day limit is reached in steps, never at once.

import fs from 'node:fs';

export interface Timer {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fire` once `ms` of this clock's time have passed, unless cancelled. */
  after(ms: number, fire: () => void): Timer;
}

/** Longest real setTimeout (2^31 - 1 ms); longer waits are re-armed on waking. */
const MAX_REAL_DELAY = 2_147_483_647;

interface Pending {
  deadline: number;
  fire: () => void;
  real: NodeJS.Timeout | null;
}

/** Real timers against a time base that may jump (an offset). */
class ShiftableClock implements Clock {
  private readonly pending = new Set<Pending>();

  constructor(private readonly base: () => number) {}

  now(): number {
    return this.base();
  }

  after(ms: number, fire: () => void): Timer {
    const p: Pending = { deadline: this.now() + Math.max(0, ms), fire, real: null };
    this.pending.add(p);
    this.arm(p);
    return {
      cancel: () => {
        if (p.real !== null) clearTimeout(p.real);
        this.pending.delete(p);
      },
    };
  }

  /** The time base moved: every timer is measured again against it. */
  rearm(): void {
    for (const p of this.pending) this.arm(p);
  }

  private arm(p: Pending): void {
    if (p.real !== null) clearTimeout(p.real);
    const left = p.deadline - this.now();
    p.real = setTimeout(() => {
      p.real = null;
      if (p.deadline > this.now()) return this.arm(p);
      this.pending.delete(p);
      p.fire();
    }, Math.min(Math.max(0, left), MAX_REAL_DELAY));
  }
}

export function systemClock(): Clock {
  return new ShiftableClock(() => Date.now());
}

/** Wall time plus the offset in `file` (a number of ms; missing or unreadable: 0). */
export function offsetClock(file: string, pollMs = 50): Clock {
  let offset = readOffset(file);
  const clock = new ShiftableClock(() => Date.now() + offset);
  setInterval(() => {
    const next = readOffset(file);
    if (next === offset) return;
    offset = next;
    clock.rearm();
  }, pollMs).unref();
  return clock;
}

function readOffset(file: string): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

/** The clock jms_coord runs on: JMS_CLOCK_FILE (tests) or the system's. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const file = env['JMS_CLOCK_FILE'];
  return file === undefined || file === '' ? systemClock() : offsetClock(file);
}

/** Time that moves only when told to (unit tests). */
export class ManualClock implements Clock {
  private readonly timers: Array<{ deadline: number; fire: () => void; seq: number }> = [];
  private seq = 0;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  after(ms: number, fire: () => void): Timer {
    const t = { deadline: this.time + Math.max(0, ms), fire, seq: this.seq++ };
    this.timers.push(t);
    return {
      cancel: () => {
        const i = this.timers.indexOf(t);
        if (i >= 0) this.timers.splice(i, 1);
      },
    };
  }

  /** Moves time forward, firing every timer due on the way, in deadline order. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.deadline <= until).sort((a, b) => a.deadline - b.deadline || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers.splice(this.timers.indexOf(due), 1);
      this.time = Math.max(this.time, due.deadline);
      due.fire();
    }
    this.time = until;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }
}
