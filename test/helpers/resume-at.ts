// The time a `pause-all --for` answer says everything resumes at, as the coordinator
// writes it: `HH:MM:SS` today, `YYYY-MM-DD HH:MM:SS` when that is another day (a pause
// taken two hours before midnight), in the machine's local time.

import type { Test } from 'tap';

/** The pattern of that time in an answer (one capture group: the whole time text). */
export const RESUME_AT = '((?:\\d{4}-\\d\\d-\\d\\d )?\\d\\d:\\d\\d:\\d\\d)';

function dateOf(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function timeOf(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * Checks `at` (the captured time text) against `expected` (ms since the epoch): within 2 s,
 * with the date exactly when it is not the day of `now`. Returns `at` (status repeats it).
 */
export function checkResumeAt(t: Test, at: string | undefined, expected: number, now: number, what: string): string {
  const text = at ?? '';
  const candidates = [expected - 2000, expected - 1000, expected, expected + 1000, expected + 2000].map((ms) => {
    const d = new Date(ms);
    return dateOf(d) === dateOf(new Date(now)) ? timeOf(d) : `${dateOf(d)} ${timeOf(d)}`;
  });
  t.ok(candidates.includes(text), `it resumes at ${JSON.stringify(text)}, ${what} (within 2 s of ${candidates[2] ?? '?'})`);
  return text;
}
