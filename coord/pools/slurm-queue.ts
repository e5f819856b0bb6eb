// What Slurm says of this coordinator's own Slurm jobs: squeue read on demand (one call
// at a time, shared by everyone asking meanwhile) and, while some pool's allocation has
// not started, polled so its jobs can say what they wait for: every second at first,
// then less and less often (up to every 30 s), as a cluster's admins ask of users.
// Each job's id is told once, as soon as it is known (from srun's own words or squeue).

import type { Clock, Timer } from '../core/clock.js';
import { parseQueue, SQUEUE_ARGS, type QueueRow } from './slurm-commands.js';
import type { ClusterShell } from './slurm-shell.js';

const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 30_000;

export class SlurmQueue {
  /** The last answer, by pool key. */
  private rows = new Map<string, QueueRow>();
  private readonly ids = new Map<string, string>();
  private inflight: Promise<Map<string, QueueRow> | null> | null = null;
  private timer: Timer | null = null;
  private delay = FIRST_POLL_MS;
  /** Why the last squeue failed. */
  failure = '';

  constructor(
    private readonly shell: ClusterShell,
    private readonly site: string,
    private readonly clock: Clock,
    /** Whether a pool still waits for its allocation (polling goes on while one does). */
    private readonly wanted: () => boolean,
    private readonly onId: (key: string, id: string) => void,
  ) {}

  row(key: string): QueueRow | undefined {
    return this.rows.get(key);
  }

  idOf(key: string): string | null {
    return this.ids.get(key) ?? null;
  }

  /** The job of pool `key` is `id` (srun said so, or squeue). */
  noteId(key: string, id: string): void {
    if (this.ids.get(key) === id) return;
    this.ids.set(key, id);
    this.onId(key, id);
  }

  forget(key: string): void {
    this.ids.delete(key);
    this.rows.delete(key);
  }

  /** Asks squeue now; null when it cannot be run (`failure` says why). */
  refresh(): Promise<Map<string, QueueRow> | null> {
    this.inflight ??= this.ask().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async ask(): Promise<Map<string, QueueRow> | null> {
    const r = await this.shell.run(['squeue', ...SQUEUE_ARGS]);
    if (r.code !== 0) {
      this.failure = `cannot run squeue ${this.shell.where} (${r.code === null ? 'it could not be started' : `exit ${r.code}`}: ${r.stderr.trim().split('\n').pop() ?? ''})`;
      return null;
    }
    const rows = parseQueue(r.stdout, this.site);
    this.rows = rows;
    for (const [key, row] of rows) this.noteId(key, row.id);
    return rows;
  }

  /** A pool was started: poll from now (every second at first). */
  poll(): void {
    this.delay = FIRST_POLL_MS;
    this.timer?.cancel();
    this.timer = this.clock.after(this.delay, () => this.tick());
  }

  private tick(): void {
    this.timer = null;
    if (!this.wanted()) return;
    void this.refresh().then(() => {
      if (this.timer !== null || !this.wanted()) return;
      this.delay = Math.min(this.delay * 2, MAX_POLL_MS);
      this.timer = this.clock.after(this.delay, () => this.tick());
    });
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
