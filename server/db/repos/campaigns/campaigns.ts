/*
 * Writes: campaigns, campaign_lists. Reads: campaigns, campaign_lists, mass_emails.
 * Campaigns with their target and excluding lists (one row per list, `excluding` tells which).
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import type { CampaignRow, CampaignStatus, CampaignType } from '../../../campaigns/types.js';

export interface CampaignInput {
  name: string; type: CampaignType; status: CampaignStatus; start_date: number | null; end_date: number | null; description: string | null;
}

const toCampaign = (r: DbRow): CampaignRow => ({
  id: Number(r.id), name: String(r.name), type: r.type as CampaignType, status: r.status as CampaignStatus,
  start_date: numOrNull(r.start_date), end_date: numOrNull(r.end_date), description: strOrNull(r.description),
  created_by: numOrNull(r.created_by), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  target_list_ids: [], excluding_target_list_ids: [],
});

/** Replaces the list links of `table`'s owner row (`col` = id) with the given ids. */
export async function setLists(trx: Knex.Transaction, table: string, col: string, id: number, targets: number[], excluding: number[]) {
  await trx(table).where(col, id).delete();
  const rows = [...new Set(targets)].map((list_id) => ({ [col]: id, list_id, excluding: false }))
    .concat([...new Set(excluding)].filter((l) => !targets.includes(l)).map((list_id) => ({ [col]: id, list_id, excluding: true })));
  if (rows.length) await trx(table).insert(rows);
}

/** Fills target_list_ids / excluding_target_list_ids from `table` for the given rows. */
export async function withLists<T extends { id: number; target_list_ids: number[]; excluding_target_list_ids: number[] }>(
  k: Knex, table: string, col: string, rows: T[],
): Promise<T[]> {
  if (!rows.length) return rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const l of await k(table).whereIn(col, rows.map((r) => r.id)).orderBy('list_id') as DbRow[]) {
    const r = byId.get(Number(l[col]));
    if (r) (Number(l.excluding) ? r.excluding_target_list_ids : r.target_list_ids).push(Number(l.list_id));
  }
  return rows;
}

export function campaignsRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<CampaignRow>> {
      const page = await listPage(k('campaigns').select('*'), {
        sortable: ['id', 'name', 'type', 'status', 'start_date', 'created_at'], defaultSort: 'id', defaultDir: 'desc', searchable: ['name', 'description'],
        filterable: ['type', 'status'],
      }, q, toCampaign);
      await withLists(k, 'campaign_lists', 'campaign_id', page.items);
      return page;
    },
    async get(id: number): Promise<CampaignRow | undefined> {
      const r = await k('campaigns').where({ id }).first();
      return r ? (await withLists(k, 'campaign_lists', 'campaign_id', [toCampaign(r)]))[0] : undefined;
    },
    async create(c: CampaignInput, lists: { targets: number[]; excluding: number[] }, by: number | null, now: number): Promise<number> {
      return k.transaction(async (trx) => {
        const [id] = await trx('campaigns').insert({ ...c, created_by: by, created_at: now, updated_at: now });
        await setLists(trx, 'campaign_lists', 'campaign_id', Number(id), lists.targets, lists.excluding);
        return Number(id);
      });
    },
    async update(id: number, patch: Partial<CampaignInput>, lists: { targets: number[]; excluding: number[] } | null, now: number) {
      await k.transaction(async (trx) => {
        await trx('campaigns').where({ id }).update({ ...patch, updated_at: now });
        if (lists) await setLists(trx, 'campaign_lists', 'campaign_id', id, lists.targets, lists.excluding);
      });
    },
    async remove(id: number): Promise<boolean> { return (await k('campaigns').where({ id }).delete()) > 0; },
    /** Target lists that exist among `ids`. */
    async existingLists(ids: number[]): Promise<number[]> {
      return ids.length ? (await k('target_lists').whereIn('id', ids).select('id') as DbRow[]).map((r) => Number(r.id)) : [];
    },
    async options(): Promise<Array<{ id: number; name: string }>> {
      return (await k('campaigns').select('id', 'name').orderBy('name').limit(1000) as DbRow[]).map((r) => ({ id: Number(r.id), name: String(r.name) }));
    },
  };
}
