/*
 * The mail counters' roll-up on every database, on its own: events are counted in their hour
 * and in the all-time totals exactly once; the checkpoint never passes a row younger than the
 * settle margin (an older, uncommitted neighbour may still appear), and counts it once it is
 * old enough; runs at the same time never count a row twice; per-account health keeps the
 * first error after the last success; old hour buckets are purged, the totals kept.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { mailStatsRepo, TOTAL_BUCKET } from '../../../server/db/repos/status/stats.js';

const HOUR = 3_600_000;

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const stats = mailStatsRepo(tdb.db);
  const now = Date.UTC(2026, 5, 1, 12, 30);
  const bounce = (at: number, o: Record<string, unknown> = {}) => k('bounce_events').insert({ recipient: `r${Math.random()}@example.org`, source: 'dsn', class: 'hard', at, ...o });
  const hourRows = async (kind: string) => (await k('mail_stats').where({ scope: '', kind }).orderBy('bucket')).map((r: any) => [Number(r.bucket), Number(r.n)]);

  await t.test('counts settled rows once, stops at the first young one, takes it later', async (t) => {
    await bounce(now - 2 * HOUR);
    await bounce(now - 5_000); // young: the checkpoint stops here
    await bounce(now - 3 * HOUR, { source: 'arf', class: null });
    await bounce(now - 3 * HOUR, { class: 'soft', account_id: 7 });
    await stats.rollup(now, { settleMs: 60_000 });
    t.same(await hourRows('bounce.hard'), [[TOTAL_BUCKET, 1], [Math.floor((now - 2 * HOUR) / HOUR), 1]], 'only the row before the young one');
    t.same(await hourRows('complaint'), []);
    await stats.rollup(now, { settleMs: 60_000 });
    t.same(await hourRows('bounce.hard'), [[TOTAL_BUCKET, 1], [Math.floor((now - 2 * HOUR) / HOUR), 1]], 'nothing counted twice');
    const r = await stats.rollup(now + 60_000, { settleMs: 60_000 });
    t.equal(r.bounce_events, 3);
    t.same(await hourRows('bounce.hard'), [[TOTAL_BUCKET, 2], [Math.floor((now - 2 * HOUR) / HOUR), 1], [Math.floor(now / HOUR), 1]]);
    t.same(await stats.totals(), { 'bounce.hard': 2, 'bounce.soft': 1, complaint: 1 });
    t.same((await stats.sums(['a:7'], 0)), [{ scope: 'a:7', kind: 'bounce.soft', n: 1 }], 'per account too');
  });

  await t.test('runs at the same time count every row once', async (t) => {
    const before = (await stats.totals())['bounce.hard'] ?? 0;
    for (let i = 0; i < 300; i++) await bounce(now - HOUR - i);
    await Promise.all(Array.from({ length: 4 }, () => stats.rollup(now, { settleMs: 0, limit: 50 })));
    await stats.rollup(now, { settleMs: 0, limit: 50 });
    t.equal((await stats.totals())['bounce.hard'], before + 300);
  });

  await t.test('health: a success clears "failing since", the first error after it sets it', async (t) => {
    const [mid] = await k('outbound_messages').insert({ source: 'single', from_addr: 'a@ours.example', subject: 's', created_at: now, updated_at: now });
    const [qid] = await k('outbound_queue').insert({ message_id: mid, account_id: 9, source: 'single', recipient: 'x@example.org', unique_key: 'h:1', state: 'deferred', created_at: now, updated_at: now });
    const attempt = (at: number, result: string) => k('outbound_attempts').insert({ queue_id: qid, at, result });
    await attempt(now - 50_000, 'deferred');
    await attempt(now - 40_000, 'sent');
    await attempt(now - 30_000, 'deferred');
    await attempt(now - 20_000, 'deferred');
    await stats.rollup(now, { settleMs: 0 });
    t.match((await stats.health(['a:9'])).get('a:9'), { last_ok_at: now - 40_000, first_error_at: now - 30_000, last_error_at: now - 20_000 });
    await attempt(now - 10_000, 'sent');
    await stats.rollup(now, { settleMs: 0 });
    t.match((await stats.health(['a:9'])).get('a:9'), { last_ok_at: now - 10_000, first_error_at: null });
    t.same(await stats.totals(), { ...(await stats.totals()), 'out.sent': 2, 'out.deferred': 3 });
  });

  await t.test('purge forgets old hours and keeps the totals', async (t) => {
    const total = await stats.totals();
    const n = await stats.purge(Math.floor(now / HOUR) - 1);
    t.ok(n > 0);
    t.same(await stats.totals(), total);
    t.same((await k('mail_stats').where('bucket', '>', TOTAL_BUCKET).where('bucket', '<', Math.floor(now / HOUR) - 1)).length, 0);
  });
});
