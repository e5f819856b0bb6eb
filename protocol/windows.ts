// Run windows, pantasks-style: when jobs may start, as day-of-week and time-of-day ranges in
// the local time of the process (`mon-fri 19:00-08:00, sat-sun`): the grammar, its normalized
// text, the weekly spans it covers, and "open at this instant?" / "when does that change?".
// Instants become local wall-clock minutes through the offset the Date API gives for each
// instant (TZ honoured), never by adding 24 h, so days of 23 or 25 hours come out right.

/** Monday is 0, Sunday is 6 (the order the grammar's ranges run in). */
export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const FULL_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export const DAY_MIN = 1440;
export const WEEK_MIN = 7 * DAY_MIN;

/** One comma-separated item as written: a day range (null: every day), a time range (null: whole days). */
export interface WindowItem {
  readonly days: { readonly from: number; readonly to: number } | null;
  /** Minutes after midnight: from in 0..1439, to in 1..1440; to <= from wraps past midnight. */
  readonly times: { readonly from: number; readonly to: number } | null;
}

export interface Windows {
  readonly items: readonly WindowItem[];
  /** Open intervals in minutes of the week (0 = Monday 00:00), sorted, merged, [start, end). */
  readonly spans: readonly (readonly [number, number])[];
}

export const WINDOWS_HELP =
  "days as mon…sun or a range such as mon-fri, times as HH:MM-HH:MM, items separated by commas (e.g. 'mon-fri 19:00-08:00, sat-sun')";

const MAX_WINDOWS_TEXT = 1000;

export function parseWindows(text: string): Windows | { error: string } {
  if (text.length > MAX_WINDOWS_TEXT) return { error: `run windows are longer than ${MAX_WINDOWS_TEXT} characters; write ${WINDOWS_HELP}.` };
  if (text.trim() === '') return { error: `run windows are empty; write ${WINDOWS_HELP}.` };
  const items: WindowItem[] = [];
  for (const raw of text.split(',')) {
    const item = readItem(raw);
    if ('error' in item) return item;
    items.push(item);
  }
  return makeWindows(items);
}

function readItem(raw: string): WindowItem | { error: string } {
  // `mon - fri 19:00 - 08:00` is read as `mon-fri 19:00-08:00`.
  const words = raw.trim().toLowerCase().replace(/\s*-\s*/g, '-').split(/\s+/).filter((w) => w !== '');
  const shown = raw.trim();
  if (words.length === 0) return { error: `run windows have an empty item between commas; write ${WINDOWS_HELP}.` };
  if (words.length > 2) return { error: `run window '${shown}' has more than a day range and a time range; write ${WINDOWS_HELP}.` };
  const [first = '', second] = words;
  if (second !== undefined) {
    const days = readDays(first);
    if (days === null) return { error: `'${first}' in run window '${shown}' is not a day or a day range; write ${WINDOWS_HELP}.` };
    const times = readTimes(second);
    if (typeof times === 'string') return { error: `'${second}' in run window '${shown}' ${times}; write ${WINDOWS_HELP}.` };
    return { days, times };
  }
  const days = readDays(first);
  if (days !== null) return { days, times: null };
  if (!first.includes(':')) return { error: `'${first}' in run windows is not a day, a day range or a time range; write ${WINDOWS_HELP}.` };
  const times = readTimes(first);
  if (typeof times === 'string') return { error: `'${first}' in run windows ${times}; write ${WINDOWS_HELP}.` };
  return { days: null, times };
}

function dayIndex(word: string): number | null {
  const i = DAY_NAMES.findIndex((d) => d === word);
  if (i >= 0) return i;
  const j = FULL_NAMES.indexOf(word);
  return j >= 0 ? j : null;
}

function readDays(word: string): WindowItem['days'] {
  const parts = word.split('-');
  if (parts.length > 2) return null;
  const from = dayIndex(parts[0] ?? '');
  const to = parts.length === 2 ? dayIndex(parts[1] ?? '') : from;
  return from === null || to === null ? null : { from, to };
}

/** The time range, or what is wrong with it (a phrase that follows the range). */
function readTimes(word: string): NonNullable<WindowItem['times']> | string {
  const m = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(word);
  if (m === null) return 'is not a time range HH:MM-HH:MM';
  const from = clock(m[1], m[2]);
  const to = clock(m[3], m[4]);
  if (from === null || from >= DAY_MIN) return 'starts at a time that does not exist (00:00 to 23:59)';
  if (to === null || to === 0) return 'ends at a time that does not exist (00:01 to 24:00)';
  if (from === to) return 'is empty (it starts where it ends); to mean whole days leave the times out';
  return { from, to };
}

function clock(h: string | undefined, m: string | undefined): number | null {
  const hours = Number(h);
  const minutes = Number(m);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes > 0)) return null;
  return hours * 60 + minutes;
}

/** The windows of `items` (none: never open), with the weekly spans they cover. */
export function makeWindows(items: readonly WindowItem[]): Windows {
  const raw: [number, number][] = [];
  for (const item of items) {
    const { from, to } = item.times ?? { from: 0, to: DAY_MIN };
    const length = to > from ? to - from : to + DAY_MIN - from;
    for (const day of daysOf(item.days)) {
      const start = day * DAY_MIN + from;
      const end = start + length;
      if (end <= WEEK_MIN) raw.push([start, end]);
      else raw.push([start, WEEK_MIN], [0, end - WEEK_MIN]);
    }
  }
  return { items, spans: merge(raw) };
}

function daysOf(days: WindowItem['days']): number[] {
  if (days === null) return [0, 1, 2, 3, 4, 5, 6];
  const out = [days.from];
  for (let d = days.from; d !== days.to; ) {
    d = (d + 1) % 7;
    out.push(d);
  }
  return out;
}

function merge(spans: [number, number][]): [number, number][] {
  spans.sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [start, end] of spans) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

/** Whether minute `m` of the week (0 = Monday 00:00) is inside a window. */
export function openAtWeekMinute(w: Windows, m: number): boolean {
  return w.spans.some(([start, end]) => start <= m && m < end);
}

/** The normalized text: lower-case three-letter days, HH:MM times, `, ` between items. */
export function describeWindows(w: Windows): string {
  return w.items.map(describeItem).join(', ');
}

function describeItem(item: WindowItem): string {
  const parts: string[] = [];
  if (item.days !== null) {
    const { from, to } = item.days;
    parts.push(from === to ? DAY_NAMES[from] ?? '' : `${DAY_NAMES[from] ?? ''}-${DAY_NAMES[to] ?? ''}`);
  }
  if (item.times !== null) parts.push(`${hhmm(item.times.from)}-${hhmm(item.times.to)}`);
  return parts.join(' ');
}

function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

// --- instants ----------------------------------------------------------------------------

const MIN_MS = 60_000;
const WEEK_MS = WEEK_MIN * MIN_MS;
/** 1970-01-05 was a Monday: wall-clock ms minus this, modulo a week, is the time of the week. */
const MONDAY_MS = 4 * DAY_MIN * MIN_MS;

/** Milliseconds east of UTC at instant `t`, as the local time zone has it then. */
function offsetMs(t: number): number {
  return -new Date(t).getTimezoneOffset() * MIN_MS;
}

function weekMinute(wallMs: number): number {
  const inWeek = (((wallMs - MONDAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS;
  return Math.floor(inWeek / MIN_MS);
}

export function isOpen(w: Windows, atMs: number): boolean {
  return openAtWeekMinute(w, weekMinute(atMs + offsetMs(atMs)));
}

/** Minutes of the week where the state changes (empty: always or never open). */
function boundaries(w: Windows): number[] {
  const out = new Set<number>();
  for (const [start, end] of w.spans) {
    for (const m of [start, end % WEEK_MIN]) {
      if (openAtWeekMinute(w, m) !== openAtWeekMinute(w, (m + WEEK_MIN - 1) % WEEK_MIN)) out.add(m);
    }
  }
  return [...out];
}

/**
 * The first instant after `atMs` at which isOpen changes, or null when it never does. Between
 * two changes of the UTC offset the wall clock runs evenly, so a boundary's instant is its
 * wall-clock time minus the offset; at an offset change the wall clock jumps, which may open or
 * close a window by itself (a window starting in the hour a spring-forward skips opens at the jump).
 */
export function nextChange(w: Windows, atMs: number): number | null {
  const marks = boundaries(w);
  if (marks.length === 0) return null;
  const state = isOpen(w, atMs);
  // A weekly pattern with a boundary changes within a week plus the largest offset jump.
  const horizon = atMs + WEEK_MS + 2 * DAY_MIN * MIN_MS;
  for (let from = atMs; from < horizon; ) {
    const offset = offsetMs(from);
    const crossing = firstCrossing(marks, from + offset) - offset;
    const jump = nextOffsetChange(from, crossing);
    if (jump === null) return crossing;
    if (isOpen(w, jump) !== state) return jump;
    from = jump;
  }
  return null;
}

/** The first wall-clock time strictly after `wallMs` that is one of the weekly marks. */
function firstCrossing(marks: readonly number[], wallMs: number): number {
  let best = Infinity;
  for (const m of marks) {
    const base = MONDAY_MS + m * MIN_MS;
    const k = Math.floor((wallMs - base) / WEEK_MS) + 1;
    best = Math.min(best, base + k * WEEK_MS);
  }
  return best;
}

const PROBE_MS = 3600_000;

/** The first instant in (from, until] whose UTC offset differs from that at `from`, or null. */
function nextOffsetChange(from: number, until: number): number | null {
  const offset = offsetMs(from);
  for (let t = from; t < until; t += PROBE_MS) {
    const next = Math.min(t + PROBE_MS, until);
    if (offsetMs(next) === offset) continue;
    let lo = t; // lo has the old offset, hi the new one
    let hi = next;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetMs(mid) === offset) lo = mid;
      else hi = mid;
    }
    return hi;
  }
  return null;
}
