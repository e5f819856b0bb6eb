// One shared copy of values that many jobs repeat (their working directory, who
// submitted them): a job table of 100,000 jobs from a few consoles holds a few copies,
// not 100,000. Bounded: past `max` distinct values it starts over (copies stay correct).

import type { Origin } from '../../protocol/messages.js';

export class Interner {
  private readonly strings = new Map<string, string>();
  private readonly origins = new Map<string, Origin>();

  constructor(private readonly max = 10_000) {}

  str(s: string): string {
    const known = this.strings.get(s);
    if (known !== undefined) return known;
    if (this.strings.size >= this.max) this.strings.clear();
    this.strings.set(s, s);
    return s;
  }

  origin(o: Origin): Origin {
    const key = `${o.consolePid}\0${o.user}\0${o.host}`;
    const known = this.origins.get(key);
    if (known !== undefined) return known;
    if (this.origins.size >= this.max) this.origins.clear();
    this.origins.set(key, o);
    return o;
  }
}
