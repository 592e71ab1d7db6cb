/*
 * Two nodes starting at once: the one that finds the migration lock taken waits for the other
 * instead of failing its start, gives up with a clear message when the lock outlives the wait,
 * and `migrateUnlock` (postern migrate --unlock) clears a lock a dead node left.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { migrateLatest, migrateUnlock } from '../../../server/db/migrate.js';

void eachDb(t, async (t, tdb) => {
  const k = tdb.db.knex;
  const setLock = (v: 0 | 1) => k('knex_migrations_lock').update({ is_locked: v });

  await t.test('waits while another node holds the lock, then finds nothing left', async (t) => {
    await setLock(1);
    let sleeps = 0;
    const done = migrateLatest(k, {
      lockWaitMs: 60_000,
      // The other node finishes after the third try.
      sleep: async () => { sleeps++; if (sleeps === 3) await setLock(0); },
    });
    t.same(await done, [], 'nothing applied twice');
    t.equal(sleeps, 3, 'it retried until the lock was free');
    t.equal(Number((await k('knex_migrations_lock').first()).is_locked), 0, 'and left the lock free');
  });

  await t.test('a lock that outlives the wait fails with the way out', async (t) => {
    await setLock(1);
    await t.rejects(migrateLatest(k, { lockWaitMs: 50, sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) }),
      /locked by another node .*postern migrate --unlock/);
    await migrateUnlock(k);
    t.same(await migrateLatest(k, { lockWaitMs: 0 }), [], 'after --unlock it migrates at once');
  });

  await t.test('another error is not retried', async (t) => {
    let sleeps = 0;
    const broken = { schema: { hasTable: async () => false }, migrate: { latest: async () => { throw new Error('connection refused'); } } } as unknown as typeof k;
    await t.rejects(migrateLatest(broken, { sleep: async () => { sleeps++; } }), /connection refused/);
    t.equal(sleeps, 0);
  });
});
