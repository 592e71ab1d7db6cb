/*
 * Reads: records, email_addresses, record_emails, suppressions, target_lists, target_list_members. Writes nothing.
 * Records as the lists, the record page and the API show them: the row, its addresses (primary,
 * opted out, blocked with the reason), its account's name and the target lists that hold it.
 * Each is one query for a whole page of records.
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import type { RecordFilter, RecordType } from '../../../records/types.js';
import { recordFilterQuery } from './filter.js';

export interface RecordEmail { address: string; primary: boolean; optedOut: boolean; blocked: boolean; blockedReason: string | null }
export interface RecordRow {
  id: number; type: RecordType; external_id: string | null; first_name: string | null; last_name: string | null; name: string;
  title: string | null; phone: string | null; team_id: number | null; account_id: number | null; former_employee: boolean;
  attributes: Record<string, string | number | boolean | null>; created_at: number; updated_at: number;
}
export interface RecordView extends RecordRow { emails: RecordEmail[]; account_name: string | null }
export interface RecordListMembership { id: number; name: string; opted_out: boolean; added_at: number }

const parseAttrs = (v: unknown): RecordRow['attributes'] => {
  if (typeof v !== 'string' || !v) return {};
  try { const x: unknown = JSON.parse(v); return x && typeof x === 'object' && !Array.isArray(x) ? (x as RecordRow['attributes']) : {}; } catch { return {}; }
};
export const toRecord = (r: DbRow): RecordRow => ({
  id: Number(r.id), type: r.type as RecordType, external_id: strOrNull(r.external_id), first_name: strOrNull(r.first_name), last_name: strOrNull(r.last_name),
  name: String(r.name ?? ''), title: strOrNull(r.title), phone: strOrNull(r.phone), team_id: numOrNull(r.team_id), account_id: numOrNull(r.account_id),
  former_employee: Boolean(r.former_employee), attributes: parseAttrs(r.attributes), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});

export const SORTABLE = ['id', 'name', 'first_name', 'last_name', 'external_id', 'title', 'created_at', 'updated_at'];

export function recordsReadRepo(db: Db) {
  const k = db.knex;

  async function emailsOf(ids: number[]): Promise<Map<number, RecordEmail[]>> {
    const out = new Map<number, RecordEmail[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await k('record_emails as re').join('email_addresses as ea', 'ea.id', 're.email_id')
        .leftJoin('suppressions as s', (j) => j.on('s.address', 'ea.address').andOnVal('s.blocked', '=', true))
        .select('re.record_id', 're.is_primary', 'ea.address', 'ea.opted_out', { blocked_id: 's.id', blocked_reason: 's.reason' })
        .whereIn('re.record_id', ids.slice(i, i + 500)).orderBy([{ column: 're.record_id' }, { column: 're.is_primary', order: 'desc' }, { column: 're.position' }]);
      for (const r of rows) {
        const list = out.get(Number(r.record_id)) ?? [];
        const blocked = r.blocked_id !== null && r.blocked_id !== undefined;
        list.push({ address: String(r.address), primary: Boolean(r.is_primary), optedOut: Boolean(r.opted_out), blocked, blockedReason: strOrNull(r.blocked_reason) });
        out.set(Number(r.record_id), list);
      }
    }
    return out;
  }
  async function withDetails(rows: RecordRow[]): Promise<RecordView[]> {
    const emails = await emailsOf(rows.map((r) => r.id));
    const acctIds = [...new Set(rows.flatMap((r) => (r.account_id ? [r.account_id] : [])))];
    const names = new Map<number, string>();
    for (let i = 0; i < acctIds.length; i += 500) for (const a of await k('records').select('id', 'name').whereIn('id', acctIds.slice(i, i + 500))) names.set(Number(a.id), String(a.name));
    return rows.map((r) => ({ ...r, emails: emails.get(r.id) ?? [], account_name: r.account_id ? names.get(r.account_id) ?? null : null }));
  }

  return {
    async get(type: RecordType, id: number): Promise<RecordView | undefined> {
      const r = await k('records').where({ type, id }).first();
      return r ? (await withDetails([toRecord(r)]))[0] : undefined;
    },
    async byExternalId(type: RecordType, externalId: string): Promise<RecordView | undefined> {
      const r = await k('records').where({ type, external_id: externalId }).first();
      return r ? (await withDetails([toRecord(r)]))[0] : undefined;
    },
    /** A page of records matching the filter (one id subquery, recordFilterQuery), with their addresses and account names. */
    async list(filter: RecordFilter & { type: RecordType }, q: ListQuery): Promise<Page<RecordView>> {
      const base = k('records').select('*').whereIn('id', recordFilterQuery(k, filter) as Knex.QueryBuilder);
      const page = await listPage(base, { sortable: SORTABLE, defaultSort: 'name' }, { ...q, q: undefined, filters: undefined }, toRecord);
      return { ...page, items: await withDetails(page.items) };
    },
    emailsOf,
    /** The target lists that hold a record (or a user). */
    async listsOf(type: string, id: number): Promise<RecordListMembership[]> {
      const rows = await k('target_list_members as m').join('target_lists as l', 'l.id', 'm.list_id').where({ 'm.member_type': type, 'm.member_id': id })
        .select('l.id', 'l.name', 'm.opted_out', 'm.added_at').orderBy('l.name');
      return rows.map((r) => ({ id: Number(r.id), name: String(r.name), opted_out: Boolean(r.opted_out), added_at: Number(r.added_at) }));
    },
    /** Accounts for a picker: id and name, by name. */
    async accountChoices(search = '', limit = 200): Promise<Array<{ id: number; name: string }>> {
      const q = k('records').select('id', 'name').where('type', 'account').orderBy('name').limit(limit);
      if (search) q.whereRaw('LOWER(name) LIKE ?', [`%${search.toLowerCase()}%`]);
      return (await q).map((r) => ({ id: Number(r.id), name: String(r.name) }));
    },
    /** Contacts of an account. */
    async contactsOf(accountId: number, limit = 200): Promise<RecordRow[]> {
      return (await k('records').where({ type: 'contact', account_id: accountId }).orderBy('name').limit(limit)).map(toRecord);
    },
    async emailOptedOut(address: string): Promise<boolean | undefined> {
      const r = await k('email_addresses').select('opted_out').where({ address }).first();
      return r ? Boolean(r.opted_out) : undefined;
    },
    async count(type: RecordType): Promise<number> {
      const [{ n }] = (await k('records').where({ type }).count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
  };
}
export type RecordsReadRepo = ReturnType<typeof recordsReadRepo>;
