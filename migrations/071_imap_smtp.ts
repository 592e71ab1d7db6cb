/*
 * The own SMTP side of an IMAP account as a managed upstream account: `imap_account_id` names
 * the IMAP account that creates, updates and removes the row (unique: one per IMAP account).
 * A plain column, no foreign key: the IMAP service removes the row with its account, and the
 * two tables already reference each other the other way (imap_accounts.smtp_account_id).
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const imapSmtp: Migration = {
  name: '071_imap_smtp',
  async up(knex: Knex) {
    await knex.schema.alterTable('upstream_accounts', (t) => {
      t.integer('imap_account_id').unsigned().nullable();
      t.unique(['imap_account_id'], { indexName: 'upstream_accounts_imap_account' });
    });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('upstream_accounts', (t) => {
      t.dropUnique(['imap_account_id'], 'upstream_accounts_imap_account');
      t.dropColumn('imap_account_id');
    });
  },
};
