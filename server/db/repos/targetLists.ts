/*
 * Writes: target_lists, target_list_members. Reads: target_lists, target_list_members, records,
 * email_addresses, record_emails, suppressions, users (through recordFilterQuery and the member views).
 * Target lists and their members of mixed types (account, contact, lead, user). Filling by filter
 * and evaluating dynamic lists are set-based: INSERT … SELECT / DELETE … NOT IN over one id range
 * of the filter's query at a time (the caller walks the ranges); matches never come into memory.
 */
import type { Knex } from 'knex';
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { numOrNull, strOrNull, type DbRow } from '../row.js';
import { recordFilterQuery } from './records/filter.js';
import type { MemberType, RecordFilter } from '../../records/types.js';

export const MEMBER_TYPES: MemberType[] = ['account', 'contact', 'lead', 'user'];
export type MemberCounts = Record<MemberType, number> & { total: number; optedOut: number };

export interface TargetListRow {
  id: number; name: string; description: string; kind: 'static' | 'dynamic'; criteria: RecordFilter[] | null;
  evaluated_at: number | null; last_added: number | null; last_removed: number | null; created_at: number; updated_at: number;
  counts?: MemberCounts;
}
export interface MemberRow {
  type: MemberType; id: number; external_id: string | null; name: string; email: string | null;
  opted_out: boolean; added_at: number; former_employee: boolean;
}
/** A record (or user) as the pickers show it. */
export interface PickRow { type: MemberType; id: number; external_id: string | null; name: string; email: string | null; in_list?: boolean }

function parseCriteria(v: unknown): RecordFilter[] | null {
  if (typeof v !== 'string' || !v) return null;
  try {
    const x: unknown = JSON.parse(v);
    if (Array.isArray(x)) return x as RecordFilter[];
    return x && typeof x === 'object' ? [x as RecordFilter] : null;
  } catch { return null; }
}
const toList = (r: DbRow): TargetListRow => ({
  id: Number(r.id), name: String(r.name), description: String(r.description ?? ''), kind: r.kind === 'dynamic' ? 'dynamic' : 'static',
  criteria: parseCriteria(r.criteria), evaluated_at: numOrNull(r.evaluated_at), last_added: numOrNull(r.last_added),
  last_removed: numOrNull(r.last_removed), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});
const emptyCounts = (): MemberCounts => ({ account: 0, contact: 0, lead: 0, user: 0, total: 0, optedOut: 0 });
/** The id column of the filter query's table. */
const idCol = (type: MemberType) => (type === 'user' ? 'u.id' : 'r.id');
/** Rows changed by a raw INSERT/DELETE on either driver. */
function changed(res: unknown): number {
  const r = (Array.isArray(res) ? res[0] : res) as { changes?: number; affectedRows?: number } | undefined;
  return Number(r?.changes ?? r?.affectedRows ?? 0);
}

export function targetListsRepo(db: Db) {
  const k = db.knex;
  /** The filter's ids within [lo, hi], as SQL and bindings to embed. */
  const inRange = (f: RecordFilter, lo: number, hi: number) => {
    const q = recordFilterQuery(k, f).whereBetween(idCol(f.type), [lo, hi]).toSQL();
    // MariaDB picks a `ref` on records_type_idx's first column (every record of the type, per
    // batch: quadratic over the batches) unless told to range-scan (type, id): 1M records, 112.8 s → 16.1 s.
    const sql = db.dialect === 'mysql' && f.type !== 'user' ? q.sql.replace('from `records` as `r`', 'from `records` as `r` FORCE INDEX (records_type_idx)') : q.sql;
    return { sql, bindings: q.bindings };
  };
  /** A record's display name: its name, else first and last name (SQLite has no CONCAT before 3.44). */
  const nameOf = (a: string) => (db.dialect === 'mysql'
    ? `COALESCE(NULLIF(${a}.name, ''), TRIM(CONCAT(COALESCE(${a}.first_name, ''), ' ', COALESCE(${a}.last_name, ''))))`
    : `COALESCE(NULLIF(${a}.name, ''), TRIM(COALESCE(${a}.first_name, '') || ' ' || COALESCE(${a}.last_name, '')))`);

  async function countsOf(ids: number[]): Promise<Map<number, MemberCounts>> {
    const out = new Map<number, MemberCounts>(ids.map((id) => [id, emptyCounts()]));
    if (!ids.length) return out;
    const rows = await k('target_list_members').whereIn('list_id', ids).select('list_id', 'member_type', 'opted_out').count({ n: '*' })
      .groupBy('list_id', 'member_type', 'opted_out') as DbRow[];
    for (const r of rows) {
      const c = out.get(Number(r.list_id))!;
      const n = Number(r.n), type = String(r.member_type) as MemberType;
      if (type in c) c[type] += n;
      c.total += n;
      if (Number(r.opted_out)) c.optedOut += n;
    }
    return out;
  }

  return {
    async list(q: ListQuery): Promise<Page<TargetListRow>> {
      const page = await listPage(k('target_lists').select('*'), { sortable: ['id', 'name', 'kind', 'created_at', 'updated_at'], defaultSort: 'name', searchable: ['name', 'description'], filterable: ['kind'] }, q, toList);
      const counts = await countsOf(page.items.map((l) => l.id));
      return { ...page, items: page.items.map((l) => ({ ...l, counts: counts.get(l.id)! })) };
    },
    /** Every list, by name (for pickers): id, name, kind. */
    async all(): Promise<Array<{ id: number; name: string; kind: string }>> {
      return (await k('target_lists').select('id', 'name', 'kind').orderBy('name')).map((r: DbRow) => ({ id: Number(r.id), name: String(r.name), kind: String(r.kind) }));
    },
    async get(id: number): Promise<TargetListRow | undefined> {
      const r = await k('target_lists').where({ id }).first();
      if (!r) return undefined;
      return { ...toList(r), counts: (await countsOf([id])).get(id)! };
    },
    async byName(name: string): Promise<TargetListRow | undefined> {
      const r = await k('target_lists').where({ name }).first();
      return r && toList(r);
    },
    async create(l: { name: string; description: string; kind: 'static' | 'dynamic'; criteria: RecordFilter[] | null }, now: number): Promise<number> {
      const [id] = await k('target_lists').insert({ ...l, criteria: l.criteria ? JSON.stringify(l.criteria) : null, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: { name?: string; description?: string; kind?: 'static' | 'dynamic'; criteria?: RecordFilter[] | null }, now: number): Promise<boolean> {
      const row: Record<string, unknown> = { ...patch, updated_at: now };
      if (patch.criteria !== undefined) row.criteria = patch.criteria ? JSON.stringify(patch.criteria) : null;
      return (await k('target_lists').where({ id }).update(row)) === 1;
    },
    async remove(id: number): Promise<boolean> {
      return k.transaction(async (trx) => {
        await trx('target_list_members').where({ list_id: id }).delete();
        return (await trx('target_lists').where({ id }).delete()) === 1;
      });
    },
    counts: async (id: number) => (await countsOf([id])).get(id)!,
    async setEvaluation(id: number, e: { evaluated_at: number; last_added: number; last_removed: number }): Promise<void> {
      await k('target_lists').where({ id }).update(e);
    },

    /** One page of a list's members of one type, with name, external id and primary address. */
    async members(listId: number, type: MemberType, q: ListQuery & { optedOut?: boolean }): Promise<Page<MemberRow>> {
      const base = type === 'user'
        ? k('target_list_members as m').join('users as u', 'u.id', 'm.member_id')
          .select('m.member_id as id', 'm.opted_out', 'm.added_at', k.raw('NULL as external_id'), 'u.name', 'u.email', k.raw('0 as former_employee'))
        : k('target_list_members as m').join('records as r', 'r.id', 'm.member_id')
          .select('m.member_id as id', 'm.opted_out', 'm.added_at', 'r.external_id', 'r.former_employee',
            k.raw(`${nameOf('r')} as name`),
            k('record_emails as pe').join('email_addresses as pa', 'pa.id', 'pe.email_id').select('pa.address').whereRaw('pe.record_id = r.id')
              .orderBy([{ column: 'pe.is_primary', order: 'desc' }, { column: 'pe.position', order: 'asc' }]).limit(1).as('email'));
      base.where('m.list_id', listId).where('m.member_type', type);
      if (q.optedOut !== undefined) base.where('m.opted_out', q.optedOut);
      const sortable = type === 'user' ? ['m.added_at', 'u.name', 'm.member_id'] : ['m.added_at', 'r.name', 'r.external_id', 'm.member_id'];
      const sortMap: Record<string, string> = { name: type === 'user' ? 'u.name' : 'r.name', external_id: 'r.external_id', added_at: 'm.added_at', id: 'm.member_id' };
      return listPage(base, { sortable, defaultSort: 'm.member_id', searchable: type === 'user' ? ['u.name', 'u.email', 'u.username'] : ['r.name', 'r.first_name', 'r.last_name', 'r.external_id'] },
        { ...q, sort: q.sort ? sortMap[q.sort] ?? q.sort : undefined }, (r) => ({
          type, id: Number(r.id), external_id: strOrNull(r.external_id), name: String(r.name ?? ''), email: strOrNull(r.email),
          opted_out: Boolean(Number(r.opted_out)), added_at: Number(r.added_at), former_employee: Boolean(Number(r.former_employee)),
        }));
    },
    /** One page of the records (or users) a filter selects, marked when already in `listId`. */
    async browse(f: RecordFilter, q: ListQuery, listId?: number): Promise<Page<PickRow>> {
      const ids = recordFilterQuery(k, f);
      const inList = (col: string) => (listId ? k.raw(`EXISTS (SELECT 1 FROM target_list_members x WHERE x.list_id = ? AND x.member_type = ? AND x.member_id = ${col}) as in_list`, [listId, f.type]) : k.raw('0 as in_list'));
      const base = f.type === 'user'
        ? k('users as p').select('p.id', k.raw('NULL as external_id'), 'p.name', 'p.email', inList('p.id')).whereIn('p.id', ids)
        : k('records as p').select('p.id', 'p.external_id', k.raw(`${nameOf('p')} as name`),
          k('record_emails as pe').join('email_addresses as pa', 'pa.id', 'pe.email_id').select('pa.address').whereRaw('pe.record_id = p.id')
            .orderBy([{ column: 'pe.is_primary', order: 'desc' }, { column: 'pe.position', order: 'asc' }]).limit(1).as('email'), inList('p.id')).whereIn('p.id', ids);
      return listPage(base, { sortable: ['p.id', 'p.name'], defaultSort: 'p.id' }, { ...q, sort: q.sort === 'name' ? 'p.name' : undefined }, (r) => ({
        type: f.type, id: Number(r.id), external_id: strOrNull(r.external_id), name: String(r.name ?? ''), email: strOrNull(r.email), in_list: Boolean(Number(r.in_list)),
      }));
    },

    /** The smallest and largest id a filter of this type can match (null when there is none). */
    async idRange(type: MemberType): Promise<{ lo: number; hi: number } | null> {
      const q = type === 'user' ? k('users') : k('records').where('type', type);
      const r = (await q.min({ lo: 'id' }).max({ hi: 'id' }))[0] as DbRow | undefined;
      return r?.lo === null || r?.lo === undefined ? null : { lo: Number(r.lo), hi: Number(r.hi) };
    },
    /** Member ids of one type in a list: their range (for removal batches). */
    async memberRange(listId: number, type: MemberType): Promise<{ lo: number; hi: number } | null> {
      const r = (await k('target_list_members').where({ list_id: listId, member_type: type }).min({ lo: 'member_id' }).max({ hi: 'member_id' }))[0] as DbRow | undefined;
      return r?.lo === null || r?.lo === undefined ? null : { lo: Number(r.lo), hi: Number(r.hi) };
    },
    /**
     * INSERT … SELECT of the filter's matches with ids in [lo, hi] that are not members yet
     * (NOT EXISTS on the key: duplicates are skipped the same way on SQLite and MariaDB). → rows added.
     */
    async addRange(listId: number, f: RecordFilter, lo: number, hi: number, now: number): Promise<number> {
      const sub = inRange(f, lo, hi);
      return changed(await k.raw(
        `INSERT INTO target_list_members (list_id, member_type, member_id, opted_out, added_at) SELECT ?, ?, m.id, 0, ? FROM (${sub.sql}) m
         WHERE NOT EXISTS (SELECT 1 FROM target_list_members x WHERE x.list_id = ? AND x.member_type = ? AND x.member_id = m.id)`,
        [listId, f.type, now, ...sub.bindings, listId, f.type]));
    },
    /**
     * Deletes members of `type` with ids in [lo, hi] that match none of `filters` (all of them when
     * `filters` is empty). Members opted out of this list stay: the opt-out outlives re-evaluation.
     */
    async removeUnmatchedRange(listId: number, type: MemberType, filters: RecordFilter[], lo: number, hi: number): Promise<number> {
      const q = k('target_list_members').where({ list_id: listId, member_type: type }).where('opted_out', false).whereBetween('member_id', [lo, hi]);
      for (const f of filters) q.whereNotIn('member_id', recordFilterQuery(k, f).whereBetween(idCol(type), [lo, hi]));
      return q.delete();
    },
    /** Deletes the members the filter matches in [lo, hi]. */
    async removeMatchedRange(listId: number, f: RecordFilter, lo: number, hi: number): Promise<number> {
      return k('target_list_members').where({ list_id: listId, member_type: f.type }).whereBetween('member_id', [lo, hi])
        .whereIn('member_id', recordFilterQuery(k, f).whereBetween(idCol(f.type), [lo, hi])).delete();
    },
    /** How many the filters select together (duplicates counted once). */
    async countMatches(filters: RecordFilter[]): Promise<number> {
      if (!filters.length) return 0;
      const [first, ...rest] = filters.map((f) => recordFilterQuery(k, f).clearSelect().select(k.raw('? as t', [f.type]), `${idCol(f.type)} as id`));
      if (rest.length) first!.union(rest);
      const r = (await k.from(first!.as('m')).count({ n: '*' }))[0] as DbRow;
      return Number(r.n);
    },
    /** How many of the filters' matches are not members of `listId` yet (each type's matches counted once). */
    async countNew(listId: number, filters: RecordFilter[]): Promise<number> {
      let n = 0;
      for (const type of MEMBER_TYPES) {
        const fs = filters.filter((f) => f.type === type);
        if (!fs.length) continue;
        const [first, ...rest] = fs.map((f) => recordFilterQuery(k, f).clearSelect().select(`${idCol(type)} as id`));
        if (rest.length) first!.union(rest);
        const r = (await k.from(first!.as('m')).whereNotExists(k('target_list_members as x').select(k.raw('1'))
          .where({ 'x.list_id': listId, 'x.member_type': type }).whereRaw('x.member_id = m.id')).count({ n: '*' }))[0] as DbRow;
        n += Number(r.n);
      }
      return n;
    },
    /** Members (not opted out of the list) that none of the filters of their type selects any more. */
    async countStale(listId: number, filters: RecordFilter[]): Promise<number> {
      let n = 0;
      for (const type of MEMBER_TYPES) {
        const q = k('target_list_members').where({ list_id: listId, member_type: type }).where('opted_out', false);
        for (const f of filters.filter((x) => x.type === type)) q.whereNotIn('member_id', recordFilterQuery(k, f));
        n += Number(((await q.count({ n: '*' }))[0] as DbRow).n);
      }
      return n;
    },

    /** Ids of `type` among `ids` that exist (records of that type, or users). */
    async existing(type: MemberType, ids: number[]): Promise<number[]> {
      const out: number[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        const q = type === 'user' ? k('users').whereIn('id', chunk) : k('records').where('type', type).whereIn('id', chunk);
        out.push(...(await q.select('id')).map((r: DbRow) => Number(r.id)));
      }
      return out;
    },
    /** externalId → id for records of `type` (usernames for users). */
    async idsByExternal(type: MemberType, externalIds: string[]): Promise<Map<string, number>> {
      const out = new Map<string, number>();
      for (let i = 0; i < externalIds.length; i += 500) {
        const chunk = externalIds.slice(i, i + 500);
        const rows = type === 'user'
          ? await k('users').whereIn('username', chunk).select('id', { ext: 'username' })
          : await k('records').where('type', type).whereIn('external_id', chunk).select('id', { ext: 'external_id' });
        for (const r of rows as DbRow[]) out.set(String(r.ext), Number(r.id));
      }
      return out;
    },
    /** Adds members by id (ids known to exist); existing members are skipped. → rows added. */
    async addIds(listId: number, type: MemberType, ids: number[], now: number): Promise<number> {
      let n = 0;
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = [...new Set(ids.slice(i, i + 500))];
        const have = new Set((await k('target_list_members').where({ list_id: listId, member_type: type }).whereIn('member_id', chunk).select('member_id')).map((r: DbRow) => Number(r.member_id)));
        const rows = chunk.filter((id) => !have.has(id)).map((member_id) => ({ list_id: listId, member_type: type, member_id, opted_out: false, added_at: now }));
        if (rows.length) await k('target_list_members').insert(rows).onConflict(['list_id', 'member_type', 'member_id']).ignore();
        n += rows.length;
      }
      return n;
    },
    /** A record (or user) that no longer exists leaves every list. */
    async forgetMember(type: MemberType, id: number): Promise<number> {
      return k('target_list_members').where({ member_type: type, member_id: id }).delete();
    },
    async removeIds(listId: number, type: MemberType, ids: number[]): Promise<number> {
      let n = 0;
      for (let i = 0; i < ids.length; i += 500) n += await k('target_list_members').where({ list_id: listId, member_type: type }).whereIn('member_id', ids.slice(i, i + 500)).delete();
      return n;
    },
    /** Opts members out of this list only (or back in). → rows changed. */
    async setOptedOut(listId: number, type: MemberType, ids: number[], optedOut: boolean): Promise<number> {
      let n = 0;
      for (let i = 0; i < ids.length; i += 500) n += await k('target_list_members').where({ list_id: listId, member_type: type }).whereIn('member_id', ids.slice(i, i + 500)).update({ opted_out: optedOut });
      return n;
    },
    /** Adds the (member_type, member_id) pairs a subquery selects (e.g. the records of a campaign log selection); returns how many were new. */
    async addFromQuery(listId: number, sub: Knex.QueryBuilder, now: number): Promise<number> {
      const q = sub.toSQL();
      const ins = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
      return changed(await k.raw(`${ins} INTO target_list_members (list_id, member_type, member_id, opted_out, added_at)
        SELECT ?, s.member_type, s.member_id, 0, ? FROM (${q.sql}) s`, [listId, now, ...q.bindings]));
    },
    /** Opts every member holding `address` (records through their addresses, users by their own) out of these lists. */
    async optOutAddress(listIds: number[], address: string): Promise<number> {
      if (!listIds.length) return 0;
      const records = k('record_emails as re').join('email_addresses as ea', 'ea.id', 're.email_id').where('ea.address', address).select('re.record_id');
      const users = k('users').whereRaw('LOWER(email) = ?', [address]).select('id');
      return k('target_list_members').whereIn('list_id', listIds).where((w) => {
        w.where((x) => x.whereNot('member_type', 'user').whereIn('member_id', records)).orWhere((x) => x.where('member_type', 'user').whereIn('member_id', users));
      }).update({ opted_out: true });
    },
    async isMember(listId: number, type: MemberType, id: number): Promise<{ opted_out: boolean } | undefined> {
      const r = await k('target_list_members').where({ list_id: listId, member_type: type, member_id: id }).first('opted_out');
      return r && { opted_out: Boolean(Number(r.opted_out)) };
    },

    /** Records (every type) with an address among the given suppression rows. */
    async recordsOfSuppressions(suppressionIds: number[], type?: MemberType): Promise<Array<{ type: MemberType; id: number }>> {
      if (!suppressionIds.length) return [];
      const q = k('suppressions as s').join('email_addresses as ea', 'ea.address', 's.address').join('record_emails as re', 're.email_id', 'ea.id')
        .join('records as r', 'r.id', 're.record_id').whereIn('s.id', suppressionIds).distinct('r.type', 'r.id').orderBy('r.id');
      if (type) q.where('r.type', type);
      return (await q as DbRow[]).map((r) => ({ type: String(r.type) as MemberType, id: Number(r.id) }));
    },
    /** Adds the records of the given suppression rows to a list, set-based. → rows added. */
    async addFromSuppressions(listId: number, suppressionIds: number[], now: number): Promise<number> {
      if (!suppressionIds.length) return 0;
      const sub = k('suppressions as s').join('email_addresses as ea', 'ea.address', 's.address').join('record_emails as re', 're.email_id', 'ea.id')
        .join('records as r', 'r.id', 're.record_id').whereIn('s.id', suppressionIds).distinct('r.type', 'r.id').toSQL();
      return changed(await k.raw(
        `INSERT INTO target_list_members (list_id, member_type, member_id, opted_out, added_at) SELECT ?, m.type, m.id, 0, ? FROM (${sub.sql}) m
         WHERE NOT EXISTS (SELECT 1 FROM target_list_members x WHERE x.list_id = ? AND x.member_type = m.type AND x.member_id = m.id)`,
        [listId, now, ...sub.bindings, listId]));
    },
  };
}

export type TargetListsRepo = ReturnType<typeof targetListsRepo>;
