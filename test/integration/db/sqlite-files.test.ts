/*
 * The embedded database holds password hashes, sealed upstream secrets and mail: its file,
 * WAL and shared-memory file, and a data directory Postern creates, are the owner's only.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../../server/db/connect.js';

const mode = (p: string) => statSync(p).mode & 0o777;

t.test('a new SQLite database, its WAL and its directory are created owner-only', async (t) => {
  const old = process.umask(0o022);
  t.teardown(() => { process.umask(old); });
  const root = mkdtempSync(join(tmpdir(), 'postern-perm-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'data', 'postern.sqlite');
  const db = await openDb(file);
  await db.knex.schema.createTable('x', (tb) => { tb.integer('a'); });
  await db.knex('x').insert({ a: 1 });
  t.equal(mode(join(root, 'data')), 0o700, 'the data directory');
  t.equal(mode(file), 0o600, 'the database file');
  t.ok(existsSync(`${file}-wal`), 'WAL mode made a WAL file');
  t.equal(mode(`${file}-wal`), 0o600, 'the WAL');
  if (existsSync(`${file}-shm`)) t.equal(mode(`${file}-shm`), 0o600, 'the shared-memory file');
  await db.close();
});
