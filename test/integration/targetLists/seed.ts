/*
 * Test records for the target-list tests, inserted with knex (the records engineer owns the
 * records service; these tests only need rows): `n` records of a type, each with one address.
 */
import type { Knex } from 'knex';
import type { RecordType } from '../../../server/records/types.js';

export interface SeedRecord {
  externalId: string; firstName?: string; lastName?: string; name?: string; email?: string; formerEmployee?: boolean; attributes?: Record<string, string>;
}

/** Inserts records with their addresses; returns their ids in order. */
export async function seedRecords(k: Knex, type: RecordType, rows: SeedRecord[]): Promise<number[]> {
  const now = Date.now();
  const ids: number[] = [];
  for (const r of rows) {
    const [id] = await k('records').insert({
      type, external_id: r.externalId, first_name: r.firstName ?? null, last_name: r.lastName ?? null, name: r.name ?? '',
      former_employee: r.formerEmployee ?? false, attributes: r.attributes ? JSON.stringify(r.attributes) : null, created_at: now, updated_at: now,
    });
    ids.push(Number(id));
    if (r.email) {
      const domain = r.email.slice(r.email.indexOf('@') + 1);
      await k('email_addresses').insert({ address: r.email, domain, created_at: now, updated_at: now }).onConflict('address').ignore();
      const ea = await k('email_addresses').where({ address: r.email }).first('id');
      await k('record_emails').insert({ record_id: Number(id), email_id: Number(ea.id), is_primary: true, position: 0 });
    }
  }
  return ids;
}

/** `n` contacts c1…cn; every other one (odd numbers) at match.example, the rest at other.example. */
export const contacts = (n: number, from = 1): SeedRecord[] => Array.from({ length: n }, (_, i) => {
  const j = i + from;
  return { externalId: `c${j}`, firstName: `First${j}`, lastName: `Last${j}`, email: `c${j}@${j % 2 ? 'match' : 'other'}.example`, attributes: { tier: j % 2 ? 'gold' : 'silver' } };
});
