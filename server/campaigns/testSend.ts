/*
 * Test sends of a mass email: to typed addresses or picked records, rendered exactly as that
 * recipient would get it (an address that belongs to a record is filled from that record),
 * marked `X-Postern-Test: yes`, on its own message row so it never counts in the totals or the
 * campaign log. The template is the current one: a test comes before the start.
 */
import type { Ctx } from '../context.js';
import type { TemplatesService } from '../outbound/templates/service.js';
import type { AccountsService } from '../outbound/accounts/service.js';
import type { CampaignsService } from './service.js';
import { massQueueRepo } from '../db/repos/outbound/mass.js';
import { campaignRecipientsRepo } from '../db/repos/campaigns/recipients.js';
import { parseMailbox } from '../lib/addresses.js';
import { invalid, type FieldError } from '../errors.js';

export const MAX_TEST_RECIPIENTS = 20;

export function testSender(s: { ctx: Ctx; campaigns: CampaignsService; templates: TemplatesService; accounts: AccountsService }) {
  const queue = massQueueRepo(s.ctx.db);
  const recipients = campaignRecipientsRepo(s.ctx.db);
  return async (massEmailId: number, input: { addresses?: string[]; records?: Array<{ type: string; id: number }> }, by: number | null) => {
    const me = await s.campaigns.getMassEmail(massEmailId);
    const f: FieldError[] = [];
    const typed: string[] = [];
    for (const [i, a] of (input.addresses ?? []).entries()) {
      const p = parseMailbox(a.trim());
      if (!p.ok) f.push({ field: `addresses.${i}`, message: `${a}: ${p.message}` }); else typed.push(p.address.toLowerCase());
    }
    const picked = await recipients.primaryAddresses(input.records ?? []);
    if ((input.records ?? []).length > picked.length) f.push({ field: 'records', message: 'some records have no primary address' });
    if (!typed.length && !picked.length && !f.length) f.push({ field: 'addresses', message: 'at least one address or record is needed' });
    if (typed.length + picked.length > MAX_TEST_RECIPIENTS) f.push({ field: 'addresses', message: `at most ${MAX_TEST_RECIPIENTS} test recipients` });
    if (!me.template_id) f.push({ field: 'templateId', message: 'the mass email has no template' });
    if (!me.account_id) f.push({ field: 'accountId', message: 'the mass email has no upstream account' });
    if (f.length) throw invalid(f);
    const [t, account, owners] = await Promise.all([s.templates.get(me.template_id!), s.accounts.get(me.account_id!), recipients.byAddress(typed)]);
    const rows = new Map<string, { recipient: string; record_type: string | null; record_id: number | null }>();
    for (const a of typed) { const o = owners.get(a); rows.set(a, { recipient: a, record_type: o?.type ?? null, record_id: o?.id ?? null }); }
    for (const p of picked) rows.set(p.address, { recipient: p.address, record_type: p.type, record_id: p.id });
    const messageId = await queue.queueTest({
      source: 'campaign-test', source_id: me.id, account_id: account.id, message_type_id: account.message_type_id, from_addr: me.from_addr, from_name: me.from_name,
      reply_to: me.reply_to, subject: t.subject, html: t.html, text: t.text, headers: null, bulk: true, created_by: by, send_at: null,
    }, [...rows.values()], s.ctx.clock.now());
    s.ctx.log.child({ mod: 'campaigns' }).info({ evt: 'mass_email.test_sent', massEmailId, messageId, recipients: rows.size }, 'test send queued');
    return { messageId, recipients: [...rows.keys()] };
  };
}
