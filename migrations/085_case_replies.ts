/*
 * Replies from a case: one row per reply an agent (or an API client) sent from a case, with
 * the outbound message that carries it and the threading values its own replies extend
 * (Message-ID, Thread-Index); and the mailbox setting for the From display name of replies.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const caseReplies: Migration = {
  name: '085_case_replies',
  async up(knex: Knex) {
    await knex.schema.alterTable('mailboxes', (t) => {
      // 'mailbox': From shows the mailbox's name ("Support"); 'agent': the replying agent's name.
      t.string('reply_from_name', 16).notNullable().defaultTo('mailbox');
    });
    await knex.schema.createTable('case_replies', (t) => {
      t.bigIncrements('id');
      t.integer('case_id').unsigned().notNullable().references('cases.id').onDelete('CASCADE');
      // Ours, with the signed case token; unique so a reply is recorded once (191: utf8mb4 index limit).
      t.string('message_id', 191).notNullable().unique('case_replies_mid');
      t.bigInteger('outbound_message_id').nullable();
      t.integer('user_id').unsigned().nullable();
      t.string('from_addr', 320).notNullable();
      t.text('to_addrs').notNullable(); // comma-separated, as queued
      t.text('cc_addrs').nullable();
      t.text('subject').notNullable();
      t.string('thread_index', 255).nullable();
      t.bigInteger('at').notNullable();
      t.index(['case_id', 'at'], 'case_replies_case_idx');
    });
  },
  async down(knex: Knex) {
    await knex.schema.dropTableIfExists('case_replies');
    await knex.schema.alterTable('mailboxes', (t) => { t.dropColumn('reply_from_name'); });
  },
};
