/*
 * Login throttling moves from a lockout window to a growing delay that runs from the last
 * failure: counters get the time of their last failure. Existing counters are transient
 * (minutes long) and start from their window's start.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const loginThrottle: Migration = {
  name: '013_login_throttle',
  async up(knex: Knex) {
    await knex.schema.alterTable('login_failures', (t) => { t.bigInteger('last_failure_at').notNullable().defaultTo(0); });
    await knex('login_failures').update({ last_failure_at: knex.ref('window_start') });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('login_failures', (t) => { t.dropColumn('last_failure_at'); });
  },
};
