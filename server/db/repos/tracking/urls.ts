/*
 * Writes: tracking_urls. Reads: tracking_urls.
 * A campaign's named tracking URLs: `{trackingUrl:ID}` in a template becomes a signed
 * per-recipient redirect to the stored URL.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

export interface TrackingUrlRow { id: number; campaign_id: number; name: string; url: string; created_at: number; updated_at: number }
const toRow = (r: DbRow): TrackingUrlRow => ({
  id: Number(r.id), campaign_id: Number(r.campaign_id), name: String(r.name), url: String(r.url), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});

export function trackingUrlsRepo(db: Db) {
  const k = db.knex;
  return {
    async list(campaignId: number): Promise<TrackingUrlRow[]> { return (await k('tracking_urls').where('campaign_id', campaignId).orderBy('id')).map(toRow); },
    async get(id: number): Promise<TrackingUrlRow | undefined> { const r = await k('tracking_urls').where({ id }).first(); return r ? toRow(r) : undefined; },
    async create(campaignId: number, name: string, url: string, now: number): Promise<number> {
      const [id] = await k('tracking_urls').insert({ campaign_id: campaignId, name, url, created_at: now, updated_at: now });
      return Number(id);
    },
    async update(id: number, patch: { name?: string; url?: string }, now: number) { await k('tracking_urls').where({ id }).update({ ...patch, updated_at: now }); },
    async remove(id: number): Promise<boolean> { return (await k('tracking_urls').where({ id }).delete()) > 0; },
    async idsOf(campaignId: number): Promise<number[]> { return (await k('tracking_urls').where('campaign_id', campaignId).select('id') as DbRow[]).map((r) => Number(r.id)); },
  };
}
