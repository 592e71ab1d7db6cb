/* Queue primitives on every database: exactly-once claims under concurrency, fencing, sweeping. */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { claim, complete, extendLease, release, sweep, releaseAllHeldBy, countByState, type QueueSpec } from '../../../server/db/queue.js';
import { queueColumns } from '../../../migrations/helpers.js';
import type { Db } from '../../../server/db/connect.js';

const spec: QueueSpec = { table: 'test_jobs', readyStates: ['queued'], claimedState: 'running', returnState: 'queued' };

async function makeTable(db: Db, n: number) {
  await db.knex.schema.createTable('test_jobs', (tb) => {
    tb.bigIncrements('id');
    queueColumns(tb, 'test_jobs', 'queued');
    tb.integer('done_count').notNullable().defaultTo(0);
    tb.bigInteger('updated_at').notNullable().defaultTo(0);
  });
  const rows = Array.from({ length: n }, () => ({ state: 'queued', run_at: 0 }));
  for (let i = 0; i < rows.length; i += 500) await db.knex('test_jobs').insert(rows.slice(i, i + 500));
}

void eachDb(t, async (t, { db, kind }) => {
  await t.test('4 concurrent claimers complete every row exactly once', async (t) => {
    const N = kind === 'mysql' ? 10_000 : 3_000;
    await makeTable(db, N);
    const seen = new Map<number, number>();
    let lostCompletions = 0;
    const worker = async (w: number) => {
      for (;;) {
        const rows = await claim(db, spec, { workerId: `w${w}`, leaseMs: 60_000, limit: 100, now: Date.now() });
        if (rows.length === 0) return;
        for (const r of rows) {
          seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
          const ok = await complete(db, spec, r.id, r.locked_by, { state: 'done', done_count: db.knex.raw('done_count + 1') }, Date.now());
          if (!ok) lostCompletions++;
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    t.equal(lostCompletions, 0, 'every completion held its lease');
    t.equal(seen.size, N, 'every row claimed');
    t.ok([...seen.values()].every((c) => c === 1), 'no row claimed twice');
    const counts = await countByState(db, 'test_jobs');
    t.same(counts, { done: N });
    const dup = await db.knex('test_jobs').where('done_count', '!=', 1).count({ n: '*' });
    t.equal(Number(dup[0]!.n), 0, 'every row completed exactly once');
  });

  await t.test('an expired lease is swept and a late completion changes nothing', async (t) => {
    await db.knex.schema.dropTable('test_jobs');
    await makeTable(db, 20);
    const t0 = 1_000_000;
    const a = await claim(db, spec, { workerId: 'A', leaseMs: 1000, limit: 10, now: t0 });
    t.equal(a.length, 10);
    t.equal(await sweep(db, spec, t0 + 500), 0, 'live leases are not swept');
    t.equal(await extendLease(db, spec, a.slice(0, 2).map((r) => r.id), a[0]!.locked_by, 1000, t0 + 900), 2, 'lease extended');
    t.equal(await sweep(db, spec, t0 + 1500), 8, 'the 8 expired leases are returned');
    const b = await claim(db, spec, { workerId: 'B', leaseMs: 60_000, limit: 100, now: t0 + 1600 });
    t.equal(b.length, 18, 'B takes the 8 returned rows and the 10 never claimed');
    const stolen = a[5]!;
    t.notOk(await complete(db, spec, stolen.id, stolen.locked_by, { state: 'done' }, t0 + 1700), 'late completion by A is fenced out');
    const row = await db.knex('test_jobs').where('id', stolen.id).first();
    t.equal(row.state, 'running');
    t.match(row.locked_by, /^B:/, 'B still holds it');
    const mine = b.find((r) => r.id === stolen.id)!;
    t.ok(await complete(db, spec, mine.id, mine.locked_by, { state: 'done' }, t0 + 1800));
    t.ok(await complete(db, spec, a[0]!.id, a[0]!.locked_by, { state: 'done' }, t0 + 1800), 'A finishes its extended row');
    // release: return one of B's rows for later, without spending anything
    const other = b.find((r) => r.id !== stolen.id)!;
    t.ok(await release(db, spec, other.id, other.locked_by, { now: t0 + 1900, runAt: t0 + 10_000 }));
    const later = await claim(db, spec, { workerId: 'C', leaseMs: 1000, limit: 100, now: t0 + 2000 });
    t.notOk(later.some((r) => r.id === other.id), 'a released row waits for its run_at');
    t.ok(await releaseAllHeldBy(db, spec, 'B', t0 + 2100) >= 16, 'a stopping worker returns what it holds');
  });

  await t.test('filters narrow a claim', async (t) => {
    await db.knex.schema.dropTable('test_jobs');
    await makeTable(db, 10);
    const rows = await claim(db, spec, { workerId: 'F', leaseMs: 1000, limit: 100, now: 5, filter: (qb) => qb.where('id', '<=', 3) });
    t.same(rows.map((r) => Number(r.id)), [1, 2, 3]);
  });
});
