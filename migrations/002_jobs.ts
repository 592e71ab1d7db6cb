/* Scheduled jobs: cron expression, active flag, last run, and the per-tick DB lease. */
import type { Knex } from 'knex';
import { type Migration } from './helpers.js';

export const jobs: Migration = {
  name: '002_jobs',
  async up(knex: Knex) {
    await knex.schema.createTable('jobs', (t) => {
      t.string('name', 64).primary();
      t.string('description', 300).notNullable().defaultTo('');
      t.string('cron', 100).notNullable();
      t.boolean('active').notNullable().defaultTo(true);
      // The last tick (scheduled time, ms) some node claimed: the unique winner per tick.
      t.bigInteger('last_tick').nullable();
      t.string('running_by', 80).nullable();
      t.bigInteger('running_until').nullable();
      t.bigInteger('last_started_at').nullable();
      t.bigInteger('last_finished_at').nullable();
      t.string('last_status', 16).nullable();
      t.text('last_error').nullable();
      t.bigInteger('last_error_at').nullable();
      t.bigInteger('next_run_at').nullable();
      t.integer('run_count').notNullable().defaultTo(0);
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(knex: Knex) { await knex.schema.dropTableIfExists('jobs'); },
};
