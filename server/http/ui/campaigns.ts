/*
 * Campaign pages: the campaigns (sort, search, filter by type and status) with a create form; a
 * campaign's page with its edit form, its mass emails (status, progress, counts) and the "New
 * mass email" form (save as draft, or schedule: the service runs the preflight and its reasons
 * come back as form errors); the mass email settings (pacing, send window, opt-out, guard).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin } from './session.js';
import { str, ids, bool, firstValues, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { invalid } from '../../errors.js';
import { CAMPAIGN_STATUSES, CAMPAIGN_TYPES, type CampaignRow } from '../../campaigns/types.js';
import { DEFAULT_SETTINGS, type MassEmailSettings } from '../../campaigns/pacing.js';
import { progressOf } from '../../campaigns/progress.js';
import type { CampaignBody, MassEmailBody } from '../../campaigns/service.js';
import { statsSection } from './campaignLog.js';
import { trackingUrlsOf } from './trackingUrls.js';

const day = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 10));
export const utcLocal = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString().slice(0, 16));
/** A date (YYYY-MM-DD) or datetime-local value, read as UTC (the forms say so); '' is null. */
function utcTime(v: string, field: string): number | null {
  if (!v.trim()) return null;
  const t = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/.test(v.trim()) ? Date.parse(`${v.trim().length === 10 ? `${v.trim()}T00:00` : v.trim()}Z`) : NaN;
  if (!Number.isFinite(t)) throw invalid([{ field, message: 'Not a date and time' }]);
  return t;
}
const intOrNull = (v: string) => (/^\d+$/.test(v) ? Number(v) : null);

/** The fields of the mass email form (create and edit), as the service takes them. */
export function massBodyFrom(b: Body): MassEmailBody {
  const targets = ids(b, 'targetListIds');
  return {
    name: str(b, 'name'), startAt: utcTime(str(b, 'startAt'), 'startAt'), templateId: intOrNull(str(b, 'templateId')), accountId: intOrNull(str(b, 'accountId')),
    fromAddress: str(b, 'fromAddress').trim(), fromName: str(b, 'fromName'), replyTo: str(b, 'replyTo').trim() || null, tracking: bool(b, 'tracking'), trackLinks: bool(b, 'trackLinks'),
    targetListIds: targets.length ? targets : undefined, excludingTargetListIds: ids(b, 'excludingTargetListIds'),
    status: str(b, 'action') === 'schedule' ? 'pending' : 'draft',
  };
}
/** The form values of a mass email form as posted (to show it again). */
export const massValuesFrom = (b: Body) => ({
  name: str(b, 'name'), startAt: str(b, 'startAt'), templateId: str(b, 'templateId'), accountId: str(b, 'accountId'), fromAddress: str(b, 'fromAddress'),
  fromName: str(b, 'fromName'), replyTo: str(b, 'replyTo'), tracking: bool(b, 'tracking'), trackLinks: bool(b, 'trackLinks'),
  targetListIds: ids(b, 'targetListIds'), excludingTargetListIds: ids(b, 'excludingTargetListIds'),
});
/** The select boxes of the mass email form. */
export async function massOptions(s: Services) {
  const [templates, accounts, lists] = await Promise.all([s.templates.all(), s.accounts.senderAccounts(), s.targetLists.all()]);
  return { templates, accounts: accounts.filter((a) => a.active), lists };
}

export function campaignsUi(app: FastifyInstance, s: Services) {
  const c = s.campaigns;
  const progress = s.campaignProgress;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const base = (id: number) => `/admin/campaigns/${id}`;
  const campaignValues = (x: CampaignRow) => ({
    name: x.name, type: x.type, status: x.status, startDate: day(x.start_date), endDate: day(x.end_date), description: x.description ?? '',
    targetListIds: x.target_list_ids, excludingTargetListIds: x.excluding_target_list_ids,
  });
  const campaignFrom = (b: Body): { body: () => CampaignBody; values: Record<string, unknown> } => {
    const values = {
      name: str(b, 'name'), type: str(b, 'type'), status: str(b, 'status'), startDate: str(b, 'startDate'), endDate: str(b, 'endDate'), description: str(b, 'description'),
      targetListIds: ids(b, 'targetListIds'), excludingTargetListIds: ids(b, 'excludingTargetListIds'),
    };
    return {
      values,
      body: () => ({ ...values, description: values.description || null, startDate: utcTime(values.startDate, 'startDate'), endDate: utcTime(values.endDate, 'endDate') }),
    };
  };

  const listData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const query = firstValues(req.query);
    const page = await c.listCampaigns(listQueryFrom(query, ['type', 'status']));
    const massCounts = Object.fromEntries(await progress.massEmailsPerCampaign(page.items.map((x) => x.id)));
    return {
      title: tr(req).t('campaigns.list.title'), page, query, links: listLinks('/admin/campaigns', query, page), massCounts,
      types: CAMPAIGN_TYPES, statuses: CAMPAIGN_STATUSES, lists: await s.targetLists.all(), values: { type: 'email', status: 'planning' }, ...data,
    };
  };
  app.get('/campaigns', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/campaigns/list.eta', await listData(req)));
  app.post('/campaigns', { preHandler: requireAdmin }, async (req, reply) => {
    const f = campaignFrom(req.body as Body);
    return formAction(reply, {
      act: () => c.createCampaign(f.body(), req.user?.id ?? null),
      done: (x) => ({ to: base(x.id), flash: tr(req).t('campaigns.flash.created', { name: x.name }) }),
      retry: async (fe) => render(req, reply, 'pages/campaigns/list.eta', await listData(req, { values: f.values, ...fe })),
    });
  });

  const detailData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const campaign = await c.getCampaign(idOf(req));
    const [page, options, settings] = await Promise.all([
      c.listMassEmails({ campaignId: campaign.id, perPage: 200, sort: 'id', dir: 'asc' }), massOptions(s), c.settings(),
    ]);
    const now = s.ctx.clock.now();
    const rows = await Promise.all(page.items.map(async (m) => {
      const counts = await c.counts(m.id);
      return { m, counts, progress: progressOf(m.status, counts, 0, settings, now) };
    }));
    const account = options.accounts.find((a) => a.is_default) ?? options.accounts[0];
    const template = options.templates.find((t) => t.is_default);
    return {
      title: campaign.name, campaign, rows, types: CAMPAIGN_TYPES, statuses: CAMPAIGN_STATUSES, ...options,
      values: campaignValues(campaign),
      mass: {
        tracking: true, targetListIds: campaign.target_list_ids, excludingTargetListIds: campaign.excluding_target_list_ids, accountId: account?.id, templateId: template?.id,
      },
      massErrors: {}, stats: await statsSection(s, req, 'c', campaign.id), urls: await trackingUrlsOf(s, campaign.id), fromCampaign: true, ...data,
    };
  };
  app.get('/campaigns/:id', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/campaigns/detail.eta', await detailData(req)));
  app.post('/campaigns/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const f = campaignFrom(req.body as Body);
    return formAction(reply, {
      act: () => c.updateCampaign(id, f.body()),
      done: (x) => ({ to: base(id), flash: tr(req).t('campaigns.flash.saved', { name: x.name }) }),
      retry: async (fe) => render(req, reply, 'pages/campaigns/detail.eta', await detailData(req, { values: f.values, ...fe })),
    });
  });
  app.post('/campaigns/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const x = await c.getCampaign(idOf(req));
    return formAction(reply, {
      act: () => c.removeCampaign(x.id),
      done: () => ({ to: '/admin/campaigns', flash: tr(req).t('campaigns.flash.deleted', { name: x.name }) }),
      retry: (fe) => back(reply, base(x.id), fe.error),
    });
  });
  app.post('/campaigns/:id/mass-emails', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const { t } = tr(req);
    return formAction(reply, {
      act: () => c.createMassEmail({ ...massBodyFrom(b), campaignId: id }, req.user?.id ?? null),
      done: (m) => ({ to: `/admin/mass-emails/${m.id}`, flash: t(m.status === 'pending' ? 'massEmails.flash.scheduled' : 'massEmails.flash.created', { name: m.name }) }),
      retry: async (fe) => render(req, reply, 'pages/campaigns/detail.eta', await detailData(req, { mass: massValuesFrom(b), massErrors: fe.errors, massError: fe.error })),
    });
  });

  // Settings: pacing, send window, opt-out link, reputation guard.
  const showSettings = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => render(req, reply, 'pages/campaigns/settings.eta', {
    title: tr(req).t('massSettings.title'), defaults: DEFAULT_SETTINGS, timeZones: Intl.supportedValuesOf('timeZone'), trackingPrivacy: (await s.tracking.settings()).privacy, ...data,
  });
  const pct = (v: number) => String(Number((v * 100).toPrecision(6)));
  const settingsValues = (v: MassEmailSettings) => ({
    maxPerHour: String(v.maxPerHour), portionSize: String(v.portionSize), windowOn: Boolean(v.sendWindow), days: v.sendWindow?.days ?? [1, 2, 3, 4, 5],
    from: v.sendWindow?.from ?? '08:00', to: v.sendWindow?.to ?? '18:00', timeZone: v.sendWindow?.timeZone ?? 'UTC', optOutMandatory: v.optOutMandatory,
    maxHardBounceRate: pct(v.maxHardBounceRate), bounceSample: String(v.bounceSample), maxComplaintRate: pct(v.maxComplaintRate), complaintMinSent: String(v.complaintMinSent),
  });
  app.get('/settings/mass-email', { preHandler: requireAdmin }, async (req, reply) => showSettings(req, reply, { values: settingsValues(await c.settings()) }));
  app.post('/settings/mass-email', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const num = (k: string) => (str(b, k).trim() === '' ? NaN : Number(str(b, k).trim()));
    const values = {
      maxPerHour: str(b, 'maxPerHour'), portionSize: str(b, 'portionSize'), windowOn: bool(b, 'windowOn'), days: ids(b, 'days'), from: str(b, 'from'), to: str(b, 'to'),
      timeZone: str(b, 'timeZone'), optOutMandatory: bool(b, 'optOutMandatory'), maxHardBounceRate: str(b, 'maxHardBounceRate'), bounceSample: str(b, 'bounceSample'),
      maxComplaintRate: str(b, 'maxComplaintRate'), complaintMinSent: str(b, 'complaintMinSent'),
    };
    const patch: MassEmailSettings = {
      maxPerHour: num('maxPerHour'), portionSize: num('portionSize'), optOutMandatory: values.optOutMandatory,
      sendWindow: values.windowOn ? { days: values.days, from: values.from.trim(), to: values.to.trim(), timeZone: values.timeZone } : null,
      maxHardBounceRate: num('maxHardBounceRate') / 100, bounceSample: num('bounceSample'), maxComplaintRate: num('maxComplaintRate') / 100, complaintMinSent: num('complaintMinSent'),
    };
    return formAction(reply, {
      act: () => c.setSettings(patch),
      done: () => ({ to: '/admin/settings/mass-email', flash: tr(req).t('massSettings.saved') }),
      retry: (fe) => showSettings(req, reply, { values, ...fe }),
    });
  });
}
