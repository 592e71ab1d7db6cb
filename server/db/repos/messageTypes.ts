/*
 * Writes: message_types (upstream_accounts.message_type_id through accounts.ts#clearMessageType). Reads: message_types, upstream_accounts.
 * Message types (labels that classify outbound mail: "transactional", "newsletter", …):
 * the only SQL for `message_types`, plus the per-account default label it is referenced by.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { clearMessageType } from './accounts.js';
import { type DbRow } from '../row.js';

export interface MessageType { id: number; name: string; description: string; created_at: number; updated_at: number; account_count?: number }

const toType = (r: DbRow): MessageType => ({
  id: Number(r.id), name: String(r.name), description: String(r.description ?? ''), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  ...(r.account_count !== undefined ? { account_count: Number(r.account_count) } : {}),
});

export function messageTypesRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<MessageType>> {
      const base = k('message_types').select('message_types.*',
        k('upstream_accounts').count('*').whereRaw('upstream_accounts.message_type_id = message_types.id').as('account_count'));
      return listPage(base, { sortable: ['id', 'name', 'created_at'], defaultSort: 'name', searchable: ['name', 'description'] }, q, toType);
    },
    async all(): Promise<MessageType[]> { return (await k('message_types').orderBy('name')).map(toType); },
    async get(id: number): Promise<MessageType | undefined> {
      const r = await k('message_types').where({ id }).first();
      return r && toType(r);
    },
    async byName(name: string): Promise<MessageType | undefined> {
      const r = await k('message_types').where({ name }).first();
      return r && toType(r);
    },
    async create(t: { name: string; description: string }, now: number): Promise<number> {
      const [id] = await k('message_types').insert({ ...t, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: { name?: string; description?: string }, now: number): Promise<boolean> {
      return (await k('message_types').where({ id }).update({ ...patch, updated_at: now })) === 1;
    },
    /** Accounts defaulting to it fall back to no label (the FK says SET NULL; done here too for SQLite without FK enforcement). */
    async remove(id: number, now: number): Promise<boolean> {
      return k.transaction(async (trx) => {
        await clearMessageType(trx, id, now);
        return (await trx('message_types').where({ id }).delete()) === 1;
      });
    },
  };
}
