/*
 * Webhooks: endpoints (URL, sealed secret, subscribed events), deliveries as a table-backed
 * queue (db/queue.ts claims, fences and sweeps them) and one history row per attempt.
 */
import type { Knex } from 'knex';
import { longText, queueColumns, timestamps, type Migration } from './helpers.js';

export const webhooks: Migration = {
  name: '060_webhooks',
  async up(knex: Knex) {
    await knex.schema.createTable('webhook_endpoints', (t) => {
      t.increments('id');
      t.text('url').notNullable();
      t.text('secret_enc').notNullable();
      t.text('events').notNullable(); // JSON array of event names
      t.boolean('active').notNullable().defaultTo(true);
      t.string('description', 500).notNullable().defaultTo('');
      t.bigInteger('last_success_at').nullable();
      t.bigInteger('last_failure_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('webhook_deliveries', (t) => {
      t.bigIncrements('id');
      t.integer('endpoint_id').unsigned().notNullable().references('webhook_endpoints.id').onDelete('CASCADE');
      t.string('event_id', 40).notNullable(); // the body's `id`: the same for every endpoint and every re-send of one event
      t.string('event', 40).notNullable();
      t.specificType('data', longText(knex)).notNullable(); // JSON
      t.bigInteger('occurred_at').notNullable();
      // Makes an event emitted twice (a pipeline step re-run) one delivery per endpoint; null for tests and re-sends.
      t.string('unique_key', 191).nullable().unique('webhook_deliveries_unique_key');
      t.bigInteger('resend_of').unsigned().nullable();
      queueColumns(t, 'webhook_deliveries', 'pending'); // pending | retry | sending | delivered | failed
      t.bigInteger('first_attempt_at').nullable();
      t.integer('last_status').nullable();
      t.bigInteger('finished_at').nullable();
      timestamps(t);
      t.index(['endpoint_id', 'id'], 'webhook_deliveries_endpoint_idx');
      t.index(['finished_at'], 'webhook_deliveries_finished_idx');
    });
    await knex.schema.createTable('webhook_attempts', (t) => {
      t.bigIncrements('id');
      t.bigInteger('delivery_id').unsigned().notNullable().references('webhook_deliveries.id').onDelete('CASCADE');
      t.integer('attempt').notNullable();
      t.bigInteger('at').notNullable();
      t.specificType('request_body', longText(knex)).notNullable();
      t.integer('response_status').nullable();
      t.text('response_body').nullable(); // its first 1,000 characters
      t.integer('duration_ms').notNullable();
      t.text('error').nullable();
      t.index(['delivery_id', 'id'], 'webhook_attempts_delivery_idx');
      t.index(['at'], 'webhook_attempts_at_idx');
    });
  },
  async down(knex: Knex) {
    for (const t of ['webhook_attempts', 'webhook_deliveries', 'webhook_endpoints']) await knex.schema.dropTableIfExists(t);
  },
};
