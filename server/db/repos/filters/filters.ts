/*
 * Writes: filters. Reads: filters, mailboxes, teams, users.
 * Email filters: CRUD, the next position in a scope, and the active filters that apply to a
 * set of mailboxes in run order (global, then group mailboxes', then personal ones'; by position).
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

export interface FilterRow {
  id: number; name: string; mailbox_id: number | null; position: number; active: boolean; match: 'all' | 'any';
  conditions: unknown[]; actions: Record<string, unknown>; created_at: number; updated_at: number;
  /** The scope's mailbox, joined: its address, kind and owner (personal). */
  mailbox_address: string | null; mailbox_kind: 'group' | 'personal' | null; mailbox_user_id: number | null;
}
const json = <T>(v: unknown, d: T): T => { try { return v ? JSON.parse(String(v)) as T : d; } catch { return d; } };
const toRow = (r: DbRow): FilterRow => ({
  id: Number(r.id), name: String(r.name), mailbox_id: r.mailbox_id === null || r.mailbox_id === undefined ? null : Number(r.mailbox_id), position: Number(r.position),
  active: Boolean(r.active), match: r.match_mode === 'any' ? 'any' : 'all', conditions: json(r.conditions, []), actions: json(r.actions, {}),
  created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  mailbox_address: r.mailbox_address ? String(r.mailbox_address) : null, mailbox_kind: r.mailbox_kind ? (String(r.mailbox_kind) as 'group' | 'personal') : null,
  mailbox_user_id: r.mailbox_user_id === null || r.mailbox_user_id === undefined ? null : Number(r.mailbox_user_id),
});
/** Run order: global first, then group mailboxes' filters, then personal mailboxes'; by position, then id. */
export const runOrder = (a: FilterRow, b: FilterRow): number => {
  const rank = (f: FilterRow) => (f.mailbox_id === null ? 0 : f.mailbox_kind === 'personal' ? 2 : 1);
  return rank(a) - rank(b) || (a.mailbox_id ?? 0) - (b.mailbox_id ?? 0) || a.position - b.position || a.id - b.id;
};

export interface FilterListQuery { mailboxIds?: number[]; global?: boolean }

export function filtersRepo(db: Db) {
  const k = db.knex;
  const base = () => k('filters').leftJoin('mailboxes', 'mailboxes.id', 'filters.mailbox_id')
    .select('filters.*', 'mailboxes.address as mailbox_address', 'mailboxes.kind as mailbox_kind', 'mailboxes.user_id as mailbox_user_id');
  return {
    /** Filters in run order; `mailboxIds` narrows to those mailboxes (and global ones when `global`). */
    async list(q: FilterListQuery = {}): Promise<FilterRow[]> {
      const qb = base();
      if (q.mailboxIds) qb.where((w) => { w.whereIn('filters.mailbox_id', q.mailboxIds!.length ? q.mailboxIds! : [0]); if (q.global) w.orWhereNull('filters.mailbox_id'); });
      else if (q.global === false) qb.whereNotNull('filters.mailbox_id');
      return (await qb).map(toRow).sort(runOrder);
    },
    /** The active filters that apply to a message addressed to these mailboxes, in run order. */
    async applying(mailboxIds: number[]): Promise<FilterRow[]> {
      const qb = base().where('filters.active', true).where((w) => { w.whereNull('filters.mailbox_id'); if (mailboxIds.length) w.orWhereIn('filters.mailbox_id', mailboxIds); });
      return (await qb).map(toRow).sort(runOrder);
    },
    async get(id: number): Promise<FilterRow | undefined> { const r = await base().where('filters.id', id).first(); return r ? toRow(r) : undefined; },
    async nextPosition(mailboxId: number | null): Promise<number> {
      const qb = k('filters').max({ p: 'position' });
      if (mailboxId === null) qb.whereNull('mailbox_id'); else qb.where({ mailbox_id: mailboxId });
      const [{ p }] = (await qb) as Array<{ p: number | string | null }>;
      return p === null || p === undefined ? 1 : Number(p) + 1;
    },
    async create(row: Record<string, unknown>, now: number): Promise<number> {
      const [id] = await k('filters').insert({ ...row, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: Record<string, unknown>, now: number): Promise<void> { await k('filters').where({ id }).update({ ...patch, updated_at: now }); },
    async remove(id: number): Promise<boolean> { return (await k('filters').where({ id }).delete()) === 1; },
    /** A mailbox's scope facts for the permission check: its kind and owner. */
    async mailbox(id: number): Promise<{ id: number; address: string; kind: string; user_id: number | null } | undefined> {
      const r = await k('mailboxes').where({ id }).select('id', 'address', 'kind', 'user_id').first();
      return r ? { id: Number(r.id), address: String(r.address), kind: String(r.kind), user_id: r.user_id === null ? null : Number(r.user_id) } : undefined;
    },
    /** Whether an assignment target exists (an action must not name a team or user that is not there). */
    async exists(table: 'teams' | 'users', id: number): Promise<boolean> { return Boolean(await k(table).where({ id }).first('id')); },
    /** Mailboxes offered in the scope picker: all of them, or an agent's personal ones. */
    async mailboxes(userId?: number): Promise<Array<{ id: number; address: string; kind: string }>> {
      const qb = k('mailboxes').select('id', 'address', 'kind').orderBy('address');
      if (userId !== undefined) qb.where({ kind: 'personal', user_id: userId });
      return (await qb).map((r: DbRow) => ({ id: Number(r.id), address: String(r.address), kind: String(r.kind) }));
    },
  };
}
export type FiltersRepo = ReturnType<typeof filtersRepo>;
