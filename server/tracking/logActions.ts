/*
 * What a marketer does with a filtered campaign log selection: fill a target list with its
 * records (e.g. everyone who clicked a URL), mark its contacts as former employees, export it
 * as CSV (streamed in id order), and "resend to non-openers" (a new draft mass email to the
 * records no person opened it for, minus bounced, complained and opted out). Set-based or paged.
 */
import type { Readable } from 'node:stream';
import type { Ctx } from '../context.js';
import type { TrackingService } from './service.js';
import type { TargetListsService } from '../targetLists/service.js';
import type { RecordsService } from '../records/service.js';
import type { CampaignsService } from '../campaigns/service.js';
import type { LogFilter } from '../db/repos/tracking/log.js';
import { campaignLogRepo } from '../db/repos/tracking/log.js';
import { csvStream, neutralizeCell } from '../lib/csv.js';
import { byIdPages } from '../lib/pages.js';

const PAGE = 5000;
export type CampaignLogActions = ReturnType<typeof campaignLogActions>;

export function campaignLogActions(s: { ctx: Ctx; tracking: TrackingService; targetLists: TargetListsService; records: RecordsService; campaigns: CampaignsService }) {
  const repo = campaignLogRepo(s.ctx.db);
  return {
    toList: (f: LogFilter, target: { listId?: number; newName?: string }) => s.targetLists.addFromQuery(target, repo.recordsOf(f)),
    async markFormerEmployees(f: LogFilter): Promise<number> {
      let changed = 0;
      for (let after = 0; ;) {
        const ids = await repo.contactIds(f, after, PAGE);
        if (ids.length) changed += await s.records.setFormerEmployee(ids, true);
        if (ids.length < PAGE) return changed;
        after = ids[ids.length - 1]!;
      }
    },
    exportCsv(f: LogFilter): Readable {
      async function* rows() {
        yield ['at', 'action', 'address', 'recordType', 'recordId', 'class', 'rule', 'link', 'bounceClass', 'reason', 'massEmailId'];
        for await (const r of byIdPages((after, limit) => repo.page(f, after, limit), PAGE)) {
          yield [new Date(r.at).toISOString(), r.action, neutralizeCell(r.address), r.record_type ?? '', r.record_id ?? '', r.class ?? '', r.rule ?? '', r.link,
            r.bounce_class ?? '', r.reason ?? '', r.mass_email_id];
        }
      }
      return csvStream(rows());
    },
    /** A new draft mass email like this one, to a new list of its non-openers (people only; minus bounced, complained, opted out). */
    async resendToNonOpeners(massEmailId: number, by: number | null) {
      const me = await s.campaigns.getMassEmail(massEmailId);
      const name = `${me.name} — non-openers ${new Date(s.ctx.clock.now()).toISOString().slice(0, 16).replace('T', ' ')}`.slice(0, 200);
      const list = await s.targetLists.addFromQuery({ newName: name }, repo.nonOpeners(massEmailId));
      const copy = await s.campaigns.createMassEmail({
        campaignId: me.campaign_id, name, templateId: me.template_id, accountId: me.account_id, fromAddress: me.from_addr, fromName: me.from_name,
        replyTo: me.reply_to, tracking: me.tracking, trackLinks: me.track_links, targetListIds: [list.listId], excludingTargetListIds: me.excluding_target_list_ids, status: 'draft',
      }, by);
      return { massEmail: copy, listId: list.listId, recipients: list.added };
    },
  };
}
