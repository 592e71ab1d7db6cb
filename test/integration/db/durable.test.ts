/*
 * The WAL syncer on a real file: nothing to sync before the WAL exists, errors reach the
 * caller (who answers 451), many callers share a bounded number of syncs, and a new
 * connection generation makes it sync the new WAL file, not a deleted one.
 */
import t from 'tap';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { walSyncer } from '../../../server/db/durable.js';
import { openDb } from '../../../server/db/connect.js';

const heldFds = (path: string) => readdirSync('/proc/self/fd').map((fd) => { try { return readlinkSync(`/proc/self/fd/${fd}`); } catch { return ''; } }).filter((l) => l.startsWith(path));

t.test('before the WAL exists there is nothing to sync', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const s = walSyncer(join(dir, 'db-wal'), () => 1);
  await t.resolves(s.durable());
  await s.close();
});

t.test('an I/O error reaches the caller', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'file'), 'x');
  const s = walSyncer(join(dir, 'file', 'db-wal'), () => 1); // a path under a file: ENOTDIR
  await t.rejects(s.durable(), { code: 'ENOTDIR' });
});

t.test('a burst of callers all resolve; the descriptor follows a recreated WAL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const wal = join(dir, 'db-wal');
  writeFileSync(wal, 'frames');
  let gen = 1;
  const s = walSyncer(wal, () => gen, 2);
  t.teardown(() => s.close());
  await Promise.all(Array.from({ length: 50 }, () => s.durable()));
  t.same(heldFds(wal), [wal], 'one descriptor, on the live file');
  unlinkSync(wal);
  writeFileSync(wal, 'new frames');
  t.same(heldFds(wal), [`${wal} (deleted)`], 'the old descriptor now points at a deleted file');
  gen = 2; // SQLite opened a new connection
  await s.durable();
  t.same(heldFds(wal), [wal], 'after a new connection: the new file, the old descriptor closed');
});

t.test('an embedded database: committed rows are durable() and the descriptor goes with close()', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'postern-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.sqlite');
  const db = await openDb(file);
  await db.knex.schema.createTable('x', (tb) => { tb.integer('n'); });
  await db.knex('x').insert({ n: 1 });
  await db.durable();
  t.equal(heldFds(`${file}-wal`).length, 2, "SQLite's own descriptor and the syncer's");
  t.equal((await db.knex('x').count({ c: '*' }))[0]!.c, 1);
  await db.close();
  t.same(heldFds(`${file}-wal`), [], 'both closed with the database');
});
