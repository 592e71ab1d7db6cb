/*
 * Idempotent replies from a case: a key the client (the reply form, or an API caller) sends
 * with a reply, hashed with who sent it; the same key on the same case is one reply, so a
 * double-clicked Send or a retried request never mails the customer twice.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

export const caseReplyKeys: Migration = {
  name: '086_case_reply_keys',
  async up(knex: Knex) {
    await knex.schema.alterTable('case_replies', (t) => {
      t.string('idem_key', 64).nullable();
      // NULLs are distinct in a unique index on both databases: replies without a key never collide.
      t.unique(['case_id', 'idem_key'], { indexName: 'case_replies_idem' });
    });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('case_replies', (t) => {
      t.dropUnique(['case_id', 'idem_key'], 'case_replies_idem');
      t.dropColumn('idem_key');
    });
  },
};
