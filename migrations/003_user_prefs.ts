/* Each user's locale (formats, later the language) and time zone for the admin UI. */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const userPrefs: Migration = {
  name: '003_user_prefs',
  async up(knex: Knex) {
    await knex.schema.alterTable('users', (t) => {
      t.string('locale', 35).nullable();
      t.string('time_zone', 64).nullable();
    });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('users', (t) => { t.dropColumn('locale'); t.dropColumn('time_zone'); });
  },
};
