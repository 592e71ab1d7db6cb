/*
 * The WAL checkpointer on a real file: checkpoints run in its worker while this thread writes,
 * the WAL starts over instead of growing, nothing written is lost, and closing ends the worker;
 * requests are paced (one per 50 ms, the last one kept) and every transaction asks by itself.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { walCheckpointer } from '../../../server/db/checkpointer.js';
import { openDb } from '../../../server/db/connect.js';
import { transact } from '../../../server/db/exec.js';

t.test('the WAL is checkpointed by the worker and starts over; every row stays', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Only the worker checkpoints here: without it the WAL would hold all 20 rounds (~16 MB).
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE x (b BLOB)');
  const ins = db.prepare('INSERT INTO x (b) VALUES (?)');
  const pages: number[] = [];
  const c = walCheckpointer(file, undefined, (n) => pages.push(n));
  t.teardown(() => c.close());
  for (let round = 1; round <= 20; round++) {
    db.transaction(() => { for (let i = 0; i < 200; i++) ins.run(randomBytes(3000)); })();
    c.soon();
    const end = Date.now() + 10_000;
    while (c.stats().runs < round && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  }
  const st = c.stats();
  t.equal(st.runs, 20, 'one checkpoint a round');
  t.equal(st.failures, 0);
  t.equal(st.lastDone, st.lastLog, 'the last one copied the whole WAL');
  // A round is ~200 pages (0.8 MB): the WAL restarted instead of holding 20 rounds.
  t.ok(statSync(`${file}-wal`).size < 4 * 1024 * 1024, `WAL ${statSync(`${file}-wal`).size} bytes`);
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM x').get() as { n: number }).n, 4000, 'every row is there');
  t.same(pages, [8192], 'the writer\'s own autocheckpoint raised while the worker is asked');
  await new Promise((r) => setTimeout(r, 1200));
  t.same(pages, [8192, 1000], 'and back to SQLite\'s default once nobody asks');
  await c.close();
  db.close();
  const again = new Database(file, { readonly: true });
  t.equal((again.prepare('SELECT COUNT(*) AS n FROM x').get() as { n: number }).n, 4000, 'and still after reopening');
  again.close();
});

t.test('a checkpointer never asked starts no worker; close is safe', async (t) => {
  const c = walCheckpointer('/nonexistent/postern.sqlite');
  await c.close();
  t.same(c.stats(), { runs: 0, failures: 0, lastLog: 0, lastDone: 0 });
});

t.test('a worker that cannot open the file reports it and stops asking', async (t) => {
  const errors: string[] = [];
  const c = walCheckpointer('/nonexistent/postern.sqlite', (m) => errors.push(m));
  c.soon();
  const end = Date.now() + 10_000;
  while (!errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.equal(errors.length, 1, errors[0] ?? 'no error');
  c.soon(); // nothing: the writer's own autocheckpoint carries on
  await c.close();
});

t.test('requests closer than the gap are paced, and the last one is not lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.exec('CREATE TABLE x (b BLOB)');
  const ins = db.prepare('INSERT INTO x (b) VALUES (?)');
  const c = walCheckpointer(file);
  t.teardown(() => c.close());
  // A writer asking after every small commit, every millisecond for 300 ms.
  const t0 = performance.now();
  while (performance.now() - t0 < 300) {
    ins.run(randomBytes(2000));
    c.soon();
    await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = performance.now() - t0;
  const asked = c.stats().runs;
  t.ok(asked <= Math.ceil(elapsed / 50) + 1, `${asked} checkpoints in ${Math.round(elapsed)} ms: at most one per 50 ms`);
  // The last request came within the gap: it runs when the gap ends and copies everything.
  const end = Date.now() + 10_000;
  while (c.stats().lastDone < c.stats().lastLog || c.stats().runs === asked) {
    if (Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  t.ok(c.stats().runs > asked, 'the trailing request ran');
  t.equal(c.stats().lastDone, c.stats().lastLog, 'and copied the whole WAL');
  await c.close();
  db.close();
});

t.test('a transaction asks for the checkpoint itself: the data reaches the database file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const db = await openDb(file);
  t.teardown(() => db.close());
  await db.knex.raw('CREATE TABLE x (b BLOB)');
  const before = statSync(file).size;
  // ~150 pages: far below SQLite's own autocheckpoint (1,000), so only the request copies them.
  await transact(db, async (x) => { for (let i = 0; i < 200; i++) await x.run('INSERT INTO x (b) VALUES (?)', [randomBytes(3000)]); });
  const end = Date.now() + 10_000;
  while (statSync(file).size < before + 500_000 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  t.ok(statSync(file).size >= before + 500_000, `database file ${before} → ${statSync(file).size} bytes`);
});
