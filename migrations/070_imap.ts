/*
 * IMAP accounts: group and personal mailboxes hosted elsewhere (passwords sealed), the sync
 * lease each account is held under by one node, per-folder sync state (UIDVALIDITY and the
 * UID cursors) and one row per fetched UID, which makes every import idempotent.
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const imap: Migration = {
  name: '070_imap',
  async up(knex: Knex) {
    await knex.schema.createTable('imap_accounts', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable();
      t.string('kind', 16).notNullable(); // group | personal
      t.integer('user_id').unsigned().nullable().references('users.id').onDelete('CASCADE');
      t.string('host', 253).notNullable();
      t.integer('port').notNullable();
      t.string('security', 16).notNullable(); // tls | starttls | none
      t.string('username', 320).notNullable();
      t.text('password_enc').notNullable();
      t.text('folders').notNullable(); // JSON array of folder names
      t.boolean('verify_cert').notNullable().defaultTo(true);
      t.string('mailbox_address', 320).nullable();
      // Routing options (stored; routing is not built yet).
      t.boolean('create_cases').notNullable().defaultTo(false);
      t.boolean('auto_reply').notNullable().defaultTo(false);
      // The sending side: an upstream account, or the account's own SMTP server.
      t.integer('smtp_account_id').unsigned().nullable().references('upstream_accounts.id').onDelete('SET NULL');
      t.string('smtp_host', 253).nullable();
      t.integer('smtp_port').nullable();
      t.string('smtp_security', 16).nullable();
      t.string('smtp_username', 320).nullable();
      t.text('smtp_password_enc').nullable();
      t.boolean('use_for_integration').notNullable().defaultTo(false);
      t.boolean('active').notNullable().defaultTo(true);
      t.boolean('sync_enabled').notNullable().defaultTo(true);
      t.integer('max_age_days').nullable(); // first sync: only mail younger than this (null: all)
      // Sync state, written by the node holding the lease.
      t.string('state', 16).notNullable().defaultTo('connecting');
      t.bigInteger('last_sync_at').nullable();
      t.text('last_error').nullable();
      t.bigInteger('last_error_at').nullable();
      t.string('locked_by', 80).nullable();
      t.bigInteger('locked_until').nullable();
      timestamps(t);
      t.index(['kind', 'user_id'], 'imap_accounts_owner_idx');
    });
    await knex.schema.createTable('imap_folders', (t) => {
      t.increments('id');
      t.integer('account_id').unsigned().notNullable().references('imap_accounts.id').onDelete('CASCADE');
      t.string('name', 191).notNullable();
      t.string('uidvalidity', 24).nullable(); // a 32-bit unsigned number, kept as text
      // Every UID in [low_uid, high_uid] is imported; new mail is above high_uid, the first sync goes below low_uid.
      t.bigInteger('high_uid').notNullable().defaultTo(0);
      t.bigInteger('low_uid').notNullable().defaultTo(0);
      t.boolean('backfill_done').notNullable().defaultTo(false);
      t.string('state', 16).notNullable().defaultTo('connecting');
      t.bigInteger('fetched').notNullable().defaultTo(0);
      t.bigInteger('duplicates').notNullable().defaultTo(0);
      t.bigInteger('failed').notNullable().defaultTo(0);
      t.bigInteger('last_sync_at').nullable();
      t.text('last_error').nullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['account_id', 'name'], { indexName: 'imap_folders_account_name' });
    });
    await knex.schema.createTable('imap_messages', (t) => {
      t.bigIncrements('id');
      t.integer('account_id').unsigned().notNullable().references('imap_accounts.id').onDelete('CASCADE');
      t.string('folder', 191).notNullable();
      t.string('uidvalidity', 24).notNullable();
      t.bigInteger('uid').notNullable();
      // sha256 of Message-ID + sha256(raw): the same message under a new UID (UIDVALIDITY change, a copy) is not imported again.
      t.string('dedupe_key', 64).notNullable();
      t.string('message_id', 512).nullable();
      t.bigInteger('inbound_id').unsigned().nullable(); // null: a duplicate of an imported one, or failed
      t.string('outcome', 16).notNullable(); // imported | duplicate | failed
      t.text('error').nullable();
      t.bigInteger('at').notNullable();
      t.unique(['account_id', 'folder', 'uidvalidity', 'uid'], { indexName: 'imap_messages_uid' });
      t.index(['account_id', 'dedupe_key'], 'imap_messages_dedupe_idx');
      t.index(['inbound_id'], 'imap_messages_inbound_idx');
    });
  },
  async down(knex: Knex) {
    for (const t of ['imap_messages', 'imap_folders', 'imap_accounts']) await knex.schema.dropTableIfExists(t);
  },
};
