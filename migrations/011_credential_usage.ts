/* Per-credential message counts per minute, so a submission rate limit holds across nodes. */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const credentialUsage: Migration = {
  name: '011_credential_usage',
  async up(knex: Knex) {
    await knex.schema.createTable('credential_usage', (t) => {
      t.integer('credential_id').unsigned().notNullable().references('smtp_credentials.id').onDelete('CASCADE');
      t.bigInteger('minute').notNullable();
      t.integer('count').notNullable().defaultTo(0);
      t.primary(['credential_id', 'minute']);
    });
  },
  async down(knex: Knex) { await knex.schema.dropTableIfExists('credential_usage'); },
};
