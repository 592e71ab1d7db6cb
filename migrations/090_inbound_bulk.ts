/*
 * Old mail imported in bulk: an IMAP account's first sync (the backfill below the point where the
 * sync started, and a resync after a UIDVALIDITY change) stores its messages with `bulk` set.
 * They are routed like any other, but notify nobody (routing/links: "never for old mail imported
 * in bulk"); until now only mail dated a day before its receipt was told apart.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const inboundBulk: Migration = {
  name: '090_inbound_bulk',
  async up(knex: Knex) {
    await knex.schema.alterTable('inbound_messages', (t) => { t.boolean('bulk').notNullable().defaultTo(false); });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('inbound_messages', (t) => { t.dropColumn('bulk'); });
  },
};
