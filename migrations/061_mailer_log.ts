/*
 * The mailer log: one row per event of the mailer's operation (upstream account trouble,
 * deferred and failed deliveries with the remote reply, inbound refusals, job failures, mass
 * email state changes, IMAP sync errors), kept for a set number of days. No foreign keys: an
 * entry outlives the account, message or mass email it names.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const mailerLog: Migration = {
  name: '061_mailer_log',
  async up(knex: Knex) {
    await knex.schema.createTable('mailer_log', (t) => {
      t.bigIncrements('id');
      t.bigInteger('at').notNullable();
      t.string('level', 8).notNullable(); // info | warn | error
      t.string('source', 16).notNullable(); // account | mailbox | imap | job | mass_email | inbound | delivery
      t.string('event', 64).notNullable();
      t.text('message').notNullable();
      t.text('reply').nullable();
      t.integer('account_id').nullable();
      t.integer('mailbox_id').nullable();
      t.string('address', 320).nullable();
      t.bigInteger('inbound_id').nullable();
      t.bigInteger('queue_id').nullable();
      t.integer('mass_email_id').nullable();
      // The page lists newest first, filtered by one of these; the purge walks `at`.
      t.index(['at'], 'mailer_log_at_idx');
      t.index(['source', 'id'], 'mailer_log_source_idx');
      t.index(['level', 'id'], 'mailer_log_level_idx');
      t.index(['account_id', 'id'], 'mailer_log_account_idx');
      t.index(['mass_email_id', 'id'], 'mailer_log_mass_email_idx');
    });
  },
  async down(knex: Knex) { await knex.schema.dropTableIfExists('mailer_log'); },
};
