/*
 * The agents' inbox (issue #14 part 2): folders per mailbox, one inbox item per (inbound
 * message, mailbox) with its folder (null: Inbox), read and archived flags and a copy of what
 * the list shows (subject, from, time, case), and item tags in a join table (filterable).
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const inbox: Migration = {
  name: '083_inbox',
  async up(knex: Knex) {
    await knex.schema.createTable('inbox_folders', (t) => {
      t.increments('id');
      t.integer('mailbox_id').unsigned().notNullable().references('mailboxes.id').onDelete('CASCADE');
      // ≤191: it is in a unique index (utf8mb4 on MariaDB).
      t.string('name', 191).notNullable();
      t.integer('position').notNullable().defaultTo(0);
      timestamps(t);
      t.unique(['mailbox_id', 'name'], { indexName: 'inbox_folders_name_uq' });
    });
    await knex.schema.createTable('inbox_items', (t) => {
      t.bigIncrements('id');
      t.bigInteger('inbound_id').unsigned().notNullable().references('inbound_messages.id').onDelete('CASCADE');
      t.integer('mailbox_id').unsigned().notNullable().references('mailboxes.id').onDelete('CASCADE');
      // Null: the mailbox's Inbox. Deleting a folder puts its items back there.
      t.integer('folder_id').unsigned().nullable().references('inbox_folders.id').onDelete('SET NULL');
      t.boolean('read').notNullable().defaultTo(false);
      t.boolean('archived').notNullable().defaultTo(false);
      // Copies for a list without a join to the message log; the case the message joined, if any.
      t.string('subject', 500).notNullable().defaultTo('');
      t.string('from_addr', 320).notNullable().defaultTo('');
      t.integer('case_id').unsigned().nullable();
      t.bigInteger('at').notNullable();
      timestamps(t);
      // One item per message and mailbox: routing a message again writes nothing twice.
      t.unique(['inbound_id', 'mailbox_id'], { indexName: 'inbox_items_once_uq' });
      t.index(['mailbox_id', 'archived', 'folder_id', 'at'], 'inbox_items_list_idx');
      t.index(['mailbox_id', 'read'], 'inbox_items_unread_idx');
    });
    await knex.schema.createTable('inbox_item_tags', (t) => {
      t.bigInteger('item_id').unsigned().notNullable().references('inbox_items.id').onDelete('CASCADE');
      t.string('tag', 50).notNullable();
      t.primary(['item_id', 'tag']);
      t.index(['tag', 'item_id'], 'inbox_item_tags_tag_idx');
    });
  },
  async down(knex: Knex) {
    for (const t of ['inbox_item_tags', 'inbox_items', 'inbox_folders']) await knex.schema.dropTableIfExists(t);
  },
};
