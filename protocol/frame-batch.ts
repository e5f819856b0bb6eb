// Frames to one peer, gathered over one turn of the event loop and written together: a
// pool that reports several starts and ends in one turn, a coordinator that dispatches
// several jobs to one pool or answers several submits of one console, makes one write(2)
// (and wakes its peer once) instead of one per frame. The frames go out in the order
// they were pushed, at the latest once the loop's poll phase is over (setImmediate);
// `flush` writes them at once, before anything written some other way and before an exit.

export type Write = (data: string, done?: () => void) => void;

export class FrameBatch {
  private parts: string[] = [];
  private afters: Array<() => void> = [];
  private scheduled = false;

  constructor(private readonly write: Write) {}

  /** Queues a frame; `after` runs once it has been written (as the writer reports it). */
  push(frame: string, after?: () => void): void {
    this.parts.push(frame);
    if (after !== undefined) this.afters.push(after);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? (this.parts[0] ?? '') : this.parts.join('');
    const afters = this.afters;
    this.parts = [];
    this.afters = [];
    if (afters.length === 0) this.write(data);
    else this.write(data, () => afters.forEach((f) => f()));
  }

  /** Forgets what is queued (the peer is gone); callbacks still run, as for a failed write. */
  drop(): void {
    const afters = this.afters;
    this.parts = [];
    this.afters = [];
    afters.forEach((f) => f());
  }
}
