// Scalar readers for YAML files read for a person (protocol/yaml-source.ts): text, whole
// numbers, booleans, durations, lists of words and run windows, each recording its own mistake with the
// line and field path and returning null, so a reader can go on and collect them all.

import { isScalar, isSeq } from 'yaml';
import { DURATION_HELP, parseDuration } from './duration.js';
import { parseWindows, type Windows } from './windows.js';
import { type Field, listOf, shown, type Source } from './yaml-source.js';

/** The text of a scalar as written (`1.50` stays `1.50`), or null for a list, map or nothing. */
export function scalarText(node: unknown): string | null {
  if (!isScalar(node) || node.value === null || node.value === undefined) return null;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value === 'number' || typeof node.value === 'boolean') return node.source ?? String(node.value);
  return null;
}

/** A non-empty text of at most `maxBytes` bytes, without NUL. */
export function text(src: Source, f: Field, what = 'a text', maxBytes = 64 * 1024): string | null {
  const t = scalarText(f.node);
  if (t === null) {
    src.fail(f.line, f.path, `must be ${what}, not ${shown(f.node)}`);
    return null;
  }
  if (t.trim() === '') {
    src.fail(f.line, f.path, `is empty; write ${what}`);
    return null;
  }
  if (t.includes('\0')) {
    src.fail(f.line, f.path, 'contains a NUL byte; remove it');
    return null;
  }
  if (Buffer.byteLength(t) > maxBytes) {
    src.fail(f.line, f.path, `is longer than ${maxBytes} bytes; shorten it`);
    return null;
  }
  return t;
}

/** A text that matches `pattern` (`what` says the form, for the message). */
export function word(src: Source, f: Field, pattern: RegExp, what: string): string | null {
  const t = text(src, f, what, 255);
  if (t === null) return null;
  if (!pattern.test(t)) {
    src.fail(f.line, f.path, `must be ${what}, not ${shown(f.node)}`);
    return null;
  }
  return t;
}

export function whole(src: Source, f: Field, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
  const v = isScalar(f.node) ? f.node.value : undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    src.fail(f.line, f.path, `must be a whole number of at least ${min}, not ${shown(f.node)}`);
    return null;
  }
  if (v > max) {
    src.fail(f.line, f.path, `must be at most ${max}, not ${shown(f.node)}`);
    return null;
  }
  return v;
}

/** A number of at least 0 (fractions allowed). */
export function amount(src: Source, f: Field, max: number): number | null {
  const v = isScalar(f.node) ? f.node.value : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) {
    src.fail(f.line, f.path, `must be a number from 0 to ${max}, not ${shown(f.node)}`);
    return null;
  }
  return v;
}

export function bool(src: Source, f: Field): boolean | null {
  const v = isScalar(f.node) ? f.node.value : undefined;
  if (typeof v !== 'boolean') {
    src.fail(f.line, f.path, `must be true or false, not ${shown(f.node)}`);
    return null;
  }
  return v;
}

/** Whole seconds from `90`, `90s`, `2h`, `1h30m`, at most `maxSec`. */
export function duration(src: Source, f: Field, maxSec: number): number | null {
  const t = scalarText(f.node);
  const sec = t === null ? null : parseDuration(t);
  if (sec === null) {
    src.fail(f.line, f.path, `must be ${DURATION_HELP}, not ${shown(f.node)}`);
    return null;
  }
  if (sec > maxSec) {
    src.fail(f.line, f.path, `is longer than the limit of ${maxSec} seconds (${Math.floor(maxSec / 86_400)} days); shorten it`);
    return null;
  }
  return sec;
}

/**
 * Words such as tags: a list (`[gpu, openfoam]`) or one text of words separated by commas
 * or spaces (`gpu, openfoam`). Each must match `pattern`; repeats are dropped.
 */
export function words(src: Source, f: Field, pattern: RegExp, what: string): string[] | null {
  const items: Field[] = [];
  if (isSeq(f.node)) {
    items.push(...(listOf(src, f, 'a list') ?? []));
  } else {
    const t = scalarText(f.node);
    if (t === null) {
      src.fail(f.line, f.path, `must be a list of ${what}, not ${shown(f.node)}`);
      return null;
    }
    return splitWords(src, f, t, pattern, what);
  }
  const out: string[] = [];
  let ok = true;
  for (const item of items) {
    const w = scalarText(item.node);
    if (w === null || !pattern.test(w)) {
      src.fail(item.line, item.path, `must be ${what}, not ${shown(item.node)}`);
      ok = false;
    } else if (!out.includes(w)) {
      out.push(w);
    }
  }
  return ok ? out : null;
}

function splitWords(src: Source, f: Field, t: string, pattern: RegExp, what: string): string[] | null {
  const out: string[] = [];
  for (const w of t.split(/[\s,]+/).filter((x) => x !== '')) {
    if (!pattern.test(w)) {
      src.fail(f.line, f.path, `'${w}' is not ${what}; write a list such as [gpu, openfoam]`);
      return null;
    }
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

/** Texts in a list (`[-F, /etc/ssh_config]`), or one text split at spaces. */
export function texts(src: Source, f: Field, what: string): string[] | null {
  if (!isSeq(f.node)) {
    const t = scalarText(f.node);
    if (t === null) {
      src.fail(f.line, f.path, `must be a list of ${what}, not ${shown(f.node)}`);
      return null;
    }
    return t.split(/\s+/).filter((x) => x !== '');
  }
  const out: string[] = [];
  let ok = true;
  for (const item of listOf(src, f, 'a list') ?? []) {
    const t = text(src, item, what, 4096);
    if (t === null) ok = false;
    else out.push(t);
  }
  return ok ? out : null;
}

const WINDOWS_FORM = 'run windows such as mon-fri 19:00-08:00, sat-sun';

/** Run windows as one text (`mon-fri 19:00-08:00, sat-sun`) or a list of its items. */
export function windows(src: Source, f: Field): Windows | null {
  let joined: string | null;
  if (scalarText(f.node) !== null) {
    joined = text(src, f, WINDOWS_FORM, 1000);
  } else {
    const parts = listOf(src, f, WINDOWS_FORM)?.map((item) => text(src, item, 'a run window such as mon-fri 19:00-08:00', 1000));
    joined = parts === undefined || parts.some((p) => p === null) ? null : parts.join(', ');
  }
  if (joined === null) return null;
  const w = parseWindows(joined);
  if ('error' in w) {
    src.fail(f.line, f.path, w.error);
    return null;
  }
  return w;
}
