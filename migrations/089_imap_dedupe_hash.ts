/*
 * The IMAP UID log's duplicate lookup by a number instead of the 64-character key: each row
 * carries the first 52 bits of its dedupe key (dedupe_hash), indexed per account in place of
 * (account_id, dedupe_key). The keys are hashes, so every insert landed at a random place of that
 * index: ~75-byte entries, 6.5 of the 10 µs a UID log row cost on SQLite (bench/imap.ts; 3 of 10
 * with a 12-character prefix), and each 500-message batch dirtied most of its pages again.
 * The full key is still stored and compared: two keys sharing 52 bits only cost a row read.
 */
import type { Knex } from 'knex';
import type { Migration } from './helpers.js';

/** The same rule as the sync repo's dedupeHash (db/repos/imap/sync.ts), kept here so the migration never changes with it. */
const hashOf = (key: string) => (key ? Number.parseInt(key.slice(0, 13), 16) || 0 : 0);

export const imapDedupeHash: Migration = {
  name: '089_imap_dedupe_hash',
  async up(knex: Knex) {
    await knex.schema.alterTable('imap_messages', (t) => { t.bigInteger('dedupe_hash').notNullable().defaultTo(0); });
    // Filled in pages by id (a large UID log must not be read at once).
    for (let after = 0; ;) {
      const rows = (await knex('imap_messages').where('id', '>', after).orderBy('id').limit(1000).select('id', 'dedupe_key')) as Array<{ id: number | string; dedupe_key: string }>;
      if (!rows.length) break;
      await knex.transaction(async (tx) => {
        for (const r of rows) if (r.dedupe_key) await tx('imap_messages').where({ id: r.id }).update({ dedupe_hash: hashOf(r.dedupe_key) });
      });
      after = Number(rows[rows.length - 1]!.id);
    }
    await knex.schema.alterTable('imap_messages', (t) => {
      t.index(['account_id', 'dedupe_hash'], 'imap_messages_dedupe_hash_idx');
      t.dropIndex(['account_id', 'dedupe_key'], 'imap_messages_dedupe_idx');
    });
  },
  async down(knex: Knex) {
    await knex.schema.alterTable('imap_messages', (t) => {
      t.index(['account_id', 'dedupe_key'], 'imap_messages_dedupe_idx');
      t.dropIndex(['account_id', 'dedupe_hash'], 'imap_messages_dedupe_hash_idx');
    });
    await knex.schema.alterTable('imap_messages', (t) => { t.dropColumn('dedupe_hash'); });
  },
};
