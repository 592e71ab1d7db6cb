/*
 * The submission AUTH throttle as a table: no delay without failures, doubling to 16× the
 * base, the worse of connection and address counts, the cut-off, forgetting, and a success
 * clearing its address.
 */
import t from 'tap';
import { authDelayMs, createAuthThrottle, FORGET_MS } from '../../../server/inbound/authThrottle.js';

const p = { baseDelayMs: 500, maxFailures: 5 };

t.test('authDelayMs doubles up to 16 × the base', async (t) => {
  for (const [n, ms] of [[0, 0], [1, 500], [2, 1000], [3, 2000], [5, 8000], [6, 8000], [1e6, 8000]] as const) t.equal(authDelayMs(n, p), ms, `${n} failures`);
});

t.test('per address and per connection; cut-off; forgotten; cleared by a success', async (t) => {
  let now = 1_000_000;
  const th = createAuthThrottle(p, () => now);
  t.equal(th.delayFor('1.2.3.4', 0), 0);
  for (let i = 1; i <= 4; i++) t.equal(th.failed('1.2.3.4', i), false, `failure ${i} keeps the connection`);
  t.equal(th.failed('1.2.3.4', 5), true, 'the 5th failure on a connection closes it');
  t.equal(th.delayFor('1.2.3.4', 0), 8000, 'a new connection from the address waits');
  t.equal(th.delayFor('5.6.7.8', 2), 1000, "another address: its connection's own failures");
  now += FORGET_MS + 1;
  t.equal(th.delayFor('1.2.3.4', 0), 0, 'forgotten after a quiet quarter hour');
  th.failed('1.2.3.4', 1);
  th.succeeded('1.2.3.4');
  t.equal(th.delayFor('1.2.3.4', 0), 0, 'a right secret clears the address');
});
