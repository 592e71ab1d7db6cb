/* DKIM keys: the only SQL on dkim_keys. */
import type { Db } from '../connect.js';

export function dkimRepo(db: Db) {
  const k = db.knex;
  return {
    all: () => k('dkim_keys').orderBy(['domain', 'id']),
    find: (domain: string, selector: string) => k('dkim_keys').where({ domain, selector }).first(),
    active: (domain: string) => k('dkim_keys').where({ domain, active: true }).first(),
    /** Inserts the new key and retires the domain's previous active one, together. */
    async rotate(row: { domain: string; selector: string; private_key_enc: string; public_key: string }, now: number) {
      await k.transaction(async (trx) => {
        await trx('dkim_keys').where({ domain: row.domain, active: true }).update({ active: false, retired_at: now, updated_at: now });
        await trx('dkim_keys').insert({ ...row, active: true, created_at: now, updated_at: now });
      });
    },
  };
}
