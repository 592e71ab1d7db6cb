/* Core tables: users, teams, sessions, API keys, login throttling, settings. */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const core: Migration = {
  name: '001_core',
  async up(knex: Knex) {
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('username', 64).notNullable().unique();
      t.string('email', 254).nullable();
      t.string('name', 200).notNullable().defaultTo('');
      t.string('password_hash', 255).notNullable();
      t.string('role', 16).notNullable().defaultTo('agent');
      t.boolean('active').notNullable().defaultTo(true);
      t.bigInteger('last_login_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('teams', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable().unique();
      t.string('description', 500).notNullable().defaultTo('');
      timestamps(t);
    });
    await knex.schema.createTable('team_users', (t) => {
      t.integer('team_id').unsigned().notNullable().references('teams.id').onDelete('CASCADE');
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.primary(['team_id', 'user_id']);
    });
    await knex.schema.createTable('sessions', (t) => {
      t.string('id_hash', 64).primary();
      t.integer('user_id').unsigned().notNullable().references('users.id').onDelete('CASCADE');
      t.bigInteger('expires_at').notNullable().index();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.createTable('api_keys', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable();
      t.string('prefix', 16).notNullable().unique();
      t.string('key_hash', 64).notNullable();
      t.integer('created_by').unsigned().nullable().references('users.id').onDelete('SET NULL');
      t.bigInteger('last_used_at').nullable();
      t.bigInteger('revoked_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('login_failures', (t) => {
      t.string('key', 300).primary();
      t.integer('count').notNullable();
      t.bigInteger('window_start').notNullable();
    });
    await knex.schema.createTable('settings', (t) => {
      t.string('name', 100).primary();
      t.text('value').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(knex: Knex) {
    for (const t of ['settings', 'login_failures', 'api_keys', 'sessions', 'team_users', 'teams', 'users']) await knex.schema.dropTableIfExists(t);
  },
};
