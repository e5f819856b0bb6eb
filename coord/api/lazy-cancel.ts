// How a console cancels one of its requests (dispatch.ts's Cancel), made cheap for the many that never are.

import type { Cancel } from './dispatch.js';

/**
 * A request's cancellation, its AbortController made only once something asks for the
 * signal (a `wait`, a streamed answer): most requests never do, and making one for each
 * was 2% of the coordinator's main thread at -n 50 (perf).
 */
export class LazyCancel implements Cancel {
  private controller: AbortController | null = null;
  private early = false;

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.early) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    if (this.controller === null) this.early = true;
    else this.controller.abort();
  }
}
