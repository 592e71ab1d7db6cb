/*
 * CRM records Postern keeps a copy of (accounts, contacts, leads; users are the fourth
 * recipient type and live in `users`), email addresses as their own rows shared across
 * records (the normalised address is the key for dedupe, exclusion, opt-out, suppression and
 * linking), and target lists with members of mixed types.
 */
import type { Knex } from 'knex';
import { timestamps, longText, type Migration } from './helpers.js';

export const records: Migration = {
  name: '040_records',
  async up(knex: Knex) {
    await knex.schema.createTable('records', (t) => {
      t.increments('id');
      t.string('type', 8).notNullable(); // account | contact | lead
      t.string('external_id', 191).nullable(); // the CRM's id, unique per type
      t.string('first_name', 200).nullable();
      t.string('last_name', 200).nullable();
      t.string('name', 400).notNullable().defaultTo(''); // company name (account) or the person's display name
      t.string('title', 200).nullable();
      t.string('phone', 64).nullable();
      t.integer('team_id').unsigned().nullable().references('teams.id').onDelete('SET NULL');
      t.integer('account_id').unsigned().nullable().references('records.id').onDelete('SET NULL'); // a contact's account
      t.boolean('former_employee').notNullable().defaultTo(false);
      t.specificType('attributes', longText(knex)).nullable(); // JSON object of custom attributes
      timestamps(t);
      t.unique(['type', 'external_id'], { indexName: 'records_type_external_uq' });
      t.index(['type', 'id'], 'records_type_idx');
      t.index(['account_id'], 'records_account_idx');
    });
    await knex.schema.createTable('email_addresses', (t) => {
      t.increments('id');
      t.string('address', 320).notNullable().unique(); // normalised: trimmed, lower case, IDNA domain
      t.string('domain', 253).notNullable().index('email_addresses_domain_idx');
      t.boolean('opted_out').notNullable().defaultTo(false); // opted out entirely
      t.bigInteger('opted_out_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('record_emails', (t) => {
      t.integer('record_id').unsigned().notNullable().references('records.id').onDelete('CASCADE');
      t.integer('email_id').unsigned().notNullable().references('email_addresses.id').onDelete('CASCADE');
      t.boolean('is_primary').notNullable().defaultTo(false);
      t.integer('position').notNullable().defaultTo(0);
      t.primary(['record_id', 'email_id']);
      t.index(['email_id'], 'record_emails_email_idx');
    });
    await knex.schema.createTable('target_lists', (t) => {
      t.increments('id');
      t.string('name', 200).notNullable().unique();
      t.text('description').nullable();
      t.string('kind', 8).notNullable().defaultTo('static'); // static | dynamic
      t.text('criteria').nullable(); // JSON RecordFilter of a dynamic list
      t.bigInteger('evaluated_at').nullable();
      t.integer('last_added').nullable(); // by the last evaluation
      t.integer('last_removed').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('target_list_members', (t) => {
      t.integer('list_id').unsigned().notNullable().references('target_lists.id').onDelete('CASCADE');
      t.string('member_type', 8).notNullable(); // account | contact | lead | user
      t.integer('member_id').unsigned().notNullable(); // records.id, or users.id for users
      t.boolean('opted_out').notNullable().defaultTo(false); // opted out of this list only
      t.bigInteger('added_at').notNullable();
      t.primary(['list_id', 'member_type', 'member_id']);
      t.index(['member_type', 'member_id'], 'target_list_members_member_idx');
    });
  },
  async down(knex: Knex) {
    for (const t of ['target_list_members', 'target_lists', 'record_emails', 'email_addresses', 'records']) await knex.schema.dropTableIfExists(t);
  },
};
