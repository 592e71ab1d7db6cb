/*
 * Tracking and the campaign log: named tracking URLs per campaign, every event of a mass email
 * once per row, action and link (sent, opened, clicked, opted out, bounced, complained) with
 * its human/machine class, and counters per mass email and per campaign kept with each event,
 * so stats never scan the log. Mass emails gain "track every link".
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const tracking: Migration = {
  name: '051_tracking',
  async up(knex: Knex) {
    await knex.schema.createTable('tracking_urls', (t) => {
      t.increments('id');
      t.integer('campaign_id').unsigned().notNullable().references('campaigns.id').onDelete('CASCADE');
      t.string('name', 200).notNullable();
      t.text('url').notNullable();
      timestamps(t);
      t.index(['campaign_id'], 'tracking_urls_campaign_idx');
    });
    await knex.schema.alterTable('mass_emails', (t) => {
      t.boolean('track_links').notNullable().defaultTo(false);
    });
    await knex.schema.createTable('campaign_log', (t) => {
      t.bigIncrements('id');
      t.integer('campaign_id').unsigned().notNullable();
      t.integer('mass_email_id').unsigned().notNullable();
      t.bigInteger('queue_id').unsigned().notNullable();
      t.string('action', 12).notNullable(); // sent | opened | clicked | opted_out | bounced | complained
      t.string('address', 320).notNullable();
      t.string('record_type', 8).nullable();
      t.integer('record_id').unsigned().nullable();
      // The link: 'u<id>' a tracking URL, 'a<index>' a tracked link of the HTML; '' for other actions.
      t.string('link', 16).notNullable().defaultTo('');
      t.integer('tracking_url_id').unsigned().nullable();
      t.string('class', 16).nullable(); // human | apple-proxy | provider-proxy | scanner | prefetch | unknown
      t.string('rule', 24).nullable();
      t.boolean('human').notNullable().defaultTo(true);
      t.string('ip', 45).nullable();
      t.string('user_agent', 300).nullable();
      t.string('bounce_class', 8).nullable();
      t.string('reason', 32).nullable();
      t.boolean('first').notNullable().defaultTo(false); // the first of its row, action, link and humanity
      t.bigInteger('at').notNullable();
      // `human` in the list indexes: the log's views count and page people only by default
      // (without it MariaDB scanned 10M rows per count, bench/tracking-log.ts).
      t.index(['mass_email_id', 'action', 'human', 'id'], 'campaign_log_mass_idx');
      t.index(['campaign_id', 'action', 'human', 'id'], 'campaign_log_campaign_idx');
      t.index(['queue_id', 'action', 'at'], 'campaign_log_queue_idx');
    });
    // One key per (row, action, link, human or machine): the counters count each once.
    await knex.schema.createTable('campaign_log_once', (t) => {
      t.bigInteger('queue_id').unsigned().notNullable();
      t.string('k', 40).notNullable();
      t.primary(['queue_id', 'k']);
    });
    await knex.schema.createTable('campaign_stats', (t) => {
      t.string('scope', 1).notNullable(); // m = mass email, c = campaign
      t.integer('scope_id').unsigned().notNullable();
      t.string('metric', 40).notNullable();
      t.bigInteger('value').notNullable().defaultTo(0);
      t.primary(['scope', 'scope_id', 'metric']);
    });
  },
  async down(knex: Knex) {
    for (const t of ['campaign_stats', 'campaign_log_once', 'campaign_log', 'tracking_urls']) await knex.schema.dropTableIfExists(t);
    await knex.schema.alterTable('mass_emails', (t) => { t.dropColumn('track_links'); });
  },
};
