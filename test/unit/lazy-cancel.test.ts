// coord/api/lazy-cancel.ts: the signal is made on first use and tells the same as an
// AbortController made up front would, whether the cancel came before or after.

import t from 'tap';
import { LazyCancel } from '../../coord/api/lazy-cancel.js';

t.test('never cancelled: a signal that is not aborted, the same one each time', async (t) => {
  const c = new LazyCancel();
  t.equal(c.signal.aborted, false);
  t.equal(c.signal, c.signal);
});

t.test('cancelled before anything asked: the signal, made later, is aborted', async (t) => {
  const c = new LazyCancel();
  c.abort();
  t.equal(c.signal.aborted, true);
});

t.test('cancelled after the signal was taken: its listeners hear it once', async (t) => {
  const c = new LazyCancel();
  const signal = c.signal;
  let heard = 0;
  signal.addEventListener('abort', () => (heard += 1));
  c.abort();
  c.abort();
  t.equal(signal.aborted, true);
  t.equal(heard, 1);
});
