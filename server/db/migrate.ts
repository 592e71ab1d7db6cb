/*
 * Runs the migrations (at start and with `postern migrate`). knex's lock table keeps two
 * nodes starting together from migrating at once; the node that finds the lock taken waits for
 * the other to finish (then has nothing left to apply) instead of failing its start.
 */
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import type { Migration } from '../../migrations/helpers.js';

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

export interface MigrateOptions {
  /** How long to wait for another node's migration before giving up (ms). */
  lockWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isLocked = (e: unknown) => e instanceof Error && e.name === 'MigrationLocked';

export async function migrateLatest(knex: Knex, opts: MigrateOptions = {}): Promise<string[]> {
  // 10 minutes: the longest migration so far (a backfill over a large table) is minutes on MariaDB;
  // a lock still held after that is a node that died mid-migration and needs an operator.
  const waitMs = opts.lockWaitMs ?? 600_000;
  const sleep = opts.sleep ?? defaultSleep;
  const started = Date.now();
  for (let pause = 100; ; pause = Math.min(pause * 2, 2000)) {
    try {
      // Look first, so a waiting node does not make knex print its "knex migrate:unlock" advice
      // on every try; the lock taken between this look and knex's own is still caught below.
      if (await lockHeld(knex)) throw Object.assign(new Error('Migration table is already locked'), { name: 'MigrationLocked' });
      const [, names] = (await knex.migrate.latest({ migrationSource: source, tableName: 'knex_migrations' })) as [number, string[]];
      return names;
    } catch (e) {
      if (!isLocked(e) || Date.now() - started >= waitMs) {
        if (isLocked(e)) {
          throw new Error(`migrations are locked by another node for more than ${Math.round(waitMs / 1000)} s; if no node is migrating, clear the lock with \`postern migrate --unlock\``, { cause: e });
        }
        throw e;
      }
      await sleep(pause);
    }
  }
}

async function lockHeld(knex: Knex): Promise<boolean> {
  if (!(await knex.schema.hasTable('knex_migrations_lock'))) return false;
  const row = await knex('knex_migrations_lock').first('is_locked');
  return Number(row?.is_locked ?? 0) === 1;
}

/** Clears a migration lock left by a node that died while migrating. */
export async function migrateUnlock(knex: Knex): Promise<void> {
  await knex.migrate.forceFreeMigrationsLock({ migrationSource: source, tableName: 'knex_migrations' });
}

export async function migrateRollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource: source, tableName: 'knex_migrations' }, true);
}
