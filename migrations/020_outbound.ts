/*
 * Outbound mail: upstream SMTP accounts (with the built-in sandbox), message types,
 * templates, DKIM keys, the composed messages, and the per-recipient delivery queue with
 * every attempt. One queue row per (source, recipient) through `unique_key`.
 */
import type { Knex } from 'knex';
import { timestamps, queueColumns, longBlob, longText, type Migration } from './helpers.js';


export const outbound: Migration = {
  name: '020_outbound',
  async up(knex: Knex) {
    await knex.schema.createTable('message_types', (t) => {
      t.increments('id');
      t.string('name', 64).notNullable().unique();
      t.string('description', 300).notNullable().defaultTo('');
      timestamps(t);
    });
    await knex.schema.createTable('upstream_accounts', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable().unique();
      t.string('kind', 16).notNullable().defaultTo('smtp'); // smtp | sandbox
      t.string('host', 253).notNullable().defaultTo('');
      t.integer('port').notNullable().defaultTo(587);
      t.string('security', 16).notNullable().defaultTo('starttls'); // none | starttls | tls
      t.string('username', 255).nullable();
      t.text('password_enc').nullable(); // secretbox-sealed
      t.boolean('verify_cert').notNullable().defaultTo(true);
      t.text('allowed_from').notNullable(); // JSON array of addresses or domains; [] = any
      t.string('from_name', 200).notNullable().defaultTo('');
      t.integer('message_type_id').unsigned().nullable().references('message_types.id').onDelete('SET NULL');
      t.integer('rate_per_second').nullable();
      t.integer('rate_per_hour').nullable();
      t.integer('rate_per_day').nullable();
      t.integer('max_connections').notNullable().defaultTo(5);
      t.boolean('active').notNullable().defaultTo(true);
      t.boolean('is_default').notNullable().defaultTo(false);
      t.bigInteger('paused_at').nullable();
      t.text('paused_reason').nullable();
      t.bigInteger('slow_until').nullable(); // after 421 / 4.7.x "too many": send slower until then
      t.bigInteger('last_success_at').nullable();
      t.text('last_error').nullable();
      t.bigInteger('last_error_at').nullable();
      // Cluster-wide: one node at a time sends for an account (keeps its rate budget exact).
      t.string('lease_owner', 80).nullable();
      t.bigInteger('lease_until').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('account_usage', (t) => {
      t.integer('account_id').unsigned().notNullable().references('upstream_accounts.id').onDelete('CASCADE');
      t.string('bucket', 16).notNullable(); // 'h:<epochHour>' | 'd:<epochDay>'
      t.integer('sent').notNullable().defaultTo(0);
      t.primary(['account_id', 'bucket']);
    });
    await knex.schema.createTable('dkim_keys', (t) => {
      t.increments('id');
      t.string('domain', 253).notNullable();
      t.string('selector', 63).notNullable();
      t.text('private_key_enc').notNullable();
      t.text('public_key').notNullable();
      t.boolean('active').notNullable().defaultTo(true);
      t.bigInteger('retired_at').nullable();
      timestamps(t);
      t.unique(['domain', 'selector']);
    });
    await knex.schema.createTable('templates', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable().unique();
      t.text('subject').notNullable();
      t.specificType('html', longText(knex)).notNullable();
      t.text('text').nullable();
      t.boolean('is_default').notNullable().defaultTo(false);
      timestamps(t);
    });
    await knex.schema.createTable('outbound_messages', (t) => {
      t.bigIncrements('id');
      t.string('source', 16).notNullable(); // single | submission | campaign | auto-reply | test
      t.bigInteger('source_id').nullable();
      t.integer('account_id').unsigned().nullable().references('upstream_accounts.id').onDelete('SET NULL');
      t.integer('message_type_id').unsigned().nullable();
      t.string('from_addr', 320).notNullable();
      t.string('from_name', 200).notNullable().defaultTo('');
      t.text('reply_to').nullable();
      t.text('subject').notNullable();
      t.specificType('html', longText(knex)).nullable();
      t.specificType('text', longText(knex)).nullable();
      t.text('headers').nullable(); // JSON of extra headers
      t.bigInteger('inbound_id').nullable(); // submission: the stored raw message to relay
      t.boolean('bulk').notNullable().defaultTo(false); // List-Unsubscribe headers
      t.integer('created_by').unsigned().nullable();
      t.bigInteger('send_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('outbound_attachments', (t) => {
      t.bigIncrements('id');
      t.bigInteger('message_id').unsigned().notNullable().references('outbound_messages.id').onDelete('CASCADE');
      t.string('filename', 255).notNullable();
      t.string('content_type', 255).notNullable();
      t.specificType('content', longBlob(knex)).notNullable();
    });
    await knex.schema.createTable('outbound_queue', (t) => {
      t.bigIncrements('id');
      // queued → sending → sent | deferred | failed | canceled | suppressed
      queueColumns(t, 'outbound_queue', 'queued');
      t.bigInteger('message_id').unsigned().notNullable().references('outbound_messages.id').onDelete('CASCADE');
      t.integer('account_id').unsigned().nullable();
      t.integer('message_type_id').unsigned().nullable();
      t.string('source', 16).notNullable();
      t.string('recipient', 320).notNullable().index('outbound_queue_rcpt_idx');
      t.string('rcpt_kind', 8).notNullable().defaultTo('to'); // to | cc | bcc
      t.string('unique_key', 191).notNullable().unique(); // e.g. single:<message id>:<recipient>
      t.string('smtp_message_id', 255).nullable().index('outbound_queue_mid_idx');
      t.bigInteger('first_attempt_at').nullable();
      t.bigInteger('give_up_at').nullable();
      t.bigInteger('sent_at').nullable();
      t.text('upstream_response').nullable();
      t.string('upstream_queue_id', 255).nullable();
      t.string('suppressed_reason', 100).nullable();
      timestamps(t);
      t.index(['account_id', 'state', 'run_at'], 'outbound_queue_account_idx');
    });
    await knex.schema.createTable('outbound_attempts', (t) => {
      t.bigIncrements('id');
      t.bigInteger('queue_id').unsigned().notNullable().references('outbound_queue.id').onDelete('CASCADE');
      t.bigInteger('at').notNullable();
      t.string('result', 16).notNullable(); // sent | deferred | failed | paused | returned
      t.integer('code').nullable();
      t.text('response').nullable();
      t.integer('duration_ms').nullable();
      t.index(['queue_id'], 'outbound_attempts_q_idx');
    });
    await knex.schema.createTable('sandbox_mails', (t) => {
      t.bigIncrements('id');
      t.bigInteger('queue_id').unsigned().notNullable().unique();
      t.integer('account_id').unsigned().notNullable();
      t.string('recipient', 320).notNullable();
      t.text('subject').nullable();
      t.specificType('raw', longBlob(knex)).notNullable();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.createTable('bounce_events', (t) => {
      t.bigIncrements('id');
      t.bigInteger('queue_id').unsigned().nullable().index('bounce_events_q_idx');
      t.string('recipient', 320).notNullable().index('bounce_events_rcpt_idx');
      t.string('source', 8).notNullable(); // smtp | dsn | arf
      t.string('status', 16).nullable();
      t.string('action', 16).nullable();
      t.string('class', 8).nullable(); // hard | soft | none
      t.string('reason', 32).nullable();
      t.string('side', 12).nullable(); // recipient | sender
      t.integer('reply_code').nullable();
      t.text('diagnostic').nullable();
      t.bigInteger('inbound_id').nullable();
      t.integer('account_id').unsigned().nullable();
      t.bigInteger('at').notNullable();
      t.unique(['queue_id', 'recipient', 'source'], { indexName: 'bounce_events_once' });
    });
  },
  async down(knex: Knex) {
    for (const t of ['bounce_events', 'sandbox_mails', 'outbound_attempts', 'outbound_queue', 'outbound_attachments', 'outbound_messages', 'templates', 'dkim_keys', 'account_usage', 'upstream_accounts', 'message_types']) await knex.schema.dropTableIfExists(t);
  },
};
