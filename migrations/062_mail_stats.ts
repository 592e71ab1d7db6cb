/*
 * Hourly mail counters for the dashboard and /metrics, rolled up by the `mail-stats-rollup`
 * job from the event tables behind a checkpoint per source table (server/db/repos/status/stats.ts),
 * and the per-source health the status page shows ("failing since").
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const mailStats: Migration = {
  name: '062_mail_stats',
  async up(knex: Knex) {
    await knex.schema.createTable('mail_stats', (t) => {
      // '' = everything; 'a:<id>' an upstream account; 'm:<id>' a mailbox.
      t.string('scope', 24).notNullable().defaultTo('');
      // Epoch hour of the events; 0 holds the all-time totals (the Prometheus counters).
      t.bigInteger('bucket').notNullable();
      t.string('kind', 32).notNullable(); // in.received | out.sent | out.deferred | out.failed | out.suppressed | bounce.hard | complaint | webhook.ok …
      t.bigInteger('n').notNullable().defaultTo(0);
      t.bigInteger('last_at').nullable();
      t.primary(['scope', 'bucket', 'kind']);
      // The roll-up's purge of old hours reads by bucket alone.
      t.index(['bucket'], 'mail_stats_bucket_idx');
    });
    await knex.schema.createTable('mail_stats_checkpoints', (t) => {
      t.string('source', 40).primary(); // the event table rolled up
      t.bigInteger('last_id').notNullable().defaultTo(0);
      t.bigInteger('updated_at').notNullable();
    });
    await knex.schema.createTable('mail_stats_health', (t) => {
      t.string('scope', 24).primary();
      t.bigInteger('last_ok_at').nullable();
      // The first error after the last success: "failing since".
      t.bigInteger('first_error_at').nullable();
      t.bigInteger('last_error_at').nullable();
    });
  },
  async down(knex: Knex) {
    for (const t of ['mail_stats_health', 'mail_stats_checkpoints', 'mail_stats']) await knex.schema.dropTableIfExists(t);
  },
};
