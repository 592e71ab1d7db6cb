/*
 * Email-to-case: cases, the mailboxes that see each case, its messages (one row per inbound
 * message, with the threading rung that decided it), the Message-ID index the References rung
 * reads, the participants the subject-tag rung trusts, round-robin pointers per team, and the
 * mailbox columns for assignment and the reopen policy.
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const cases: Migration = {
  name: '081_cases',
  async up(knex: Knex) {
    await knex.schema.alterTable('mailboxes', (t) => {
      t.string('case_assignment', 16).notNullable().defaultTo('round-robin'); // direct | round-robin | less-busy
      t.integer('case_assign_user_id').unsigned().nullable();
      t.string('case_reopen', 16).notNullable().defaultTo('reopen'); // reopen | new-after | never
      t.integer('case_reopen_days').nullable();
    });
    await knex.schema.createTable('cases', (t) => {
      t.increments('id');
      t.string('subject', 500).notNullable().defaultTo('');
      t.string('status', 16).notNullable().defaultTo('new'); // new | assigned | pending | closed
      t.string('priority', 16).notNullable().defaultTo('normal');
      t.integer('mailbox_id').unsigned().nullable();
      t.integer('team_id').unsigned().nullable();
      t.integer('assigned_user_id').unsigned().nullable();
      t.bigInteger('assigned_at').nullable();
      t.integer('account_id').unsigned().nullable();
      t.integer('contact_id').unsigned().nullable();
      t.integer('lead_id').unsigned().nullable();
      t.string('from_addr', 320).notNullable().defaultTo('');
      // The message that opened it: unique, so a re-routed message never opens a second case.
      t.bigInteger('inbound_id').unsigned().nullable().unique('cases_inbound_once');
      t.integer('parent_case_id').unsigned().nullable(); // reopen policy "new after N days"
      t.integer('follow_up_of').unsigned().nullable(); // same sender's recent case (shown, not joined)
      t.bigInteger('closed_at').nullable();
      timestamps(t);
      t.index(['status', 'assigned_user_id'], 'cases_status_user_idx');
      t.index(['from_addr', 'mailbox_id', 'created_at'], 'cases_sender_idx');
    });
    await knex.schema.createTable('case_mailboxes', (t) => {
      t.integer('case_id').unsigned().notNullable().references('cases.id').onDelete('CASCADE');
      t.integer('mailbox_id').unsigned().notNullable();
      t.primary(['case_id', 'mailbox_id']);
      t.index(['mailbox_id'], 'case_mailboxes_mb_idx');
    });
    await knex.schema.createTable('case_messages', (t) => {
      // One case per inbound message (unique): routing the message again finds its row.
      t.bigInteger('inbound_id').unsigned().notNullable().primary();
      t.integer('case_id').unsigned().notNullable().references('cases.id').onDelete('CASCADE');
      t.string('rung', 16).notNullable(); // reply-address | references | subject-tag | new
      t.boolean('reopened').notNullable().defaultTo(false);
      t.bigInteger('at').notNullable();
      t.index(['case_id', 'at'], 'case_messages_case_idx');
    });
    await knex.schema.createTable('case_message_ids', (t) => {
      t.string('message_id', 191).notNullable().primary();
      t.integer('case_id').unsigned().notNullable().references('cases.id').onDelete('CASCADE');
      t.string('direction', 8).notNullable(); // in | out
      t.bigInteger('at').notNullable();
    });
    await knex.schema.createTable('case_participants', (t) => {
      t.integer('case_id').unsigned().notNullable().references('cases.id').onDelete('CASCADE');
      t.string('address', 191).notNullable();
      t.primary(['case_id', 'address']);
    });
    await knex.schema.createTable('case_rr_pointers', (t) => {
      t.integer('team_id').unsigned().notNullable().primary();
      t.integer('last_user_id').unsigned().nullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(knex: Knex) {
    for (const t of ['case_rr_pointers', 'case_participants', 'case_message_ids', 'case_messages', 'case_mailboxes', 'cases']) await knex.schema.dropTableIfExists(t);
    await knex.schema.alterTable('mailboxes', (t) => { t.dropColumn('case_assignment'); t.dropColumn('case_assign_user_id'); t.dropColumn('case_reopen'); t.dropColumn('case_reopen_days'); });
  },
};
