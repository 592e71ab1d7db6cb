/*
 * The login throttle policy as a table: free failures, a doubling delay with a cap, a delay
 * that runs from the last failure only, forgotten counters, and the per-address cap.
 */
import t from 'tap';
import { delayAfter, waitMs, policies, throttleKeys, FORGET_MS, LoginThrottled } from '../../../server/auth/throttle.js';

const p = { free: 5, baseMs: 1000, capMs: 900_000 };

t.test('delayAfter: free failures, then doubling up to the cap', async (t) => {
  const table: Array<[number, number]> = [
    [0, 0], [1, 0], [4, 0], [5, 1000], [6, 2000], [7, 4000], [10, 32_000], [14, 512_000],
    [15, 900_000], [16, 900_000], [1000, 900_000], [Number.MAX_SAFE_INTEGER, 900_000],
  ];
  for (const [n, ms] of table) t.equal(delayAfter(n, p), ms, `${n} failures`);
});

t.test('policies from config: per address 4x the free failures and a one-minute cap', async (t) => {
  const { pair, address } = policies({ loginMaxFailures: 5, loginWindowMinutes: 15 });
  t.same(pair, { free: 5, baseMs: 1000, capMs: 900_000 });
  t.same(address, { free: 20, baseMs: 1000, capMs: 60_000 });
  t.equal(policies({ loginMaxFailures: 2, loginWindowMinutes: 0.5 as number }).address.capMs, 30_000, 'never above the per-user cap');
  t.equal(delayAfter(100, address), 60_000, '100 failures on made-up names: an address waits a minute at most');
});

t.test('waitMs: the longest delay still running, counted from the last failure', async (t) => {
  const now = 10_000_000;
  const addr = { free: 20, baseMs: 1000, capMs: 60_000 };
  const cases: Array<[string, Array<[{ count: number; lastFailureAt: number } | undefined, typeof p]>, number]> = [
    ['no counters', [[undefined, p], [undefined, addr]], 0],
    ['free failures', [[{ count: 4, lastFailureAt: now }, p]], 0],
    ['delay running', [[{ count: 5, lastFailureAt: now - 400 }, p]], 600],
    ['delay over', [[{ count: 5, lastFailureAt: now - 1000 }, p]], 0],
    ['the longer of two', [[{ count: 6, lastFailureAt: now }, p], [{ count: 22, lastFailureAt: now - 1000 }, addr]], 3000],
    ['address only', [[{ count: 1, lastFailureAt: now }, p], [{ count: 30, lastFailureAt: now - 10_000 }, addr]], 50_000],
    ['forgotten after a quiet day', [[{ count: 50, lastFailureAt: now - FORGET_MS }, p]], 0],
  ];
  for (const [name, counters, want] of cases) t.equal(waitMs(now, counters.map(([counter, policy]) => ({ counter, policy }))), want, name);
});

t.test('keys: case-insensitive usernames, bounded length, one per address', async (t) => {
  t.same(throttleKeys(' Admin ', '10.0.0.1'), { pair: 'u:admin|10.0.0.1', address: 'ip:10.0.0.1' });
  t.equal(throttleKeys('x'.repeat(5000), '::1').pair.length, 'u:'.length + 100 + '|::1'.length);
});

t.test('LoginThrottled: a 429 with Retry-After in whole seconds', async (t) => {
  const e = new LoginThrottled(1500);
  t.equal(e.status, 429);
  t.equal(e.code, 'rate_limited');
  t.equal(e.retryAfterSec, 2);
  t.match(e.message, /try again in 2 seconds/);
  t.equal(new LoginThrottled(1).retryAfterSec, 1);
  t.match(new LoginThrottled(1).message, /try again in 1 second$/);
  t.match(new LoginThrottled(900_000).message, /15 minutes/);
});
