/*
 * boundedMemo (lib/memo.ts): one load per key while fresh, a new one after the TTL, a failed
 * load forgotten (the next call loads again), the oldest key dropped past `max`, `key` naming
 * the argument.
 */
import t from 'tap';
import { boundedMemo } from '../../../server/lib/memo.js';

t.test('shares, expires, forgets failures, stays bounded', async (t) => {
  let clock = 0;
  const loads: number[] = [];
  const f = boundedMemo(async (k: number) => { loads.push(k); if (k < 0) throw new Error('bad'); return k * 10; }, { max: 2, ttlMs: 100, now: () => clock });
  t.same(await Promise.all([f(1), f(1)]), [10, 10]);
  t.same(loads, [1], 'two calls, one load');
  clock = 99; await f(1);
  t.same(loads, [1], 'fresh within the TTL');
  clock = 100; await f(1);
  t.same(loads, [1, 1], 'loaded again after it');
  await t.rejects(f(-1));
  await t.rejects(f(-1));
  t.same(loads, [1, 1, -1, -1], 'a failed load is not kept');
  await f(2); await f(3);
  loads.length = 0;
  await f(1);
  t.same(loads, [1], 'the oldest key went when a third came (max 2)');
  await f(3);
  t.same(loads, [1], 'a recent one stayed');
});

t.test('a key function and no TTL', async (t) => {
  let n = 0;
  const f = boundedMemo(async (m: { id: number; text: string }) => `${m.text}#${++n}`, { max: 10, key: (m) => m.id });
  t.equal(await f({ id: 7, text: 'a' }), 'a#1');
  t.equal(await f({ id: 7, text: 'changed' }), 'a#1', 'the same id shares the first load');
  t.equal(await f({ id: 8, text: 'b' }), 'b#2');
});
