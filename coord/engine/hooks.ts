// Exit hooks (`--on-exit`, `on_exit:`) and a batch's `notify`: commands run on the
// coordinator's machine once a job (or a batch) has ended for good, with what it was and
// how it ended in their environment. Each is run at most once, even across a crash: its
// `started` record is on disk before it is spawned, and one found started but not ended
// at a restart is shown as interrupted, never run again. A hook that hangs is killed at
// its timeout (on the coordinator's clock); none ever holds up the coordinator.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import type { ExitWhen, OnExit } from '../../protocol/batch.js';
import type { HookState, HookView, JobResult } from '../../protocol/messages.js';
import { outcomeOf } from '../../protocol/messages.js';
import type { Clock } from '../core/clock.js';
import { hookKey, type HookOnRecord } from '../persist/recovery.js';
import type { JournalRecord } from '../persist/records.js';
import { log } from '../util/log.js';

export interface HookHost {
  record(rec: JournalRecord): Promise<void>;
  /** Where hooks' output files go (created if missing). */
  logDir: string;
  timeoutMs: number;
}

interface Live {
  of: { job?: number; batch?: string };
  n: number;
  state: HookState;
  how: string | null;
}

/** Whether a case applies to a job that ended with `result`. */
export function matches(when: ExitWhen, result: JobResult): boolean {
  if (when === 'any') return true;
  if (typeof when === 'object') return (result.kind === 'exited' || result.kind === 'timed-out') && result.code === when.exitCode;
  return outcomeOf(result) === when;
}

function whenText(when: ExitWhen): string {
  return typeof when === 'object' ? String(when.exitCode) : when;
}

export class Hooks {
  private readonly live = new Map<string, Live>();

  constructor(
    private readonly clock: Clock,
    private readonly host: HookHost,
  ) {}

  /** What the journal knew of hooks (at a restart): one started and not ended was interrupted. */
  restore(restored: ReadonlyMap<string, HookOnRecord>): void {
    for (const [key, rec] of restored) {
      const where = { of: rec.of, n: rec.n };
      this.live.set(key, rec.ended === null
        ? { ...where, state: 'interrupted', how: 'the coordinator stopped while it ran; not run again' }
        : { ...where, state: rec.ended.ok ? 'done' : 'failed', how: rec.ended.how });
    }
  }

  /** The records that keep what is known of every hook (for compaction). */
  records(): JournalRecord[] {
    const out: JournalRecord[] = [];
    const at = this.clock.now();
    for (const h of this.live.values()) {
      if (h.state === 'pending') continue;
      out.push({ r: 'hook', ...h.of, n: h.n, state: 'started', at });
      if (h.state !== 'running' && h.state !== 'interrupted') out.push({ r: 'hook', ...h.of, n: h.n, state: 'ended', ok: h.state === 'done', how: h.how ?? '', at });
    }
    return out;
  }

  /** Runs the cases of `onExit` that match, each once; `env` says what ended. */
  ended(of: { job?: number; batch?: string }, onExit: OnExit, result: JobResult | null, env: Record<string, string>): void {
    onExit.forEach((c, n) => {
      const key = hookKey(of, n);
      if (this.live.has(key)) return; // run before (or interrupted by a crash): never again
      if (result !== null && !matches(c.when, result)) return;
      this.live.set(key, { of, n, state: 'pending', how: null });
      void this.run(key, of, n, c.command, env);
    });
  }

  /** What became of each case of `onExit` (those that do not apply are left out). */
  views(of: { job?: number; batch?: string }, onExit: OnExit, label?: string): HookView[] {
    const out: HookView[] = [];
    onExit.forEach((c, n) => {
      const key = hookKey(of, n);
      const live = this.live.get(key);
      if (live === undefined) return;
      out.push({ when: label ?? whenText(c.when), command: c.command, state: live.state, how: live.how, log: this.logPath(key) });
    });
    return out;
  }

  private logPath(key: string): string {
    return join(this.host.logDir, `${key.replaceAll(/[^A-Za-z0-9._-]/g, '_')}.log`);
  }

  private async run(key: string, of: { job?: number; batch?: string }, n: number, command: string, env: Record<string, string>): Promise<void> {
    const live = this.live.get(key);
    if (live === undefined) return;
    try {
      // On disk before it runs: after a crash it is known to have (maybe) run.
      await this.host.record({ r: 'hook', ...of, n, state: 'started', at: this.clock.now() });
    } catch {
      live.state = 'failed';
      live.how = 'not run: the journal could not be written';
      return;
    }
    live.state = 'running';
    const how = await this.spawn(key, command, env);
    live.state = how.ok ? 'done' : 'failed';
    live.how = how.text;
    if (!how.ok) log(`hook ${key} (${command.slice(0, 80)}): ${how.text}`);
    void this.host.record({ r: 'hook', ...of, n, state: 'ended', ok: how.ok, how: how.text, at: this.clock.now() }).catch(() => undefined);
  }

  private spawn(key: string, command: string, env: Record<string, string>): Promise<{ ok: boolean; text: string }> {
    let fd: number;
    try {
      fs.mkdirSync(this.host.logDir, { recursive: true, mode: 0o700 });
      fd = fs.openSync(this.logPath(key), 'w', 0o600);
    } catch (err) {
      return Promise.resolve({ ok: false, text: `not run: cannot write its output file (${err instanceof Error ? err.message : String(err)})` });
    }
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
      fs.closeSync(fd);
      let timedOut = false;
      const timer = this.clock.after(this.host.timeoutMs, () => {
        timedOut = true;
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      });
      child.on('error', (err) => {
        timer.cancel();
        resolve({ ok: false, text: `could not be started: ${err.message}` });
      });
      child.on('exit', (code, signal) => {
        timer.cancel();
        if (timedOut) resolve({ ok: false, text: `timed out after ${Math.round(this.host.timeoutMs / 1000)} s and was killed` });
        else if (signal !== null) resolve({ ok: false, text: `killed by ${signal}` });
        else resolve({ ok: code === 0, text: `exit code ${code ?? 0}` });
      });
    });
  }
}
