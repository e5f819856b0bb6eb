// `--begin` times as people type them: a time of day (`22:00`, the next one), a delay (`+2h`,
// `+1h30m`), a local date or date and time (`2026-12-24`, `2026-12-24 22:00`), or an instant
// with a zone (`2026-12-24T22:00Z`, `…+01:00`). Local times use the process's time zone (TZ)
// through the Date API, so "tomorrow 22:00" is right across a change of summer time.

import { parseDuration } from './duration.js';

export const BEGIN_HELP =
  "a time of day such as 22:00, a delay such as +2h or +1h30m, or a date such as 2026-12-24 or 2026-12-24 22:00 (local time; add Z or +01:00 for another zone)";

/** The latest a begin time may be: a year from now. */
export const MAX_BEGIN_AHEAD_MS = 366 * 24 * 3600_000;

type Form =
  | { kind: 'clock'; h: number; m: number; s: number }
  | { kind: 'delay'; sec: number }
  | { kind: 'local'; y: number; mo: number; d: number; h: number; m: number; s: number }
  | { kind: 'instant'; ms: number };

const CLOCK = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The instant `text` names, seen at `nowMs`, or why it names none. */
export function parseBegin(text: string, nowMs: number): number | { error: string } {
  const form = readForm(text);
  if (typeof form === 'string') return { error: form };
  const at = resolve(form, nowMs);
  if (at - nowMs > MAX_BEGIN_AHEAD_MS) return { error: `begin time '${text.trim()}' is more than a year ahead; write ${BEGIN_HELP}.` };
  return at;
}

/** Null when `text` has the form of a begin time, else why not (for checking ahead of time). */
export function beginError(text: string): string | null {
  const form = readForm(text);
  return typeof form === 'string' ? form : null;
}

function readForm(text: string): Form | string {
  const t = text.trim();
  const bad = `'${t}' is not a begin time; write ${BEGIN_HELP}.`;
  if (t.startsWith('+')) {
    const sec = parseDuration(t.slice(1));
    return sec === null ? bad : { kind: 'delay', sec };
  }
  const clock = CLOCK.exec(t);
  if (clock !== null) {
    const [h = 0, m = 0, s = 0] = [clock[1], clock[2], clock[3]].map((x) => Number(x ?? 0));
    if (!timeOk(h, m, s)) return `'${t}' is not a time of day (00:00 to 23:59); write ${BEGIN_HELP}.`;
    return { kind: 'clock', h, m, s };
  }
  const date = DATE.exec(t);
  if (date === null) return bad;
  return readDate(t, date, bad);
}

function readDate(t: string, date: RegExpExecArray, bad: string): Form | string {
  const [y = 0, mo = 0, d = 0, h = 0, m = 0, s = 0] = [1, 2, 3, 4, 5, 6].map((i) => Number(date[i] ?? 0));
  const zone = date[7];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return `'${t}' is not a date of the calendar; write ${BEGIN_HELP}.`;
  if (!timeOk(h, m, s)) return `'${t}' has no such time of day (00:00 to 23:59); write ${BEGIN_HELP}.`;
  if (zone === undefined) return { kind: 'local', y, mo, d, h, m, s };
  if (date[4] === undefined) return bad; // a zone needs a time: `2026-12-24Z` means nothing
  const zoneMin = zoneMinutes(zone);
  if (zoneMin === null) return `'${t}' has an offset that does not exist (at most ±14:00); write ${BEGIN_HELP}.`;
  return { kind: 'instant', ms: Date.UTC(y, mo - 1, d, h, m, s) - zoneMin * 60_000 };
}

function timeOk(h: number, m: number, s: number): boolean {
  return h <= 23 && m <= 59 && s <= 59;
}

function daysInMonth(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** Minutes east of UTC of `Z`, `+01:00` or `-0530`; null past ±14:00. */
function zoneMinutes(zone: string): number | null {
  if (zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const min = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
  if (Number(digits.slice(2)) > 59 || min > 14 * 60) return null;
  return zone.startsWith('-') ? -min : min;
}

function resolve(form: Form, nowMs: number): number {
  switch (form.kind) {
    case 'delay':
      return nowMs + form.sec * 1000;
    case 'instant':
      return form.ms;
    case 'local':
      return new Date(form.y, form.mo - 1, form.d, form.h, form.m, form.s).getTime();
    case 'clock': {
      const now = new Date(nowMs);
      const today = new Date(now.getFullYear(), now.getMonth(), now.getDate(), form.h, form.m, form.s).getTime();
      if (today > nowMs) return today;
      return new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, form.h, form.m, form.s).getTime();
    }
  }
}
