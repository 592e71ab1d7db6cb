/*
 * Test databases: every test file gets fresh, migrated databases: a temp SQLite file and,
 * when POSTERN_TEST_MYSQL_URL is set, a new schema on that server (dropped afterwards), so
 * test files can run in parallel. `eachDb` runs a subtest per database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { openDb, type Db } from '../../server/db/connect.js';
import { migrateLatest } from '../../server/db/migrate.js';

export interface TestDb { db: Db; url: string; kind: 'sqlite' | 'mysql'; cleanup(): Promise<void> }

export const mysqlUrl = process.env.POSTERN_TEST_MYSQL_URL || '';

export async function createTestDb(kind: 'sqlite' | 'mysql', opts: { migrate?: boolean } = {}): Promise<TestDb> {
  let url: string;
  let drop: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'postern-test-'));
    url = join(dir, 'postern.sqlite');
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const base = new URL(mysqlUrl);
    const name = `postern_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = knexFactory({ client: 'mysql2', connection: { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) } });
    await admin.raw(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    base.pathname = `/${name}`;
    url = base.toString();
    drop = async () => { await admin.raw(`DROP DATABASE IF EXISTS \`${name}\``); await admin.destroy(); };
  }
  const db = await openDb(url, { poolMax: 20 });
  if (opts.migrate !== false) await migrateLatest(db.knex);
  return { db, url, kind, cleanup: async () => { await db.close(); await drop(); } };
}

export const dbKinds = (): Array<'sqlite' | 'mysql'> => (mysqlUrl ? ['sqlite', 'mysql'] : ['sqlite']);

import type { Test } from 'tap';

/** Runs `fn` once per configured database, each in its own subtest with a fresh schema. */
export async function eachDb(t: Test, fn: (t: Test, tdb: TestDb) => Promise<void>, opts: { migrate?: boolean } = {}) {
  for (const kind of dbKinds()) {
    await t.test(kind, async (st) => {
      const tdb = await createTestDb(kind, opts);
      st.teardown(() => tdb.cleanup());
      await fn(st, tdb);
    });
  }
}
