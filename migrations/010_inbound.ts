/*
 * Inbound mail: local domains, mailboxes, app SMTP credentials, and the inbound store:
 * one row per accepted message (a queue row for the pipeline), its raw bytes, its
 * recipients as classified at RCPT time, and one row per pipeline step result.
 */
import type { Knex } from 'knex';
import { timestamps, queueColumns, longBlob, type Migration } from './helpers.js';


export const inbound: Migration = {
  name: '010_inbound',
  async up(knex: Knex) {
    await knex.schema.createTable('domains', (t) => {
      t.increments('id');
      t.string('name', 253).notNullable().unique();
      // local: we accept mail for its mailboxes; bounce: the VERP return-path domain.
      t.string('kind', 16).notNullable().defaultTo('local');
      t.integer('catch_all_mailbox_id').unsigned().nullable();
      t.boolean('active').notNullable().defaultTo(true);
      timestamps(t);
    });
    await knex.schema.createTable('mailboxes', (t) => {
      t.increments('id');
      t.string('address', 320).notNullable().unique();
      t.integer('domain_id').unsigned().notNullable().references('domains.id').onDelete('CASCADE');
      t.string('name', 200).notNullable().defaultTo('');
      t.string('kind', 16).notNullable().defaultTo('group'); // group | personal
      t.integer('user_id').unsigned().nullable().references('users.id').onDelete('SET NULL');
      t.boolean('create_cases').notNullable().defaultTo(false);
      t.boolean('auto_reply').notNullable().defaultTo(false);
      t.text('auto_reply_subject').nullable();
      t.text('auto_reply_body').nullable();
      t.boolean('active').notNullable().defaultTo(true);
      timestamps(t);
    });
    await knex.schema.createTable('mailbox_teams', (t) => {
      t.integer('mailbox_id').unsigned().notNullable().references('mailboxes.id').onDelete('CASCADE');
      t.integer('team_id').unsigned().notNullable().references('teams.id').onDelete('CASCADE');
      t.primary(['mailbox_id', 'team_id']);
    });
    await knex.schema.createTable('smtp_credentials', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable();
      t.string('username', 100).notNullable().unique();
      t.string('secret_hash', 255).notNullable();
      // JSON array of domains (or full addresses) this app may send as.
      t.text('allowed_senders').notNullable();
      t.integer('rate_per_minute').notNullable().defaultTo(600);
      t.bigInteger('last_used_at').nullable();
      t.bigInteger('revoked_at').nullable();
      timestamps(t);
    });
    await knex.schema.createTable('inbound_messages', (t) => {
      t.bigIncrements('id');
      // received → processing → processed | failed | held
      queueColumns(t, 'inbound_messages', 'received');
      t.string('listener', 16).notNullable(); // mx | submission
      t.string('mail_from', 320).notNullable().defaultTo('');
      t.text('rcpt_to').notNullable(); // JSON array of addresses
      t.string('remote_ip', 64).notNullable().defaultTo('');
      t.string('helo', 255).notNullable().defaultTo('');
      t.boolean('tls').notNullable().defaultTo(false);
      t.integer('credential_id').unsigned().nullable();
      t.integer('size').notNullable().defaultTo(0);
      // Parsed by the pipeline (empty until then).
      t.string('message_id', 512).nullable().index('inbound_messages_mid_idx');
      t.text('subject').nullable();
      t.string('from_addr', 320).nullable().index('inbound_messages_from_idx');
      t.string('kind', 24).nullable(); // normal | bounce | complaint | auto-reply | delivery-notification | challenge-response
      t.string('spf', 16).nullable();
      t.string('dkim', 16).nullable();
      t.string('dmarc', 16).nullable();
      t.string('arc', 16).nullable();
      t.text('auth_results').nullable(); // JSON of the full verdicts
      t.text('parse_error').nullable();
      t.bigInteger('received_at').notNullable().index('inbound_messages_received_idx');
      t.bigInteger('processed_at').nullable();
      timestamps(t);
    });
    // Raw bytes in chunks of at most 1 MiB: neither storing nor reading needs a whole-message buffer.
    await knex.schema.createTable('inbound_raw', (t) => {
      t.bigInteger('message_id').unsigned().notNullable().references('inbound_messages.id').onDelete('CASCADE');
      t.integer('seq').notNullable();
      t.specificType('chunk', longBlob(knex)).notNullable();
      t.primary(['message_id', 'seq']);
    });
    await knex.schema.createTable('inbound_recipients', (t) => {
      t.bigIncrements('id');
      t.bigInteger('message_id').unsigned().notNullable().references('inbound_messages.id').onDelete('CASCADE');
      t.string('address', 320).notNullable().index('inbound_recipients_addr_idx');
      // mailbox | catchall | postmaster | case | verp | relay (submission: to be relayed out)
      t.string('kind', 16).notNullable();
      t.integer('mailbox_id').unsigned().nullable();
      t.bigInteger('target_id').nullable(); // outbound row for verp, case id for case replies
      t.index(['message_id'], 'inbound_recipients_msg_idx');
    });
    await knex.schema.createTable('inbound_steps', (t) => {
      t.bigIncrements('id');
      t.bigInteger('message_id').unsigned().notNullable().references('inbound_messages.id').onDelete('CASCADE');
      t.string('step', 32).notNullable();
      t.string('status', 16).notNullable(); // ok | skipped | failed
      t.text('result').nullable(); // JSON
      t.bigInteger('at').notNullable();
      t.unique(['message_id', 'step'], { indexName: 'inbound_steps_once' });
    });
  },
  async down(knex: Knex) {
    for (const t of ['inbound_steps', 'inbound_recipients', 'inbound_raw', 'inbound_messages', 'smtp_credentials', 'mailbox_teams', 'mailboxes', 'domains']) await knex.schema.dropTableIfExists(t);
  },
};
