// The pool's connection to its coordinator: frames in, frames out, over stdin/stdout
// at first and over an attach socket after a coordinator restart. A link ends once:
// end of input, a broken output, or silence past the heartbeat deadline.

import { LineDecoder, encode } from '../protocol/codec.js';
import { FrameBatch } from '../protocol/frame-batch.js';
import { MAX_FRAME_BYTES } from '../protocol/messages.js';
import { parsePoolCommand } from '../protocol/pool-parse.js';
import type { PoolCommand, PoolEvent } from '../protocol/pool-messages.js';

export interface LinkHandlers {
  command(command: PoolCommand): void;
  /** The link is gone (why, for the log). */
  lost(why: string): void;
  log(line: string): void;
}

/** What a link reads: a socket, or the pool's stdin (pool/stdio.ts). */
export interface FrameInput {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

/** What a link writes: a socket, or the pool's stdout. */
export interface FrameOutput {
  write(data: string): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

export class Link {
  private ended = false;
  private silence: NodeJS.Timeout | null = null;
  private deadlineMs: number | null = null;
  /** Events of one turn of the loop go out in one write. */
  private readonly batch: FrameBatch;

  constructor(
    input: FrameInput,
    output: FrameOutput,
    private readonly handlers: LinkHandlers,
    private readonly close: () => void = () => undefined,
  ) {
    this.batch = new FrameBatch((data) => {
      if (!this.ended) output.write(data);
    });
    const decoder = new LineDecoder(MAX_FRAME_BYTES);
    input.on('data', (chunk: Buffer) => {
      if (this.ended) return;
      this.heard();
      for (const frame of decoder.push(chunk)) {
        if (!frame.ok) {
          handlers.log(`bad frame from the coordinator: ${frame.error}`);
          continue;
        }
        const command = parsePoolCommand(frame.value);
        if ('invalid' in command) handlers.log(`bad command from the coordinator: ${command.invalid}`);
        else handlers.command(command);
        if (this.ended) return;
      }
    });
    input.on('end', () => this.end('the coordinator closed the link'));
    input.on('error', (err: Error) => this.end(`reading from the coordinator failed: ${err.message}`));
    output.on('error', (err: Error) => this.end(`writing to the coordinator failed: ${err.message}`));
  }

  get alive(): boolean {
    return !this.ended;
  }

  send(event: PoolEvent): void {
    if (!this.ended) this.batch.push(encode(event));
  }

  /** Writes what is queued now (before the pool exits). */
  flush(): void {
    this.batch.flush();
  }

  /** From now on, silence for `ms` ends the link (the coordinator pings well within it). */
  expectWithin(ms: number): void {
    this.deadlineMs = ms;
    this.heard();
  }

  end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    this.batch.drop();
    if (this.silence !== null) clearTimeout(this.silence);
    this.close();
    this.handlers.lost(why);
  }

  private heard(): void {
    if (this.deadlineMs === null) return;
    if (this.silence !== null) clearTimeout(this.silence);
    const ms = this.deadlineMs;
    this.silence = setTimeout(() => this.end(`nothing from the coordinator for ${ms} ms`), ms);
  }
}
