/*
 * The flood guard's lock rows (MariaDB/MySQL): one row per mailbox and sender address, locked
 * by the transaction that counts the sender's recent cases and opens one. Before, that lock was
 * the mailbox row: every case opening on a mailbox waited for the one before it (and every
 * inbox item of the mailbox, whose foreign key reads that row), whoever the sender.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const caseSenderLocks: Migration = {
  name: '088_case_sender_locks',
  async up(knex: Knex) {
    await knex.schema.createTable('case_sender_locks', (t) => {
      t.integer('mailbox_id').unsigned().notNullable();
      // ≤191: in the primary key (utf8mb4). Two senders sharing the first 191 characters share a lock: safe, only slower.
      t.string('address', 191).notNullable();
      t.primary(['mailbox_id', 'address']);
    });
  },
  async down(knex: Knex) {
    await knex.schema.dropTableIfExists('case_sender_locks');
  },
};
