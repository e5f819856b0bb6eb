// Unit tests for coord/core/clock.ts: timers fire in deadline order on a ManualClock,
// a cancelled one never fires, and an offset clock fires a timer when its file moves
// time past the deadline (not before), and reaches deadlines beyond setTimeout's limit.

import fs from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock, offsetClock, systemClock } from '../../coord/core/clock.js';
import { waitFor } from '../helpers/wait.js';

t.test('ManualClock: time moves only by advance, timers fire in deadline order', async (t) => {
  const c = new ManualClock(1000);
  const fired: string[] = [];
  c.after(300, () => fired.push(`b@${c.now()}`));
  c.after(100, () => fired.push(`a@${c.now()}`));
  const cancelled = c.after(200, () => fired.push('never'));
  c.after(100, () => fired.push(`a2@${c.now()}`));
  cancelled.cancel();
  c.advance(99);
  t.same(fired, [], 'nothing before its deadline');
  c.advance(1);
  t.same(fired, ['a@1100', 'a2@1100'], 'equal deadlines fire in the order they were set');
  c.advance(10_000);
  t.same(fired, ['a@1100', 'a2@1100', 'b@1300'], 'each fires once, at its own time');
  t.equal(c.now(), 11_100);
  t.equal(c.pendingTimers, 0);
  const chain: number[] = [];
  c.after(10, () => {
    chain.push(c.now());
    c.after(10, () => chain.push(c.now()));
  });
  c.advance(100);
  t.same(chain, [11_110, 11_120], 'a timer set by a timer fires within the same advance');
});

t.test('offset clock: a jump in the file fires what it passes, and only that', async (t) => {
  const file = join(t.testdir({ clock: '0\n' }), 'clock');
  const c = offsetClock(file, 10);
  const fired: string[] = [];
  const start = c.now();
  c.after(3_600_000, () => fired.push('hour'));
  const later = c.after(7_200_000, () => fired.push('two hours'));
  fs.writeFileSync(file, '3600500\n');
  await waitFor('the hour timer to fire', () => fired.includes('hour'), 5000);
  t.ok(c.now() - start >= 3_600_000, 'the clock moved an hour');
  t.same(fired, ['hour'], 'the two-hour timer has not fired');
  fs.writeFileSync(file, 'garbage\n');
  t.same(fired, ['hour'], 'an unreadable file counts as no offset, firing nothing');
  later.cancel();
});

t.test('system clock: a deadline beyond 24.8 days does not fire at once', async (t) => {
  const c = systemClock();
  let fired = false;
  const timer = c.after(30 * 24 * 3600 * 1000, () => (fired = true));
  const soon = await new Promise<boolean>((resolve) => c.after(50, () => resolve(fired)));
  t.equal(soon, false, 'a 30-day timer is still waiting 50 ms later');
  timer.cancel();
});
