/*
 * Per-address bounce state and the block list: counts per class, the decay streak, and
 * whether (and why) the address is blocked. One row per address ever bounced or blocked.
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const suppressions: Migration = {
  name: '030_suppressions',
  async up(knex: Knex) {
    await knex.schema.createTable('suppressions', (t) => {
      t.increments('id');
      t.string('address', 320).notNullable().unique();
      t.string('domain', 253).notNullable().index('suppressions_domain_idx');
      t.boolean('blocked').notNullable().defaultTo(false);
      t.string('reason', 32).nullable(); // userunknown, mailboxfull, feedback, manual, unsubscribe, …
      t.string('class', 8).nullable(); // hard | soft | none
      t.string('source', 16).nullable(); // bounce | complaint | manual | import | optout
      t.integer('bounce_count').notNullable().defaultTo(0); // bounces in the current window (decays)
      t.integer('hard_count').notNullable().defaultTo(0);
      t.integer('soft_count').notNullable().defaultTo(0);
      t.integer('clean_streak').notNullable().defaultTo(0); // deliveries since the last bounce
      t.bigInteger('window_start').nullable();
      t.bigInteger('first_seen').notNullable();
      t.bigInteger('last_seen').notNullable();
      t.bigInteger('blocked_at').nullable();
      t.bigInteger('last_event_id').nullable();
      t.bigInteger('last_inbound_id').nullable(); // the last DSN, raw viewable
      t.bigInteger('last_queue_id').nullable(); // the message that bounced
      t.text('note').nullable();
      timestamps(t);
      t.index(['blocked', 'last_seen'], 'suppressions_blocked_idx');
    });
  },
  async down(knex: Knex) { await knex.schema.dropTableIfExists('suppressions'); },
};
