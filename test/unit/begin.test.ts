// Unit tests for protocol/begin.ts: every form of a --begin time resolved against a given
// "now", in a zone with summer time (Europe/Athens, UTC+2, +3 in summer), and every
// rejection with its message.

import t, { type Test } from 'tap';
import { beginError, parseBegin } from '../../protocol/begin.js';

const HELP = 'write a time of day such as 22:00, a delay such as +2h or +1h30m, or a date such as 2026-12-24 or 2026-12-24 22:00 (local time; add Z or +01:00 for another zone).';

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

t.test('times of day: today when still ahead, else tomorrow, by the local calendar', async (t) => {
  inZone(t, 'Europe/Athens', () => {
    const sat2100 = Date.UTC(2026, 2, 28, 19); // Saturday 21:00 EET
    t.equal(parseBegin('22:00', sat2100), Date.UTC(2026, 2, 28, 20), '22:00 is still ahead: today');
    t.equal(parseBegin('21:00', sat2100), Date.UTC(2026, 2, 29, 18), '21:00 is now, not ahead: tomorrow, 21:00 EEST (23 hours later)');
    t.equal(parseBegin('9:05', sat2100), Date.UTC(2026, 2, 29, 6, 5), '9:05 tomorrow, in summer time');
    t.equal(parseBegin('21:00:01', sat2100), sat2100 + 1000, 'seconds count');
    t.equal(parseBegin(' 23:59 ', sat2100), Date.UTC(2026, 2, 28, 21, 59), 'spaces around are ignored');
    const oct = Date.UTC(2026, 9, 24, 20); // Saturday 23:00 EEST, the night the clocks go back
    t.equal(parseBegin('22:00', oct), Date.UTC(2026, 9, 25, 20), "tomorrow 22:00 EET, 25 hours after today's 22:00 EEST");
    t.equal(parseBegin('00:00', oct), Date.UTC(2026, 9, 24, 21), 'midnight: the next one');
  });
});

t.test('delays from now', async (t) => {
  const now = 1_800_000_000_000;
  t.equal(parseBegin('+2h', now), now + 7200_000);
  t.equal(parseBegin('+90m', now), now + 5400_000);
  t.equal(parseBegin('+1h30m', now), now + 5400_000);
  t.equal(parseBegin('+90', now), now + 90_000, 'a bare number is seconds, as for every duration');
  t.equal(parseBegin('+1d', now), now + 86_400_000);
});

t.test('dates and date-times: local, or with a zone', async (t) => {
  inZone(t, 'Europe/Athens', () => {
    const now = Date.UTC(2026, 5, 1);
    t.equal(parseBegin('2026-12-24', now), Date.UTC(2026, 11, 23, 22), 'a date is its local midnight (EET, UTC+2)');
    t.equal(parseBegin('2026-12-24T22:00', now), Date.UTC(2026, 11, 24, 20));
    t.equal(parseBegin('2026-12-24 22:00', now), Date.UTC(2026, 11, 24, 20));
    t.equal(parseBegin('2026-12-24 22:00:30', now), Date.UTC(2026, 11, 24, 20, 0, 30));
    t.equal(parseBegin('2026-07-01 08:00', now), Date.UTC(2026, 6, 1, 5), 'in summer the offset is +3');
    t.equal(parseBegin('2026-12-24T22:00Z', now), Date.UTC(2026, 11, 24, 22), 'Z is UTC');
    t.equal(parseBegin('2026-12-24t22:00z', now), Date.UTC(2026, 11, 24, 22), 'any case');
    t.equal(parseBegin('2026-12-24T22:00+01:00', now), Date.UTC(2026, 11, 24, 21), '+01:00');
    t.equal(parseBegin('2026-12-24 22:00-0530', now), Date.UTC(2026, 11, 25, 3, 30), '-0530');
    t.equal(parseBegin('2020-01-01', now), new Date(2020, 0, 1).getTime(), 'a time already past is accepted (no wait)');
    t.equal(parseBegin('2027-06-01', now), Date.UTC(2027, 4, 31, 21), 'a year ahead, just');
  });
});

t.test('rejections name the text and the forms', async (t) => {
  const now = Date.UTC(2026, 5, 1);
  const cases: [string, string][] = [
    ['', `'' is not a begin time; ${HELP}`],
    ['tomorrow', `'tomorrow' is not a begin time; ${HELP}`],
    ['+', `'+' is not a begin time; ${HELP}`],
    ['+0', `'+0' is not a begin time; ${HELP}`],
    ['+2 hours', `'+2 hours' is not a begin time; ${HELP}`],
    ['-2h', `'-2h' is not a begin time; ${HELP}`],
    ['24:00', `'24:00' is not a time of day (00:00 to 23:59); ${HELP}`],
    ['12:60', `'12:60' is not a time of day (00:00 to 23:59); ${HELP}`],
    ['2026-02-29', `'2026-02-29' is not a date of the calendar; ${HELP}`],
    ['2026-13-01', `'2026-13-01' is not a date of the calendar; ${HELP}`],
    ['1969-12-31', `'1969-12-31' is not a date of the calendar; ${HELP}`],
    ['2026-12-24 25:00', `'2026-12-24 25:00' has no such time of day (00:00 to 23:59); ${HELP}`],
    ['2026-12-24Z', `'2026-12-24Z' is not a begin time; ${HELP}`],
    ['2026-12-24T22:00+15:00', `'2026-12-24T22:00+15:00' has an offset that does not exist (at most ±14:00); ${HELP}`],
    ['2026-12-24T22:00+01:60', `'2026-12-24T22:00+01:60' has an offset that does not exist (at most ±14:00); ${HELP}`],
    ['26-12-24', `'26-12-24' is not a begin time; ${HELP}`],
    ['2027-06-03', `begin time '2027-06-03' is more than a year ahead; ${HELP}`],
    ['+400d', `begin time '+400d' is more than a year ahead; ${HELP}`],
  ];
  for (const [text, message] of cases) t.strictSame(parseBegin(text, now), { error: message }, `'${text}'`);
  t.equal(beginError('22:00'), null, 'beginError: a valid form');
  t.equal(beginError('+2h'), null);
  t.equal(beginError('2099-01-01'), null, 'beginError checks the form only, not how far ahead');
  t.equal(beginError('2026-02-30'), `'2026-02-30' is not a date of the calendar; ${HELP}`);
});
