/*
 * The memo behind a hit's lookups: a loaded value comes back without a promise until it
 * expires, loads in flight are shared, a failed load is forgotten, and it holds at most `max` keys.
 */
import t from 'tap';
import { syncMemo } from '../../../server/tracking/syncMemo.js';

t.test('values are synchronous once loaded, shared while loading, expire, bounded', async (t) => {
  let clock = 0;
  const loads: number[] = [];
  const m = syncMemo(async (k: number) => { loads.push(k); return k * 10; }, { max: 2, ttlMs: 100, now: () => clock });
  const a = m(1), b = m(1);
  t.ok(a instanceof Promise, 'first ask: a promise');
  t.equal(a, b, 'one load shared by two asks');
  t.equal(await a, 10);
  t.equal(m(1), 10, 'then the value itself');
  clock = 99;
  t.equal(m(1), 10, 'until ttl');
  clock = 100;
  t.equal(await m(1), 10, 'expired: loaded again');
  t.same(loads, [1, 1]);
  await m(2); await m(3); // a third key pushes out the oldest (1)
  t.equal(m(3), 30);
  t.ok(m(1) instanceof Promise, 'key 1 was forgotten (bounded)');
});

t.test('a failed load is forgotten', async (t) => {
  let fail = true;
  const m = syncMemo(async (k: string) => { if (fail) throw new Error('down'); return k; }, { max: 5, ttlMs: 1000 });
  await t.rejects(Promise.resolve(m('x')), /down/);
  fail = false;
  t.equal(await m('x'), 'x', 'asked again, loaded again');
  t.equal(m('x'), 'x');
});
