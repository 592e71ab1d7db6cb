/*
 * Writes: dkim_keys. Reads: dkim_keys.
 * DKIM keys: the only SQL on dkim_keys.
 */
import type { Db } from '../connect.js';

/** A dkim_keys row (numbers may arrive as strings, booleans as 0/1). */
export interface DkimKeyRow {
  id: number | string; domain: string; selector: string; private_key_enc: string; public_key: string; active: boolean | number;
  created_at: number | string; updated_at: number | string; retired_at: number | string | null;
}

export function dkimRepo(db: Db) {
  const k = db.knex;
  return {
    all: (): Promise<DkimKeyRow[]> => k('dkim_keys').orderBy(['domain', 'id']),
    find: (domain: string, selector: string): Promise<DkimKeyRow | undefined> => k('dkim_keys').where({ domain, selector }).first(),
    active: (domain: string): Promise<DkimKeyRow | undefined> => k('dkim_keys').where({ domain, active: true }).first(),
    /** Inserts the new key and retires the domain's previous active one, together. */
    async rotate(row: { domain: string; selector: string; private_key_enc: string; public_key: string }, now: number) {
      await k.transaction(async (trx) => {
        await trx('dkim_keys').where({ domain: row.domain, active: true }).update({ active: false, retired_at: now, updated_at: now });
        await trx('dkim_keys').insert({ ...row, active: true, created_at: now, updated_at: now });
      });
    },
  };
}
