/*
 * Column conventions shared by migrations. Every time is a BIGINT of epoch milliseconds
 * (identical on SQLite and MySQL, no time-zone conversion anywhere); every queue table has
 * the lease columns that server/db/queue.ts works on.
 */
import type { Knex } from 'knex';

export function timestamps(t: Knex.CreateTableBuilder) {
  t.bigInteger('created_at').notNullable();
  t.bigInteger('updated_at').notNullable();
}

/** state, run_at, attempts and the lease (locked_by, locked_until) of a queue row. */
export function queueColumns(t: Knex.CreateTableBuilder, table: string, initialState: string) {
  t.string('state', 16).notNullable().defaultTo(initialState);
  t.bigInteger('run_at').notNullable().defaultTo(0);
  t.integer('attempts').notNullable().defaultTo(0);
  t.string('locked_by', 80).nullable();
  t.bigInteger('locked_until').nullable();
  t.text('last_error').nullable();
  t.index(['state', 'run_at'], `${table}_ready_idx`);
  t.index(['locked_until'], `${table}_lease_idx`);
}

/** MySQL's BLOB holds 64 KiB: raw mail needs LONGBLOB there. */
export const longBlob = (knex: Knex) => (knex.client.config.client === 'mysql2' ? 'LONGBLOB' : 'BLOB');
export const longText = (knex: Knex) => (knex.client.config.client === 'mysql2' ? 'LONGTEXT' : 'TEXT');

export interface Migration { name: string; up(knex: Knex): Promise<void>; down(knex: Knex): Promise<void> }
