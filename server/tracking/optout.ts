/*
 * Opt-out through a message's own link: the token names one queue row (HMAC-signed), so it
 * opts out exactly the person it was sent to. For a mass email the address leaves the
 * campaign's target lists (or, when the person chooses, all mail: opted out entirely), no
 * unsent row of any mass email goes to it any more, and the campaign log notes it once. Other
 * bulk mail blocks the address (reason `unsubscribe`), as before. Only a POST opts out.
 */
import type { Ctx } from '../context.js';
import type { SuppressionService } from '../suppression/service.js';
import type { RecordsService } from '../records/service.js';
import type { TargetListsService } from '../targetLists/service.js';
import type { TrackingService } from './service.js';
import { verifyFields } from '../lib/tokens.js';
import { deriveKey } from '../lib/keys.js';
import { campaignLogRepo } from '../db/repos/tracking/log.js';
import { massEmailsRepo } from '../db/repos/campaigns/massEmails.js';
import { campaignRecipientsRepo } from '../db/repos/campaigns/recipients.js';
import { massQueueRepo } from '../db/repos/outbound/mass.js';

export interface OptOutTarget { queueId: number; address: string; campaign: string | null }

export function optOutService(s: { ctx: Ctx; suppressions: SuppressionService; records: RecordsService; targetLists: TargetListsService; tracking: TrackingService }) {
  const key = deriveKey(s.ctx.config.secret, 'optout');
  const rows = campaignLogRepo(s.ctx.db);
  const mass = massEmailsRepo(s.ctx.db);
  const meta = campaignRecipientsRepo(s.ctx.db);
  const queue = massQueueRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'optout' });

  async function target(token: string) {
    const f = verifyFields(key, token, 1);
    if (!f) return null;
    return (await rows.row(f[0]!)) ?? null;
  }

  return {
    /** Who a token stands for (and the campaign, for the page), or null for a forged or unknown token. */
    async resolve(token: string): Promise<OptOutTarget | null> {
      const row = await target(token);
      if (!row) return null;
      const m = row.massEmailId ? await meta.meta(row.massEmailId) : row.source === 'campaign-test' ? await meta.metaOfMessage(row.messageId) : undefined;
      return { queueId: row.id, address: row.recipient, campaign: m?.campaign.name ?? null };
    },
    /** Opts out; `entirely`: from all mail, not only this campaign's lists. Returns the address, or null for a bad token. */
    async unsubscribe(token: string, o: { entirely?: boolean } = {}): Promise<string | null> {
      const row = await target(token);
      if (!row) return null;
      const address = row.recipient.toLowerCase();
      if (!row.massEmailId) {
        // A test send opts nobody out; other bulk mail blocks the address as it always did.
        if (row.source !== 'campaign-test') await s.suppressions.block(address, { source: 'optout', reason: 'unsubscribe' });
        log.info({ evt: 'optout.unsubscribed', queueId: row.id }, 'recipient unsubscribed');
        return address;
      }
      const me = await mass.get(row.massEmailId);
      if (me) await s.targetLists.optOutAddress(me.target_list_ids, address);
      if (o.entirely) await s.records.setOptedOut(address, true);
      const closed = await queue.suppressUnsent(address, s.ctx.clock.now());
      await s.tracking.optedOut(row.id, Boolean(o.entirely));
      log.info({ evt: 'optout.unsubscribed', queueId: row.id, massEmailId: row.massEmailId, entirely: Boolean(o.entirely), closed }, 'recipient opted out');
      return address;
    },
  };
}
