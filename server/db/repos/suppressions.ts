/*
 * Writes: suppressions. Reads: suppressions.
 * Per-address bounce state and the block list: the only SQL on `suppressions`.
 */
import type { Db } from '../connect.js';
import { withTxRetry } from '../retry.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns, type DbRow } from '../row.js';

export interface SuppressionRow {
  id: number; address: string; domain: string; blocked: boolean; reason: string | null; class: string | null; source: string | null;
  bounce_count: number; hard_count: number; soft_count: number; clean_streak: number; window_start: number | null;
  first_seen: number; last_seen: number; blocked_at: number | null; last_event_id: number | null; last_inbound_id: number | null;
  last_queue_id: number | null; note: string | null; created_at: number; updated_at: number;
}

const toRow = (r: DbRow): SuppressionRow => ({
  ...columns<SuppressionRow>(r), id: Number(r.id), blocked: Boolean(r.blocked), bounce_count: Number(r.bounce_count), hard_count: Number(r.hard_count),
  soft_count: Number(r.soft_count), clean_streak: Number(r.clean_streak),
});

export function suppressionsRepo(db: Db) {
  const k = db.knex;
  const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);
  return {
    async get(address: string): Promise<SuppressionRow | undefined> {
      const r = await k('suppressions').where({ address }).first();
      return r && toRow(r);
    },
    async getById(id: number): Promise<SuppressionRow | undefined> {
      const r = await k('suppressions').where({ id }).first();
      return r && toRow(r);
    },
    /** Blocked addresses among `addresses` with their reasons (one query for a whole batch). */
    async blockedAmong(addresses: string[]): Promise<Map<string, { reason: string | null; class: string | null }>> {
      const out = new Map<string, { reason: string | null; class: string | null }>();
      for (let i = 0; i < addresses.length; i += 500) {
        const rows = await k('suppressions').select('address', 'reason', 'class').where('blocked', true).whereIn('address', addresses.slice(i, i + 500));
        for (const r of rows) out.set(r.address, { reason: r.reason, class: r.class });
      }
      return out;
    },
    async list(q: ListQuery & { filters?: Record<string, string | number | boolean | undefined> }): Promise<Page<SuppressionRow>> {
      return listPage(k('suppressions').select('*'), {
        sortable: ['address', 'domain', 'reason', 'class', 'bounce_count', 'first_seen', 'last_seen', 'blocked_at'],
        defaultSort: 'last_seen', defaultDir: 'desc', searchable: ['address'], filterable: ['address', 'blocked', 'reason', 'class', 'domain', 'source'],
      }, q, toRow);
    },
    async groupCounts(by: 'reason' | 'domain', blocked = true): Promise<Array<{ key: string; n: number }>> {
      const rows = await k('suppressions').where('blocked', blocked).select({ key: by }).count({ n: '*' }).groupBy(by).orderBy('n', 'desc').limit(100);
      return (rows as DbRow[]).map((r) => ({ key: String(r.key ?? '(none)'), n: Number(r.n) }));
    },
    /**
     * Read-modify-write of one address under a row lock (FOR UPDATE on MySQL; SQLite has one
     * writer), so two nodes recording bounces for the same address never lose a count.
     */
    async update<T>(address: string, now: number, fn: (row: SuppressionRow) => { patch: Partial<SuppressionRow>; result: T }): Promise<T> {
      // Create the row outside the transaction: INSERT IGNORE inside it takes a gap lock that
      // deadlocks two concurrent writers on InnoDB; then only a row lock remains.
      await k('suppressions').insert({ address, domain: domainOf(address), first_seen: now, last_seen: now, created_at: now, updated_at: now }).onConflict('address').ignore();
      return withTxRetry(() => k.transaction(async (trx) => {
        const q = trx('suppressions').where({ address });
        const row = toRow(await (db.dialect === 'mysql' ? q.forUpdate() : q).first());
        const { patch, result } = fn(row);
        await trx('suppressions').where({ address }).update({ ...patch, updated_at: now });
        return result;
      }));
    },
    async unblock(ids: number[], now: number): Promise<number> {
      if (!ids.length) return 0;
      return k('suppressions').whereIn('id', ids).update({ blocked: false, blocked_at: null, bounce_count: 0, clean_streak: 0, window_start: null, updated_at: now });
    },
    async remove(ids: number[]): Promise<number> {
      if (!ids.length) return 0;
      return k('suppressions').whereIn('id', ids).delete();
    },
    /** Which of these addresses carry a bounce count (a clean delivery decays only those): one query per 500. */
    async withBounceState(addresses: string[]): Promise<string[]> {
      const out: string[] = [];
      for (let i = 0; i < addresses.length; i += 500) {
        for (const r of await k('suppressions').select('address').whereIn('address', addresses.slice(i, i + 500)).where('bounce_count', '>', 0)) out.push(r.address);
      }
      return out;
    },
    async exportRows(filters: Record<string, string | boolean | undefined>): Promise<SuppressionRow[]> {
      const q = k('suppressions').select('*').orderBy('address');
      for (const [key, v] of Object.entries(filters)) if (v !== undefined && v !== '') q.where(key, v);
      return (await q).map(toRow);
    },
  };
}
