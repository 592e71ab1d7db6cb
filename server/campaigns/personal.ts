/*
 * The delivery worker's renderer for campaign rows (mass email and test sends): each copy is
 * the template compiled once per message and filled from the recipient's record, with its own
 * opt-out link, List-Unsubscribe (one-click POST), List-Id, Feedback-ID and a Message-ID
 * derived from the row, signed with the From domain's DKIM key. The return path is a VERP
 * address on a bounce domain aligned with the From domain. Rows whose address was opted out
 * after expansion are skipped here, the last moment before the wire.
 */
import { createHmac } from 'node:crypto';
import type { Ctx } from '../context.js';
import type { DkimService } from '../outbound/dkim/service.js';
import type { Directory } from '../inbound/directory.js';
import type { CampaignRowRender, CampaignRenderHook } from '../outbound/queue/worker.js';
import { campaignRecipientsRepo, recipientKey } from '../db/repos/campaigns/recipients.js';
import { settingsRepo } from '../db/repos/settings.js';
import { deriveKey } from '../lib/keys.js';
import { signFields } from '../lib/tokens.js';
import { compileCampaign, type CompiledCampaign } from './render/compile.js';
import { renderRecipient } from './render/render.js';
import { pickBounceDomain } from './preflight.js';
import type { TrackRef, TrackUrl } from './render/links.js';
import { DEFAULT_SETTINGS, type MassEmailSettings } from './pacing.js';
import { boundedMemo } from '../lib/memo.js';

export const CAMPAIGN_SOURCES = ['campaign', 'campaign-test'];
const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1).toLowerCase();
const CACHED = 100;

interface Prepared { compiled: CompiledCampaign; test: boolean; listId: string; feedbackId: string; optOut: boolean }

export interface CampaignRendererDeps {
  ctx: Ctx; dkim: DkimService; directory: Pick<Directory, 'bounceDomains'>;
  /** A row's tracked URLs (pixel, tracking URLs, tracked links): the tracking service. */
  trackUrl: (ref: TrackRef) => TrackUrl;
  /** Rows of mass emails the upstream accepted (the campaign log's `sent`). */
  onSent: (rows: Array<{ id: number; massEmailId: number; recipient: string; recordType: string | null; recordId: number | null }>) => Promise<void>;
}

export function campaignRenderer(s: CampaignRendererDeps): CampaignRenderHook {
  const repo = campaignRecipientsRepo(s.ctx.db);
  const settings = settingsRepo(s.ctx.db);
  const optoutKey = deriveKey(s.ctx.config.secret, 'optout');
  const midKey = deriveKey(s.ctx.config.secret, 'message-id');
  const publicUrl = () => s.ctx.config.publicUrl.replace(/\/$/, '');

  type Message = { id: number | string; source?: unknown; source_id?: unknown; subject: string | null; html?: string | null; text?: string | null; from_addr: string };
  async function prepare(m: Message): Promise<Prepared | null> {
    const meta = await repo.meta(Number(m.source_id));
    if (!meta) return null;
    const set = await settings.get<MassEmailSettings>('massEmail', DEFAULT_SETTINGS);
    const optOut = meta.campaign.type !== 'informational';
    const fromDomain = domainOf(m.from_addr);
    return {
      compiled: compileCampaign({ subject: m.subject ?? '', html: m.html ?? '', text: m.text ?? null }, {
        optOut: optOut && set.optOutMandatory ? 'required' : 'none',
        // Tracking URLs are links the author placed: they always redirect. The pixel and the other links only with tracking on.
        tracking: { urlIds: new Set(meta.urlIds), autoLinks: meta.tracking && meta.trackLinks, pixel: meta.tracking },
      }),
      test: m.source === 'campaign-test', optOut,
      listId: `${JSON.stringify(meta.campaign.name.replace(/[\r\n"\\]/g, ' '))} <c${meta.campaign.id}.lists.${fromDomain}>`,
      feedbackId: `${meta.massEmailId}:${meta.campaign.id}:campaign:postern`,
    };
  }
  // One compiled template per message (a mass email's copies all share it).
  const prepared = boundedMemo(prepare, { max: CACHED, key: (m: Message) => Number(m.id) });

  return {
    owns: (m) => CAMPAIGN_SOURCES.includes(String(m.source)),
    async sent(rows) {
      const mass = rows.filter((r) => r.mass_email_id);
      if (mass.length) {
        await s.onSent(mass.map((r) => ({
          id: r.id, massEmailId: Number(r.mass_email_id), recipient: r.recipient, recordType: r.record_type ?? null, recordId: r.record_id ? Number(r.record_id) : null,
        })));
      }
    },
    async batch(rows, messages) {
      const mine = rows.filter((r) => { const m = messages.get(r.message_id); return m && CAMPAIGN_SOURCES.includes(String(m.source)); });
      const [records, optedOut, domains] = await Promise.all([
        repo.records(mine.filter((r) => r.record_type && r.record_id).map((r) => ({ type: String(r.record_type), id: Number(r.record_id) }))),
        repo.optedOut(mine.map((r) => r.recipient.toLowerCase())),
        s.directory.bounceDomains(),
      ]);
      return async (row, m): Promise<CampaignRowRender> => {
        if (optedOut.has(row.recipient.toLowerCase())) return { skip: 'opted_out' };
        const p = await prepared(m);
        if (!p) return { skip: 'mass email deleted' };
        const fromDomain = domainOf(m.from_addr);
        const token = signFields(optoutKey, [row.id]);
        const optOutUrl = p.optOut ? `${publicUrl()}/u/${token}` : null;
        const idPart = `pm${m.id}.${row.id}.${createHmac('sha256', midKey).update(`${m.id}.${row.id}`).digest('hex').slice(0, 12)}`;
        const messageId = `<${idPart}@${fromDomain}>`;
        const record = row.record_type && row.record_id ? records.get(recipientKey(String(row.record_type), Number(row.record_id))) ?? null : null;
        const r = renderRecipient(p.compiled, {
          address: row.recipient, record, optOutUrl, from: { address: m.from_addr, name: m.from_name ?? undefined }, replyTo: m.reply_to ?? null,
          date: s.ctx.clock.now(), messageId, listId: p.listId, feedbackId: p.feedbackId, test: p.test,
          unsubscribe: optOutUrl ? { https: optOutUrl, mailto: `unsubscribe+${token}@${fromDomain}` } : null,
          track: s.trackUrl({ queueId: row.id, massEmailId: row.mass_email_id === null ? null : Number(row.mass_email_id), messageId: Number(m.id) }),
        });
        return {
          composed: { raw: await s.dkim.sign(fromDomain, r.raw), messageId, subject: r.subject, fromDomain, bulk: true },
          bounceDomain: pickBounceDomain(m.from_addr, domains) ?? undefined,
        };
      };
    },
  };
}
