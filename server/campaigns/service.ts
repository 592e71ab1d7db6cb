/*
 * Campaigns and mass emails: validated CRUD, the mass email settings (pacing, send window,
 * opt-out link, reputation guard) and the operator's actions (schedule after preflight, pause,
 * resume, cancel, retry failed). Sending itself is the job in sender.ts; test sends in testSend.ts.
 */
import type { Ctx } from '../context.js';
import { conflict, invalid, notFound, type FieldError } from '../errors.js';
import { campaignsRepo, type CampaignInput } from '../db/repos/campaigns/campaigns.js';
import { massEmailsRepo, type MassEmailInput } from '../db/repos/campaigns/massEmails.js';
import { massQueueRepo } from '../db/repos/outbound/mass.js';
import { settingsRepo } from '../db/repos/settings.js';
import type { ListQuery } from '../db/list.js';
import { parseMailbox } from '../lib/addresses.js';
import { assertHeaderValue } from '../lib/headers.js';
import { CAMPAIGN_STATUSES, CAMPAIGN_TYPES, type CampaignRow, type MassEmailRow, type MassEmailStatus } from './types.js';
import { DEFAULT_SETTINGS, sendWindowProblem, type MassEmailSettings } from './pacing.js';
import type { PreflightProblem } from './preflight.js';
import type { MassEmailAction, MassEmailStateObserver } from '../operations/types.js';

export type CampaignsService = ReturnType<typeof campaignsService>;

export interface CampaignBody {
  name?: string; type?: string; status?: string; startDate?: number | null; endDate?: number | null; description?: string | null;
  targetListIds?: number[]; excludingTargetListIds?: number[];
}
export interface MassEmailBody {
  campaignId?: number; name?: string; status?: 'draft' | 'pending'; startAt?: number | null; templateId?: number | null; accountId?: number | null;
  fromAddress?: string; fromName?: string | null; replyTo?: string | null; tracking?: boolean; trackLinks?: boolean; targetListIds?: number[]; excludingTargetListIds?: number[];
}
const SETTINGS = 'massEmail';

/** `onState`: told of every state change an operator makes (the mailer log and the `mass_email.state` webhook). */
export function campaignsService(s: { ctx: Ctx; onState?: MassEmailStateObserver }, preflightOf: (me: MassEmailRow) => Promise<PreflightProblem[]>) {
  const campaigns = campaignsRepo(s.ctx.db);
  const mass = massEmailsRepo(s.ctx.db);
  const queue = massQueueRepo(s.ctx.db);
  const settings = settingsRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const log = s.ctx.log.child({ mod: 'campaigns' });
  const getCampaign = async (id: number) => { const c = await campaigns.get(id); if (!c) throw notFound('Campaign'); return c; };
  const getMass = async (id: number) => { const m = await mass.get(id); if (!m) throw notFound('Mass email'); return m; };
  /** Reports a change made; a report that fails is logged, never the operator's error. */
  const changed = (m: MassEmailRow, to: string, action: MassEmailAction, reason: string | null = null) => stateChanged(s.onState, log, m, to, action, reason);

  async function listsProblem(f: FieldError[], targets: number[] | undefined, excluding: number[] | undefined) {
    const ids = [...(targets ?? []), ...(excluding ?? [])];
    const exist = new Set(await campaigns.existingLists(ids));
    for (const [field, list] of [['targetListIds', targets], ['excludingTargetListIds', excluding]] as const) {
      const missing = (list ?? []).filter((id) => !exist.has(id));
      if (missing.length) f.push({ field, message: `no such target list: ${missing.join(', ')}` });
    }
  }

  async function campaignInput(b: CampaignBody, creating: boolean): Promise<Partial<CampaignInput>> {
    const f: FieldError[] = [];
    const out: Partial<CampaignInput> = {};
    if (creating || b.name !== undefined) {
      if (!b.name?.trim()) f.push({ field: 'name', message: 'Name is required' }); else if (b.name.length > 200) f.push({ field: 'name', message: 'At most 200 characters' });
      else out.name = b.name.trim();
    }
    if (b.type !== undefined || creating) {
      const t = b.type ?? 'email';
      if (!(CAMPAIGN_TYPES as readonly string[]).includes(t)) f.push({ field: 'type', message: `must be one of ${CAMPAIGN_TYPES.join(', ')}` }); else out.type = t as CampaignInput['type'];
    }
    if (b.status !== undefined || creating) {
      const st = b.status ?? 'planning';
      if (!(CAMPAIGN_STATUSES as readonly string[]).includes(st)) f.push({ field: 'status', message: `must be one of ${CAMPAIGN_STATUSES.join(', ')}` }); else out.status = st as CampaignInput['status'];
    }
    if (b.startDate !== undefined) out.start_date = b.startDate;
    if (b.endDate !== undefined) out.end_date = b.endDate;
    if (b.description !== undefined) out.description = b.description?.trim() || null;
    const start = out.start_date ?? null; const end = out.end_date ?? null;
    if (start !== null && end !== null && end < start) f.push({ field: 'endDate', message: 'must not be before the start date' });
    await listsProblem(f, b.targetListIds, b.excludingTargetListIds);
    if (f.length) throw invalid(f);
    return out;
  }

  async function massInput(b: MassEmailBody, creating: boolean): Promise<Partial<MassEmailInput>> {
    const f: FieldError[] = [];
    const out: Partial<MassEmailInput> = {};
    if (creating) {
      if (!b.campaignId || !(await campaigns.get(b.campaignId))) f.push({ field: 'campaignId', message: 'no such campaign' }); else out.campaign_id = b.campaignId;
    }
    if (creating || b.name !== undefined) {
      if (!b.name?.trim()) f.push({ field: 'name', message: 'Name is required' }); else if (b.name.length > 200) f.push({ field: 'name', message: 'At most 200 characters' });
      else out.name = b.name.trim();
    }
    if (creating || b.fromAddress !== undefined) {
      const p = parseMailbox(b.fromAddress ?? '');
      if (!p.ok) f.push({ field: 'fromAddress', message: b.fromAddress ? p.message : 'The From address is required' }); else out.from_addr = p.address;
    }
    for (const [field, v, col] of [['fromName', b.fromName, 'from_name'], ['replyTo', b.replyTo, 'reply_to']] as const) {
      if (v === undefined) continue;
      try { assertHeaderValue(field, v ?? ''); } catch (e) { f.push({ field, message: (e as Error).message }); continue; }
      if (col === 'from_name') out.from_name = (v ?? '').trim().slice(0, 200);
      else if (v && !parseMailbox(v).ok) f.push({ field, message: 'is not a valid address' }); else out.reply_to = v?.trim() || null;
    }
    if (b.startAt !== undefined) out.start_at = b.startAt;
    if (b.templateId !== undefined) out.template_id = b.templateId;
    if (b.accountId !== undefined) out.account_id = b.accountId;
    if (b.tracking !== undefined) out.tracking = b.tracking;
    if (b.trackLinks !== undefined) out.track_links = b.trackLinks;
    if (b.status !== undefined) out.status = b.status;
    else if (creating) out.status = 'draft';
    await listsProblem(f, b.targetListIds, b.excludingTargetListIds);
    if (f.length) throw invalid(f);
    return out;
  }

  /** Refuses to schedule a mass email whose preflight fails, naming every reason. */
  async function assertPreflight(id: number) {
    const problems = await preflightOf(await getMass(id));
    if (problems.length) {
      throw invalid(problems.map((p) => ({ field: p.check, message: p.message })), `The mass email cannot start: ${problems.map((p) => p.message).join('; ')}`);
    }
  }

  return {
    // ---- campaigns
    listCampaigns: (q: ListQuery) => campaigns.list(q),
    getCampaign,
    campaignOptions: () => campaigns.options(),
    async createCampaign(b: CampaignBody, by: number | null): Promise<CampaignRow> {
      const c = await campaignInput(b, true);
      const id = await campaigns.create(c as CampaignInput, { targets: b.targetListIds ?? [], excluding: b.excludingTargetListIds ?? [] }, by, now());
      log.info({ evt: 'campaign.created', campaignId: id }, 'campaign created');
      return getCampaign(id);
    },
    async updateCampaign(id: number, b: CampaignBody): Promise<CampaignRow> {
      const cur = await getCampaign(id);
      const c = await campaignInput({ startDate: cur.start_date, endDate: cur.end_date, ...b }, false);
      const lists = b.targetListIds || b.excludingTargetListIds
        ? { targets: b.targetListIds ?? cur.target_list_ids, excluding: b.excludingTargetListIds ?? cur.excluding_target_list_ids } : null;
      await campaigns.update(id, c, lists, now());
      return getCampaign(id);
    },
    async removeCampaign(id: number) {
      const page = await mass.list({ campaignId: id, perPage: 200, filters: { status: 'in_process' } });
      if (page.total) throw conflict('The campaign has a mass email in process: pause or cancel it first');
      if (!(await campaigns.remove(id))) throw notFound('Campaign');
    },

    // ---- mass emails
    listMassEmails: (q: ListQuery & { campaignId?: number }) => mass.list(q),
    getMassEmail: getMass,
    counts: async (id: number) => { await getMass(id); return mass.counts(id); },
    skips: async (id: number, q: ListQuery) => { await getMass(id); return mass.skips(id, q); },
    preflight: async (id: number) => preflightOf(await getMass(id)),
    async createMassEmail(b: MassEmailBody, by: number | null): Promise<MassEmailRow> {
      const m = await massInput(b, true);
      const c = await getCampaign(m.campaign_id!);
      const lists = b.targetListIds ? { targets: b.targetListIds, excluding: b.excludingTargetListIds ?? [] }
        : { targets: c.target_list_ids, excluding: b.excludingTargetListIds ?? c.excluding_target_list_ids };
      const pending = m.status === 'pending';
      const id = await mass.create({ tracking: true, track_links: false, from_name: '', reply_to: null, start_at: null, template_id: null, account_id: null, ...m, status: 'draft' } as MassEmailInput, lists, by, now());
      if (pending) {
        try { await this.schedule(id); } catch (e) { await mass.remove(id); throw e; }
      }
      log.info({ evt: 'mass_email.created', massEmailId: id, campaignId: c.id }, 'mass email created');
      return getMass(id);
    },
    async updateMassEmail(id: number, b: MassEmailBody): Promise<MassEmailRow> {
      await getMass(id);
      const { status, ...rest } = b;
      const m = await massInput(rest, false);
      const lists = b.targetListIds || b.excludingTargetListIds ? { targets: b.targetListIds ?? [], excluding: b.excludingTargetListIds ?? [] } : null;
      if (lists && !b.targetListIds) lists.targets = (await getMass(id)).target_list_ids;
      if (lists && !b.excludingTargetListIds) lists.excluding = (await getMass(id)).excluding_target_list_ids;
      if (!(await mass.update(id, m, lists, now()))) throw conflict('Only a draft or pending mass email can be edited');
      if (status === 'pending') await this.schedule(id);
      if (status === 'draft') await mass.transition(id, ['pending'], 'draft', now());
      return getMass(id);
    },
    async removeMassEmail(id: number) {
      const m = await getMass(id);
      if (m.status === 'in_process') throw conflict('The mass email is in process: pause or cancel it first');
      await queue.cancel(id, now());
      await mass.remove(id);
    },
    /** draft → pending once the preflight passes; it starts when its start time comes (now when none is set). */
    async schedule(id: number) {
      const m = await getMass(id);
      if (m.status !== 'draft' && m.status !== 'pending') throw conflict(`A mass email in status ${m.status} cannot be scheduled`);
      await assertPreflight(id);
      await mass.transition(id, ['draft', 'pending'], 'pending', now(), m.start_at ? {} : { start_at: now() });
      log.info({ evt: 'mass_email.state', massEmailId: id, status: 'pending' }, 'mass email scheduled');
      if (m.status !== 'pending') await changed(m, 'pending', 'scheduled');
      return getMass(id);
    },
    async pause(id: number, reason: string | null = null) {
      const m = await getMass(id);
      if (!(await mass.transition(id, ['in_process', 'pending'], 'paused', now(), { status_reason: reason }))) throw conflict('Only a pending or sending mass email can be paused');
      const held = await queue.hold(id, now());
      log.info({ evt: 'mass_email.state', massEmailId: id, status: 'paused', reason, held }, 'mass email paused');
      await changed(m, 'paused', 'paused', reason);
      return getMass(id);
    },
    async resume(id: number) {
      const m = await getMass(id);
      if (m.status !== 'paused') throw conflict('Only a paused mass email can be resumed');
      await mass.transition(id, ['paused'], m.started_at ? 'in_process' : 'pending', now(), { status_reason: null });
      log.info({ evt: 'mass_email.state', massEmailId: id, status: m.started_at ? 'in_process' : 'pending' }, 'mass email resumed');
      await changed(m, m.started_at ? 'in_process' : 'pending', 'resumed');
      return getMass(id);
    },
    async cancel(id: number) {
      const m = await getMass(id);
      if (!(await mass.transition(id, ['draft', 'pending', 'in_process', 'paused'], 'cancelled', now(), { completed_at: now() }))) {
        throw conflict('The mass email has already finished');
      }
      const n = await queue.cancel(id, now());
      log.info({ evt: 'mass_email.state', massEmailId: id, status: 'cancelled', canceled: n }, 'mass email cancelled');
      await changed(m, 'cancelled', 'cancelled');
      return getMass(id);
    },
    /** Failed rows are held again and go out in portions; a complete mass email is in process again. */
    async retryFailed(id: number) {
      const m = await getMass(id);
      if (!['in_process', 'complete', 'paused', 'failed'].includes(m.status) || !m.started_at) throw conflict('Only a mass email that has started can retry its failed rows');
      const n = await queue.retryFailed(id, now());
      if (n && (m.status === 'complete' || m.status === 'failed') && await mass.transition(id, [m.status as MassEmailStatus], 'in_process', now(), { completed_at: null, status_reason: null })) {
        await changed(m, 'in_process', 'resumed', `${n} failed rows retried`);
      }
      log.info({ evt: 'mass_email.retry_failed', massEmailId: id, rows: n }, 'failed rows held again');
      return { retried: n, massEmail: await getMass(id) };
    },

    /** The pacing window needs the last hour of releases; older ones are kept a day for the status page. */
    purgeReleases: () => queue.purgeReleases(now() - 24 * 3_600_000),

    // ---- settings
    settings: () => settings.get<MassEmailSettings>(SETTINGS, DEFAULT_SETTINGS),
    async setSettings(patch: Partial<MassEmailSettings>) {
      const next = { ...(await settings.get<MassEmailSettings>(SETTINGS, DEFAULT_SETTINGS)), ...patch };
      const f: FieldError[] = [];
      if (!Number.isInteger(next.maxPerHour) || next.maxPerHour < 0) f.push({ field: 'maxPerHour', message: 'must be a whole number (0: no limit)' });
      if (!Number.isInteger(next.portionSize) || next.portionSize < 1 || next.portionSize > 100_000) f.push({ field: 'portionSize', message: 'must be from 1 to 100,000' });
      if (next.sendWindow) { const p = sendWindowProblem(next.sendWindow); if (p) f.push({ field: 'sendWindow', message: p }); }
      for (const k of ['maxHardBounceRate', 'maxComplaintRate'] as const) if (!(next[k] > 0 && next[k] <= 1)) f.push({ field: k, message: 'must be a share above 0 and at most 1' });
      for (const k of ['bounceSample', 'complaintMinSent'] as const) if (!Number.isInteger(next[k]) || next[k] < 1) f.push({ field: k, message: 'must be a positive whole number' });
      if (f.length) throw invalid(f);
      await settings.set(SETTINGS, next, now());
      return next;
    },
  };
}

/** A mass email state change as the observer takes it; an observer that throws is logged and forgotten. */
export async function stateChanged(
  observer: MassEmailStateObserver | undefined, log: Ctx['log'], m: Pick<MassEmailRow, 'id' | 'campaign_id' | 'status'>, to: string, action: MassEmailAction, reason: string | null = null,
): Promise<void> {
  if (!observer) return;
  try { await observer({ id: m.id, campaignId: m.campaign_id, from: m.status, to, action, reason }); } catch (e) {
    log.error({ evt: 'mass_email.report_failed', massEmailId: m.id, err: e }, 'mass email state change not reported');
  }
}
