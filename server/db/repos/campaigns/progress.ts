/*
 * Reads: mass_emails, outbound_queue. Writes nothing.
 * Figures for the campaign pages: how many mass emails each campaign has, and how many rows of
 * a mass email reached `sent` since a moment (the observed send rate behind the ETA).
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

export function campaignProgressRepo(db: Db) {
  const k = db.knex;
  return {
    async massEmailsPerCampaign(campaignIds: number[]): Promise<Map<number, number>> {
      const out = new Map<number, number>();
      if (!campaignIds.length) return out;
      const rows = await k('mass_emails').whereIn('campaign_id', campaignIds).select('campaign_id').count({ n: '*' }).groupBy('campaign_id') as DbRow[];
      for (const r of rows) out.set(Number(r.campaign_id), Number(r.n));
      return out;
    },
    async sentSince(massEmailId: number, since: number): Promise<number> {
      const r = await k('outbound_queue').where({ mass_email_id: massEmailId, state: 'sent' }).where('updated_at', '>=', since).count({ n: '*' }).first() as DbRow | undefined;
      return Number(r?.n ?? 0);
    },
  };
}
