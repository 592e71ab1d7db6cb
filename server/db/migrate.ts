/*
 * Runs the migrations (at start and with `postern migrate`). knex's lock table keeps two
 * nodes starting together from migrating at once.
 */
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import type { Migration } from '../../migrations/helpers.js';

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, names] = (await knex.migrate.latest({ migrationSource: source, tableName: 'knex_migrations' })) as [number, string[]];
  return names;
}

export async function migrateRollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource: source, tableName: 'knex_migrations' }, true);
}
