// What `submit` gained with batches: --after <ids>, --retries N, --priority N, --begin <time>
// and --on-exit <command>, each read into the request's own field, with the same grammar and
// error style as --timeout and --needs (console/commands.ts).

import type { OnExit } from '../protocol/batch.js';
import { MAX_PRIORITY, MAX_RETRIES } from '../protocol/batch.js';
import { parseBegin } from '../protocol/begin.js';
import { MAX_COMMAND_BYTES } from '../protocol/messages.js';
import { MAX_AFTER } from '../protocol/parse-batch.js';

export interface SubmitExtras {
  after?: number[];
  retries?: number;
  priority?: number;
  begin?: string;
  onExit?: OnExit;
}

export const EXTRA_OPTIONS = ['--after', '--retries', '--priority', '--begin', '--on-exit'] as const;
export type ExtraOption = (typeof EXTRA_OPTIONS)[number];

export function isExtraOption(name: string): name is ExtraOption {
  return EXTRA_OPTIONS.some((o) => o === name);
}

export const EXTRA_VALUE: Record<ExtraOption, string> = {
  '--after': "--after needs JobIDs separated by commas; for example 'submit --after 3,4 make'.",
  '--retries': "--retries needs a number of retries; for example 'submit --retries 2 make'.",
  '--priority': "--priority needs a number; for example 'submit --priority 10 make'.",
  '--begin': "--begin needs a time; for example 'submit --begin 22:00 make' or 'submit --begin +2h make'.",
  '--on-exit': "--on-exit needs a command; for example 'submit --on-exit ./notify.sh make' or 'submit --on-exit \"mail -s done me\" make'.",
};

function short(arg: string): string {
  return arg.length > 40 ? `${arg.slice(0, 40)}…` : arg;
}

/** A whole number written in decimal, or null. */
function wholeNumber(text: string): number | null {
  if (!/^[+-]?\d{1,12}$/.test(text)) return null;
  return Number(text);
}

function readAfter(value: string): number[] | string {
  const ids = value.split(',').filter((x) => x !== '');
  const bad = ids.find((x) => !/^\d{1,15}$/.test(x) || Number(x) < 1 || !Number.isSafeInteger(Number(x)));
  if (ids.length === 0 || bad !== undefined) return `'${short(bad ?? value)}' is not a JobID; give --after JobIDs separated by commas, e.g. 'submit --after 3,4 make'.`;
  const unique = [...new Set(ids.map(Number))];
  if (unique.length > MAX_AFTER) return `--after takes at most ${MAX_AFTER} JobIDs, not ${unique.length}; put the jobs in a batch file with after: instead.`;
  return unique;
}

/** Applies one of the extra options and its value to `o`; an error sentence, or null. */
export function extraOption(name: ExtraOption, value: string, o: SubmitExtras): string | null {
  switch (name) {
    case '--after': {
      const ids = readAfter(value);
      if (typeof ids === 'string') return ids;
      o.after = [...new Set([...(o.after ?? []), ...ids])];
      return null;
    }
    case '--retries': {
      const n = wholeNumber(value);
      if (n === null || n < 0 || n > MAX_RETRIES) return `'${short(value)}' is not a number of retries; give --retries a whole number from 0 to ${MAX_RETRIES}, e.g. 'submit --retries 2 make'.`;
      o.retries = n;
      return null;
    }
    case '--priority': {
      const n = wholeNumber(value);
      if (n === null || n < -MAX_PRIORITY || n > MAX_PRIORITY) {
        return `'${short(value)}' is not a priority; give --priority a whole number from -${MAX_PRIORITY} to ${MAX_PRIORITY} (higher starts first), e.g. 'submit --priority 10 make'.`;
      }
      o.priority = n;
      return null;
    }
    case '--begin': {
      const at = parseBegin(value, Date.now());
      if (typeof at !== 'number') return at.error;
      o.begin = value;
      return null;
    }
    case '--on-exit': {
      if (value.trim() === '' || value.includes('\0')) return EXTRA_VALUE['--on-exit'];
      if (Buffer.byteLength(value) > MAX_COMMAND_BYTES) return `the --on-exit command is more than the ${MAX_COMMAND_BYTES} bytes a command may have; put it in a script and give that.`;
      o.onExit = [...(o.onExit ?? []), { when: 'any', command: value }];
      return null;
    }
  }
}
