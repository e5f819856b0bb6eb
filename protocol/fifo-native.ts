// jms_fifo.node (protocol/native/jms-fifo.c), loaded once when a console first needs it:
// mkfifo(3) for its private FIFOs, isatty(3) for its stdout. Null when it is not built or
// does not load; then fifo.ts runs the mkfifo program and isTerminal asks process.stdout.

import { addonCandidates, loadNative } from './native-addon.js';

interface FifoAddon {
  mkfifo(path: string, mode: number): void;
  isatty(fd: number): boolean;
}

let addon: FifoAddon | null | undefined;

export function fifoAddon(): FifoAddon | null {
  if (addon !== undefined) return addon;
  const got = loadNative(addonCandidates('jms_fifo.node', import.meta.dirname), 'jms_fifo.node');
  const mod = 'module' in got ? got.module : null;
  const usable = typeof mod === 'object' && mod !== null && 'mkfifo' in mod && typeof mod.mkfifo === 'function' && 'isatty' in mod && typeof mod.isatty === 'function';
  addon = usable ? (mod as FifoAddon) : null;
  return addon;
}

/** Whether fd 0, 1 or 2 is a terminal, without making process.stdin/stdout/stderr when the addon is there. */
export function isTerminal(fd: 0 | 1 | 2): boolean {
  const native = fifoAddon();
  if (native !== null) return native.isatty(fd);
  const stream = fd === 0 ? process.stdin : fd === 1 ? process.stdout : process.stderr;
  return stream.isTTY === true;
}
