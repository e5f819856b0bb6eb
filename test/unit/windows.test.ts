// Unit tests for protocol/windows.ts: the grammar and its normalized text, bad inputs with
// their messages, and isOpen / nextChange checked minute by minute over whole weeks of test
// time against an independent reading of the local clock (Date's local fields), in UTC and
// in zones with summer time, across the nights the clocks change.

import t, { type Test } from 'tap';
import { describeWindows, isOpen, makeWindows, nextChange, parseWindows, type Windows } from '../../protocol/windows.js';

const MIN = 60_000;

function windows(t: Test, text: string): Windows {
  const w = parseWindows(text);
  if ('error' in w) {
    t.fail(`'${text}' should parse: ${w.error}`);
    return makeWindows([]);
  }
  return w;
}

function errorOf(text: string): string {
  const w = parseWindows(text);
  return 'error' in w ? w.error : `(parsed as ${describeWindows(w)})`;
}

/** Runs `body` with the process in time zone `tz`, restoring the zone after. */
function inZone(t: Test, tz: string, body: () => void): void {
  const before = process.env['TZ'];
  process.env['TZ'] = tz;
  try {
    body();
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
  t.pass(`ran in ${tz}`);
}

/** 0 = Monday … 6 = Sunday, and minutes after midnight, from Date's local fields. */
function localClock(ms: number): { day: number; min: number } {
  const d = new Date(ms);
  return { day: (d.getDay() + 6) % 7, min: d.getHours() * 60 + d.getMinutes() };
}

type Oracle = (day: number, min: number) => boolean;

/**
 * Steps minute by minute over `days` days from `startMs`: isOpen must agree with `oracle`
 * everywhere, and nextChange (from each minute and from 30 s past it) must name the minute
 * the oracle next flips.
 */
function checkWeek(t: Test, w: Windows, oracle: Oracle, startMs: number, days = 8): void {
  const n = days * 1440;
  const open: boolean[] = [];
  for (let i = 0; i <= n + 1440; i++) {
    const { day, min } = localClock(startMs + i * MIN);
    open.push(oracle(day, min));
  }
  const flipAfter: (number | null)[] = new Array<number | null>(open.length).fill(null);
  for (let i = open.length - 2; i >= 0; i--) flipAfter[i] = open[i + 1] !== open[i] ? i + 1 : (flipAfter[i + 1] ?? null);
  let wrongOpen = 0;
  let wrongNext = 0;
  let flips = 0;
  for (let i = 0; i < n; i++) {
    const at = startMs + i * MIN;
    if (isOpen(w, at) !== open[i]) wrongOpen += 1;
    if (isOpen(w, at + 30_000) !== open[i]) wrongOpen += 1;
    const expected = flipAfter[i];
    if (expected === null || expected === undefined) continue;
    if (open[i + 1] !== open[i]) flips += 1;
    const want = startMs + expected * MIN;
    if (nextChange(w, at) !== want) wrongNext += 1;
    if (nextChange(w, at + 30_000) !== want) wrongNext += 1;
    if (wrongNext === 1 && nextChange(w, at) !== want) {
      t.fail(`first nextChange mismatch at ${new Date(at).toString()}: got ${String(nextChange(w, at))}, want ${new Date(want).toString()}`);
      wrongNext += 1;
    }
  }
  t.equal(wrongOpen, 0, `isOpen agrees with the local clock for ${n} minutes (${describeWindows(w)})`);
  t.equal(wrongNext, 0, `nextChange names the next flip from every minute (${flips} flips)`);
  t.ok(flips > 0, 'the week has flips');
}

const NIGHTS_AND_WEEKENDS: Oracle = (day, min) =>
  day >= 5 || (day <= 4 && min >= 19 * 60) || (day >= 1 && day <= 5 && min < 8 * 60);

t.test('grammar: items, ranges, case, spaces, full names, normalized text', async (t) => {
  const cases: [string, string][] = [
    ['mon-fri 19:00-08:00, sat-sun', 'mon-fri 19:00-08:00, sat-sun'],
    ['MON-FRI 19:00-08:00,SAT-SUN', 'mon-fri 19:00-08:00, sat-sun'],
    ['  mon - fri   9:00 - 17:30 ', 'mon-fri 09:00-17:30'],
    ['Monday', 'mon'],
    ['saturday-sunday', 'sat-sun'],
    ['fri-mon 22:00-02:30', 'fri-mon 22:00-02:30'],
    ['12:00-24:00', '12:00-24:00'],
    ['sat,sun', 'sat, sun'],
    ['wed-wed', 'wed'],
    ['00:00-00:01', '00:00-00:01'],
  ];
  for (const [text, normal] of cases) {
    const w = parseWindows(text);
    t.equal('error' in w ? w.error : describeWindows(w), normal, `'${text}'`);
    t.same(parseWindows(normal), w, `'${normal}' reads the same`);
  }
  const w = windows(t, 'mon-fri 19:00-08:00, sat-sun');
  t.strictSame(w.spans, [[1140, 1920], [2580, 3360], [4020, 4800], [5460, 6240], [6900, 10080]], 'weekly spans merge Friday night into the weekend');
  t.strictSame(windows(t, 'sun 22:00-02:00').spans, [[0, 120], [9960, 10080]], 'a Sunday night wraps into Monday morning');
});

t.test('grammar: bad inputs, one sentence naming the bad part and the form', async (t) => {
  const form = "write days as mon…sun or a range such as mon-fri, times as HH:MM-HH:MM, items separated by commas (e.g. 'mon-fri 19:00-08:00, sat-sun').";
  const cases: [string, string][] = [
    ['', `run windows are empty; ${form}`],
    ['   ', `run windows are empty; ${form}`],
    ['mon-fry', `'mon-fry' in run windows is not a day, a day range or a time range; ${form}`],
    ['mon,,tue', `run windows have an empty item between commas; ${form}`],
    ['mon 9:00-17:00 extra', `run window 'mon 9:00-17:00 extra' has more than a day range and a time range; ${form}`],
    ['weekdays 9:00-17:00', `'weekdays' in run window 'weekdays 9:00-17:00' is not a day or a day range; ${form}`],
    ['mon 9-17', `'9-17' in run window 'mon 9-17' is not a time range HH:MM-HH:MM; ${form}`],
    ['mon 25:00-26:00', `'25:00-26:00' in run window 'mon 25:00-26:00' starts at a time that does not exist (00:00 to 23:59); ${form}`],
    ['24:00-02:00', `'24:00-02:00' in run windows starts at a time that does not exist (00:00 to 23:59); ${form}`],
    ['10:00-24:01', `'10:00-24:01' in run windows ends at a time that does not exist (00:01 to 24:00); ${form}`],
    ['10:60-11:00', `'10:60-11:00' in run windows starts at a time that does not exist (00:00 to 23:59); ${form}`],
    ['10:00-00:00', `'10:00-00:00' in run windows ends at a time that does not exist (00:01 to 24:00); ${form}`],
    ['sat 10:00-10:00', `'10:00-10:00' in run window 'sat 10:00-10:00' is empty (it starts where it ends); to mean whole days leave the times out; ${form}`],
    ['mon-tue-wed', `'mon-tue-wed' in run windows is not a day, a day range or a time range; ${form}`],
    ['x'.repeat(1001), `run windows are longer than 1000 characters; ${form}`],
  ];
  for (const [text, message] of cases) t.equal(errorOf(text), message, `'${text.slice(0, 30)}'`);
});

t.test('a week in UTC: nights and weekends, minute by minute', async (t) => {
  inZone(t, 'UTC', () => {
    // 2026-01-05 is a Monday; start the Sunday before so Monday's closed morning is inside.
    checkWeek(t, windows(t, 'mon-fri 19:00-08:00, sat-sun'), NIGHTS_AND_WEEKENDS, Date.UTC(2026, 0, 4));
    const instant = Date.UTC(2026, 0, 9, 18, 59, 59, 999); // Friday, a millisecond before 19:00
    const w = windows(t, 'mon-fri 19:00-08:00, sat-sun');
    t.equal(isOpen(w, instant), false, 'Friday 18:59:59.999 is outside');
    t.equal(nextChange(w, instant), Date.UTC(2026, 0, 9, 19), 'it opens at 19:00');
    t.equal(nextChange(w, Date.UTC(2026, 0, 9, 19)), Date.UTC(2026, 0, 12, 0), 'and closes when the weekend ends, Monday 00:00');
  });
});

t.test('wrap-around: a range of days that wraps the week, times that wrap midnight', async (t) => {
  inZone(t, 'UTC', () => {
    // fri-mon 22:00-02:30 = Fri, Sat, Sun, Mon nights, each ending the next morning (Tue 02:30 last).
    const fri = (day: number): boolean => day === 4 || day === 5 || day === 6 || day === 0;
    const oracle: Oracle = (day, min) => (fri(day) && min >= 22 * 60) || (fri((day + 6) % 7) && min < 150);
    checkWeek(t, windows(t, 'fri-mon 22:00-02:30'), oracle, Date.UTC(2026, 0, 7));
    const tue = Date.UTC(2026, 0, 13, 2, 0);
    t.equal(isOpen(windows(t, 'fri-mon 22:00-02:30'), tue), true, 'Tuesday 02:00 belongs to Monday night');
    t.equal(isOpen(windows(t, 'fri-mon 22:00-02:30'), Date.UTC(2026, 0, 14, 2, 0)), false, 'Wednesday 02:00 does not');
    checkWeek(t, windows(t, '09:00-17:00'), (_d, min) => min >= 540 && min < 1020, Date.UTC(2026, 0, 5), 2);
  });
});

t.test('always open and never open: no change, ever', async (t) => {
  inZone(t, 'America/New_York', () => {
    const at = new Date(2026, 2, 8, 1, 30).getTime(); // half an hour before the clocks go forward
    for (const text of ['mon-sun', '00:00-24:00', 'mon-fri, sat-sun', 'fri-thu', 'sun-sat 00:00-24:00', 'mon 12:00-12:01, 00:00-24:00']) {
      const w = windows(t, text);
      t.equal(nextChange(w, at), null, `'${text}' never changes`);
      t.equal(isOpen(w, at) && isOpen(w, at + 3 * 3600_000), true, `'${text}' is open across the change of time`);
    }
    const never = makeWindows([]);
    t.equal(isOpen(never, at), false, 'no windows: never open');
    t.equal(nextChange(never, at), null, 'no windows: never changes');
  });
});

t.test('summer time in Europe/Athens: spring forward (03:00 -> 04:00) and fall back (04:00 -> 03:00)', async (t) => {
  inZone(t, 'Europe/Athens', () => {
    // 2026-03-29 and 2026-10-25 are the Sundays the clocks change.
    checkWeek(t, windows(t, 'mon-fri 19:00-08:00, sat-sun'), NIGHTS_AND_WEEKENDS, Date.UTC(2026, 2, 25));
    checkWeek(t, windows(t, 'mon-fri 19:00-08:00, sat-sun'), NIGHTS_AND_WEEKENDS, Date.UTC(2026, 9, 21));
    const nights = windows(t, 'mon-fri 19:00-08:00, sat-sun');
    t.equal(nextChange(nights, Date.UTC(2026, 2, 28, 12)), Date.UTC(2026, 2, 29, 21), 'the weekend ends Monday 00:00 EEST, Sunday 21:00 UTC (not 22:00: Sunday had 23 hours)');
    t.equal(nextChange(nights, Date.UTC(2026, 2, 29, 21)), Date.UTC(2026, 2, 30, 16), 'and Monday night starts at 19:00 EEST, 16:00 UTC');
    // A window in the skipped hour opens at the jump.
    const skipped = windows(t, 'sun 03:30-05:00');
    const before = Date.UTC(2026, 2, 28, 22); // Sun 00:00 EET
    t.equal(nextChange(skipped, before), Date.UTC(2026, 2, 29, 1), '03:30 does not exist: it opens when 03:00 EET becomes 04:00 EEST');
    t.equal(nextChange(skipped, Date.UTC(2026, 2, 29, 1)), Date.UTC(2026, 2, 29, 2), 'and closes at 05:00 EEST');
    checkWeek(t, skipped, (day, min) => day === 6 && min >= 210 && min < 300, Date.UTC(2026, 2, 28), 2);
    // The repeated hour opens a window twice; a jump back can close one.
    const twice = windows(t, 'sun 03:00-03:30');
    const sat = Date.UTC(2026, 9, 24, 20);
    const seq: (number | null)[] = [];
    for (let at: number | null = sat; seq.length < 4 && at !== null; ) seq.push((at = nextChange(twice, at)));
    t.strictSame(seq, [0, 30, 60, 90].map((m) => Date.UTC(2026, 9, 25, 0, m)), '03:00-03:30 happens twice: 00:00-00:30 and 01:00-01:30 UTC');
    const late = windows(t, 'sun 03:30-04:30');
    t.strictSame([nextChange(late, sat), nextChange(late, Date.UTC(2026, 9, 25, 0, 30))], [Date.UTC(2026, 9, 25, 0, 30), Date.UTC(2026, 9, 25, 1)], 'going back from 04:00 to 03:00 closes 03:30-04:30 at the jump');
    t.equal(nextChange(late, Date.UTC(2026, 9, 25, 1)), Date.UTC(2026, 9, 25, 1, 30), 'and it opens again at 03:30 EET');
  });
});

t.test('summer time in America/New_York: a week of nights over each change', async (t) => {
  inZone(t, 'America/New_York', () => {
    // 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
    checkWeek(t, windows(t, 'mon-fri 19:00-08:00, sat-sun'), NIGHTS_AND_WEEKENDS, Date.UTC(2026, 2, 4));
    checkWeek(t, windows(t, 'mon-fri 19:00-08:00, sat-sun'), NIGHTS_AND_WEEKENDS, Date.UTC(2026, 9, 28));
    checkWeek(t, windows(t, '01:30-02:30'), (_d, min) => min >= 90 && min < 150, Date.UTC(2026, 2, 7), 3);
    checkWeek(t, windows(t, '01:30-02:30'), (_d, min) => min >= 90 && min < 150, Date.UTC(2026, 9, 31), 3);
    const w = windows(t, '22:00-06:00');
    const open = Date.UTC(2026, 2, 8, 3); // Sat 22:00 EST
    t.equal(nextChange(w, open), Date.UTC(2026, 2, 8, 10), 'the night of the change is 7 hours long: 06:00 EDT is 10:00 UTC');
  });
});
