/*
 * Writes: smtp_credentials, credential_usage. Reads: smtp_credentials, credential_usage.
 * App SMTP credentials and their per-minute usage: the only SQL on smtp_credentials / credential_usage.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { withTxRetry } from '../retry.js';
import { columns, type DbRow } from '../row.js';

export interface CredentialRow {
  id: number; name: string; username: string; secret_hash: string; allowed_senders: string[]; rate_per_minute: number;
  last_used_at: number | null; revoked_at: number | null; created_at: number;
}
const toRow = (r: DbRow): CredentialRow => ({
  ...columns<CredentialRow>(r), id: Number(r.id), rate_per_minute: Number(r.rate_per_minute), allowed_senders: JSON.parse(String(r.allowed_senders || '[]')) as string[],
});

export function credentialsRepo(db: Db) {
  const k = db.knex;
  return {
    async create(c: { name: string; username: string; secret_hash: string; allowed_senders: string[]; rate_per_minute: number }, now: number) {
      const [id] = await k('smtp_credentials').insert({ ...c, allowed_senders: JSON.stringify(c.allowed_senders), created_at: now, updated_at: now });
      return Number(id);
    },
    async byUsername(username: string) { const r = await k('smtp_credentials').where({ username }).first(); return r ? toRow(r) : undefined; },
    async get(id: number) { const r = await k('smtp_credentials').where({ id }).first(); return r ? toRow(r) : undefined; },
    async list(q: ListQuery): Promise<Page<Omit<CredentialRow, 'secret_hash'>>> {
      return listPage(k('smtp_credentials').select('id', 'name', 'username', 'allowed_senders', 'rate_per_minute', 'last_used_at', 'revoked_at', 'created_at'),
        { sortable: ['name', 'username', 'created_at', 'last_used_at'], defaultSort: 'created_at', defaultDir: 'desc', searchable: ['name', 'username'] }, q, (r) => { const { secret_hash: _s, ...rest } = toRow({ ...r, secret_hash: '' }); return rest; });
    },
    async update(id: number, patch: { name?: string; allowed_senders?: string[]; rate_per_minute?: number }, now: number) {
      const p: Record<string, unknown> = { ...patch, updated_at: now };
      if (patch.allowed_senders) p.allowed_senders = JSON.stringify(patch.allowed_senders);
      return (await k('smtp_credentials').where({ id }).update(p)) === 1;
    },
    async revoke(id: number, now: number) { return (await k('smtp_credentials').where({ id }).whereNull('revoked_at').update({ revoked_at: now, updated_at: now })) === 1; },
    async touch(id: number, now: number) { await k('smtp_credentials').where({ id }).update({ last_used_at: now }); },
    /** Counts one message in this minute's bucket; returns the count including it. */
    async countMessage(id: number, minute: number): Promise<number> {
      await k('credential_usage').insert({ credential_id: id, minute, count: 0 }).onConflict(['credential_id', 'minute']).ignore();
      return withTxRetry(() => k.transaction(async (trx) => {
        await trx('credential_usage').where({ credential_id: id, minute }).update({ count: k.raw('count + 1') });
        const r = await trx('credential_usage').where({ credential_id: id, minute }).first();
        return Number(r.count);
      }));
    },
    async purgeUsage(beforeMinute: number) { return k('credential_usage').where('minute', '<', beforeMinute).delete(); },
  };
}
