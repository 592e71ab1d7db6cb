/*
 * Auto-replies sent (or claimed) per mailbox and sender: one row per reply. Two unique keys
 * make the guards race-free across workers and re-runs: `trigger_key` (one reply per case or
 * inbound message) and (mailbox, sender, period bucket, slot) (at most N per sender and period).
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const autoReply: Migration = {
  name: '082_auto_reply',
  async up(knex: Knex) {
    await knex.schema.createTable('auto_replies', (t) => {
      t.bigIncrements('id');
      t.integer('mailbox_id').unsigned().notNullable().references('mailboxes.id').onDelete('CASCADE');
      // 191 characters keep the unique index within MariaDB's 767-byte limit under utf8mb4.
      t.string('sender', 191).notNullable();
      // Epoch period number (time / period length) and the slot within it (0 … N-1).
      t.bigInteger('bucket').notNullable();
      t.integer('slot').notNullable().defaultTo(0);
      // `case:<id>` or `in:<inbound id>`: what this reply answers.
      t.string('trigger_key', 64).notNullable();
      t.bigInteger('inbound_id').notNullable();
      t.bigInteger('outbound_message_id').nullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['trigger_key'], { indexName: 'auto_replies_trigger' });
      t.unique(['mailbox_id', 'sender', 'bucket', 'slot'], { indexName: 'auto_replies_limit' });
      t.index(['created_at'], 'auto_replies_created_idx');
    });
  },
  async down(knex: Knex) {
    await knex.schema.dropTableIfExists('auto_replies');
  },
};
