/*
 * Writes: webhook_endpoints. Reads: webhook_endpoints.
 * Webhook endpoints: URL, sealed secret (never decrypted here), subscribed events, health.
 * Removing one removes its deliveries and their attempts by the foreign keys' cascade.
 */
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { columns, jsonList, numOrNull, type DbRow } from '../../row.js';

export interface EndpointRow {
  id: number; url: string; secret_enc: string; events: string[]; active: boolean; description: string;
  last_success_at: number | null; last_failure_at: number | null; created_at: number; updated_at: number;
}
const toRow = (r: DbRow): EndpointRow => ({
  ...columns<EndpointRow>(r), id: Number(r.id), events: jsonList(r.events), active: Boolean(r.active), description: String(r.description ?? ''),
  last_success_at: numOrNull(r.last_success_at), last_failure_at: numOrNull(r.last_failure_at), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});

export function webhookEndpointsRepo(db: Db) {
  const k = db.knex;
  return {
    list: (q: ListQuery): Promise<Page<EndpointRow>> => listPage(k('webhook_endpoints').select('*'),
      { sortable: ['id', 'url', 'created_at'], defaultSort: 'id', searchable: ['url', 'description'], filterable: ['active'] }, q, toRow),
    async all(): Promise<EndpointRow[]> { return (await k('webhook_endpoints').orderBy('id')).map(toRow); },
    /** Active endpoints (the caller picks those subscribed to an event: events is a JSON list). */
    async active(): Promise<EndpointRow[]> { return (await k('webhook_endpoints').where({ active: true }).orderBy('id')).map(toRow); },
    async get(id: number): Promise<EndpointRow | undefined> { const r = await k('webhook_endpoints').where({ id }).first(); return r ? toRow(r) : undefined; },
    async create(row: Record<string, unknown>, now: number): Promise<number> {
      const [id] = await k('webhook_endpoints').insert({ ...row, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: Record<string, unknown>, now: number): Promise<void> { await k('webhook_endpoints').where({ id }).update({ ...patch, updated_at: now }); },
    async remove(id: number): Promise<boolean> { return (await k('webhook_endpoints').where({ id }).delete()) === 1; },
    /** Health after an attempt (never `updated_at`: that is for edits). */
    async touch(id: number, ok: boolean, at: number): Promise<void> {
      await k('webhook_endpoints').where({ id }).update(ok ? { last_success_at: at } : { last_failure_at: at });
    },
    /** Endpoints whose last attempt failed (after their last success): the dashboard card. */
    async failingCount(): Promise<number> {
      const [{ n }] = (await k('webhook_endpoints').where({ active: true }).whereNotNull('last_failure_at')
        .where((q) => q.whereNull('last_success_at').orWhereRaw('last_failure_at > last_success_at')).count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
  };
}
export type WebhookEndpointsRepo = ReturnType<typeof webhookEndpointsRepo>;
