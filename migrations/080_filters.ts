/*
 * Email filters (issue #14): global (mailbox_id null) or one mailbox's (group or personal),
 * ordered by position within that scope; conditions and actions are JSON the service checks.
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const filters: Migration = {
  name: '080_filters',
  async up(knex: Knex) {
    await knex.schema.createTable('filters', (t) => {
      t.increments('id');
      t.string('name', 200).notNullable();
      // Null: a global filter (admins). A mailbox's filters go with it.
      t.integer('mailbox_id').unsigned().nullable().references('mailboxes.id').onDelete('CASCADE');
      t.integer('position').notNullable().defaultTo(0);
      t.boolean('active').notNullable().defaultTo(true);
      t.string('match_mode', 8).notNullable().defaultTo('all'); // all | any
      t.text('conditions').notNullable(); // JSON [{field, op, value, header?}]
      t.text('actions').notNullable(); // JSON {skip, stop, folder, markRead, noNotify, assignTeamId, assignUserId, tags}
      timestamps(t);
      t.index(['mailbox_id', 'position'], 'filters_scope_position_idx');
    });
  },
  async down(knex: Knex) { await knex.schema.dropTableIfExists('filters'); },
};
