/*
 * Campaigns and their mass emails: target and excluding lists, the expansion's checkpoint and
 * what it skipped (with the reason), the releases that pace sending (a sliding 60-minute
 * window across nodes), and the queue columns that tie an outbound row to its mass email and
 * to the record whose placeholders it carries.
 */
import type { Knex } from 'knex';
import { timestamps, type Migration } from './helpers.js';

export const campaigns: Migration = {
  name: '050_campaigns',
  async up(knex: Knex) {
    await knex.schema.createTable('campaigns', (t) => {
      t.increments('id');
      t.string('name', 200).notNullable();
      t.string('type', 16).notNullable().defaultTo('email'); // email | newsletter | informational
      t.string('status', 16).notNullable().defaultTo('planning'); // planning | active | inactive | complete
      t.bigInteger('start_date').nullable();
      t.bigInteger('end_date').nullable();
      t.text('description').nullable();
      t.integer('created_by').unsigned().nullable();
      timestamps(t);
    });
    await knex.schema.createTable('campaign_lists', (t) => {
      t.integer('campaign_id').unsigned().notNullable().references('campaigns.id').onDelete('CASCADE');
      t.integer('list_id').unsigned().notNullable().references('target_lists.id').onDelete('CASCADE');
      t.boolean('excluding').notNullable().defaultTo(false);
      t.primary(['campaign_id', 'list_id']);
    });
    await knex.schema.createTable('mass_emails', (t) => {
      t.increments('id');
      t.integer('campaign_id').unsigned().notNullable().references('campaigns.id').onDelete('CASCADE');
      t.string('name', 200).notNullable();
      // draft → pending → in_process → complete | failed | paused | cancelled
      t.string('status', 16).notNullable().defaultTo('draft');
      t.text('status_reason').nullable();
      t.bigInteger('start_at').nullable();
      t.integer('template_id').unsigned().nullable().references('templates.id').onDelete('SET NULL');
      t.integer('account_id').unsigned().nullable().references('upstream_accounts.id').onDelete('SET NULL');
      t.string('from_addr', 320).notNullable();
      t.string('from_name', 200).notNullable().defaultTo('');
      t.string('reply_to', 320).nullable();
      t.boolean('tracking').notNullable().defaultTo(true);
      t.bigInteger('message_id').nullable(); // the outbound_messages row created at start
      t.text('checkpoint').nullable(); // JSON: where the expansion resumes
      t.bigInteger('expanded_at').nullable();
      t.bigInteger('started_at').nullable();
      t.bigInteger('completed_at').nullable();
      t.integer('created_by').unsigned().nullable();
      timestamps(t);
      t.index(['status', 'start_at'], 'mass_emails_status_idx');
      t.index(['campaign_id'], 'mass_emails_campaign_idx');
    });
    await knex.schema.createTable('mass_email_lists', (t) => {
      t.integer('mass_email_id').unsigned().notNullable().references('mass_emails.id').onDelete('CASCADE');
      t.integer('list_id').unsigned().notNullable().references('target_lists.id').onDelete('CASCADE');
      t.boolean('excluding').notNullable().defaultTo(false);
      t.primary(['mass_email_id', 'list_id']);
    });
    // Addresses kept out of one mass email, built once at its start: every address of every
    // record in an excluding list, and every address opted out of one of its target lists.
    await knex.schema.createTable('mass_email_excluded', (t) => {
      t.integer('mass_email_id').unsigned().notNullable().references('mass_emails.id').onDelete('CASCADE');
      t.integer('email_id').unsigned().notNullable();
      t.string('reason', 16).notNullable(); // excluded | list_opted_out
      t.primary(['mass_email_id', 'email_id']);
    });
    await knex.schema.createTable('mass_email_skips', (t) => {
      t.integer('mass_email_id').unsigned().notNullable().references('mass_emails.id').onDelete('CASCADE');
      t.string('member_type', 8).notNullable();
      t.integer('member_id').unsigned().notNullable();
      t.integer('list_id').unsigned().nullable();
      t.integer('email_id').unsigned().nullable();
      t.string('address', 320).nullable();
      // no_address | former_employee | opted_out | list_opted_out | excluded | blocked | duplicate
      t.string('reason', 16).notNullable();
      t.bigInteger('at').notNullable();
      t.primary(['mass_email_id', 'member_type', 'member_id']);
      t.index(['mass_email_id', 'reason'], 'mass_email_skips_reason_idx');
    });
    // One row per portion released to the delivery queue: the sliding hourly window sums these.
    await knex.schema.createTable('mass_email_releases', (t) => {
      t.bigIncrements('id');
      t.integer('mass_email_id').unsigned().notNullable();
      t.bigInteger('at').notNullable();
      t.integer('count').notNullable();
      t.index(['at'], 'mass_email_releases_at_idx');
    });
    await knex.schema.alterTable('outbound_queue', (t) => {
      t.integer('mass_email_id').unsigned().nullable();
      t.string('record_type', 8).nullable(); // account | contact | lead | user: whose placeholders
      t.integer('record_id').unsigned().nullable();
      // Covers the counts by state (and skip reason) a mass email's page reads.
      t.index(['mass_email_id', 'state', 'suppressed_reason'], 'outbound_queue_mass_idx');
    });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('outbound_queue', (t) => {
      t.dropIndex(['mass_email_id', 'state', 'suppressed_reason'], 'outbound_queue_mass_idx');
      t.dropColumn('mass_email_id'); t.dropColumn('record_type'); t.dropColumn('record_id');
    });
    for (const t of ['mass_email_releases', 'mass_email_skips', 'mass_email_excluded', 'mass_email_lists', 'mass_emails', 'campaign_lists', 'campaigns']) {
      await knex.schema.dropTableIfExists(t);
    }
  },
};
