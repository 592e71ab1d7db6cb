/*
 * Links of inbound messages to CRM records (accounts, contacts, leads, users) by address, who
 * follows which record or case, the in-app notifications a routed message makes (one per
 * message per follower, by a unique key) and each user's "notify me by email" preference.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const linksNotifications: Migration = {
  name: '084_links_notifications',
  async up(knex: Knex) {
    await knex.schema.createTable('message_links', (t) => {
      t.bigInteger('inbound_id').unsigned().notNullable();
      t.string('record_type', 8).notNullable(); // account | contact | lead | user
      t.integer('record_id').unsigned().notNullable(); // records.id, or users.id for users
      t.string('role', 24).notNullable(); // from | to | cc | account-of-contact
      t.bigInteger('created_at').notNullable();
      // One link per message and record: routing the message again adds nothing.
      t.primary(['inbound_id', 'record_type', 'record_id']);
      // "Emails of this contact": the record's messages, newest first.
      t.index(['record_type', 'record_id', 'inbound_id'], 'message_links_record_idx');
    });
    await knex.schema.createTable('follows', (t) => {
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('target_type', 8).notNullable(); // account | contact | lead | case
      t.integer('target_id').unsigned().notNullable();
      // false: the user unfollowed; kept so that auto-follow (case assignment) does not follow again.
      t.boolean('active').notNullable().defaultTo(true);
      t.boolean('auto').notNullable().defaultTo(false); // made by a case assignment
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.primary(['user_id', 'target_type', 'target_id']);
      t.index(['target_type', 'target_id'], 'follows_target_idx');
    });
    await knex.schema.createTable('notifications', (t) => {
      t.bigIncrements('id');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.string('kind', 24).notNullable(); // case-mail | record-mail
      t.bigInteger('inbound_id').unsigned().nullable();
      t.integer('case_id').unsigned().nullable();
      t.string('record_type', 8).nullable();
      t.integer('record_id').unsigned().nullable();
      t.string('title', 500).notNullable().defaultTo(''); // the name of what is followed (case subject, record name)
      t.bigInteger('read_at').nullable();
      t.bigInteger('created_at').notNullable();
      // Once per message per follower, however often the message is routed.
      t.unique(['user_id', 'inbound_id'], { indexName: 'notifications_once' });
      // The unread count (every page's header) and the newest-first list.
      t.index(['user_id', 'read_at'], 'notifications_unread_idx');
      t.index(['user_id', 'id'], 'notifications_user_idx');
    });
    await knex.schema.createTable('notification_settings', (t) => {
      t.integer('user_id').unsigned().notNullable().primary().references('users.id').onDelete('CASCADE');
      t.boolean('email').notNullable().defaultTo(false);
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(knex: Knex) {
    for (const t of ['notification_settings', 'notifications', 'follows', 'message_links']) await knex.schema.dropTableIfExists(t);
  },
};
