/*
 * /api/v1: a campaign's tracking URLs (with the code to paste into a template), the campaign
 * log (filter by mass email, campaign, action, link; human events unless human=false) and
 * turning a filtered selection into a target list, the stats counters of a mass email or a
 * campaign, and the tracking privacy switch.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, IdParams, errors, Nullable, Ms, listArgs, mapPage } from './schemas.js';
import type { LogFilter, LogItem } from '../../db/repos/tracking/log.js';
import { LOG_ACTIONS } from '../../tracking/service.js';
import type { TrackingUrlRow } from '../../db/repos/tracking/urls.js';
import { invalid } from '../../errors.js';

const UrlSchema = Type.Object({ id: Type.Integer(), campaignId: Type.Integer(), name: Type.String(), url: Type.String(), code: Type.String({ description: 'paste into a template' }), createdAt: Ms() });
const urlOut = (u: TrackingUrlRow) => ({ id: u.id, campaignId: u.campaign_id, name: u.name, url: u.url, code: `{trackingUrl:${u.id}}`, createdAt: u.created_at });
const VIEWS = [...LOG_ACTIONS, 'returned', 'not_opened'] as const;
const Action = Type.Union(VIEWS.map((a) => Type.Literal(a)), { description: 'returned: bounced or complained; not_opened: sent rows no person opened' });
const LogQuery = Type.Object({
  massEmailId: Type.Optional(Type.Integer({ minimum: 1 })), campaignId: Type.Optional(Type.Integer({ minimum: 1 })), action: Type.Optional(Action),
  trackingUrlId: Type.Optional(Type.Integer({ minimum: 1 })), link: Type.Optional(Type.String({ maxLength: 16, description: 'u<id> a tracking URL, a<index> a tracked link' })),
  human: Type.Optional(Type.Boolean({ description: 'default true: people only; false: machine events too' })),
});
const LogItemSchema = Type.Object({
  id: Type.Integer(), action: Type.String(), address: Type.String(), recordType: Nullable(Type.String()), recordId: Nullable(Type.Integer()), at: Ms(),
  class: Nullable(Type.String({ description: 'human, apple-proxy, provider-proxy, scanner, prefetch, unknown' })), rule: Nullable(Type.String()), human: Type.Boolean(),
  link: Type.String(), trackingUrlId: Nullable(Type.Integer()), bounceClass: Nullable(Type.String()), reason: Nullable(Type.String()),
  massEmailId: Type.Integer(), campaignId: Type.Integer(),
});
const itemOut = (i: LogItem) => ({
  id: i.id, action: i.action, address: i.address, recordType: i.record_type, recordId: i.record_id, at: i.at, class: i.class, rule: i.rule, human: i.human,
  link: i.link, trackingUrlId: i.tracking_url_id, bounceClass: i.bounce_class, reason: i.reason, massEmailId: i.mass_email_id, campaignId: i.campaign_id,
});
const Stats = Type.Record(Type.String(), Type.Integer(), {
  description: 'counters: sent, opened, opened_machine, clicked, clicked_machine, click:<link>, opted_out, bounced_hard, bounced_soft, complained',
});

/** A LogFilter from the query; a filtered selection needs a mass email or a campaign. */
export function logFilter(q: { massEmailId?: number; campaignId?: number; action?: LogFilter['action']; trackingUrlId?: number; link?: string; human?: boolean }): LogFilter {
  if (!q.massEmailId && !q.campaignId) throw invalid([{ field: 'massEmailId', message: 'give massEmailId or campaignId' }]);
  return { massEmailId: q.massEmailId, campaignId: q.campaignId, action: q.action, link: q.trackingUrlId ? `u${q.trackingUrlId}` : q.link, human: q.human };
}

export function trackingApi(app: Api, s: Services) {
  const tags = ['tracking'];
  app.get('/campaigns/:id/tracking-urls', { schema: { tags, summary: "A campaign's tracking URLs", params: IdParams, response: { 200: Type.Object({ items: Type.Array(UrlSchema) }), ...errors(404) } } },
    async (req) => { await s.campaigns.getCampaign(req.params.id); return { items: (await s.tracking.listUrls(req.params.id)).map(urlOut) }; });
  app.post('/campaigns/:id/tracking-urls', { schema: { tags, summary: 'Add a tracking URL (a name and the destination)', params: IdParams, body: Type.Object({ name: Type.String({ maxLength: 200 }), url: Type.String({ maxLength: 2000 }) }), response: { 201: UrlSchema, ...errors(400, 404) } } },
    async (req, reply) => { await s.campaigns.getCampaign(req.params.id); reply.status(201); return urlOut(await s.tracking.createUrl(req.params.id, req.body)); });
  app.patch('/tracking-urls/:id', { schema: { tags, summary: 'Rename or re-point a tracking URL', params: IdParams, body: Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), url: Type.Optional(Type.String({ maxLength: 2000 })) }), response: { 200: UrlSchema, ...errors(400, 404) } } },
    async (req) => urlOut(await s.tracking.updateUrl(req.params.id, req.body)));
  app.delete('/tracking-urls/:id', { schema: { tags, summary: 'Delete a tracking URL (its links stop redirecting)', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } },
    async (req, reply) => { await s.tracking.removeUrl(req.params.id); return reply.status(204).send(null); });

  app.get('/campaign-log', { schema: { tags, summary: 'The campaign log: sent, opened, clicked, opted out, bounced, complained', querystring: Type.Intersect([ListQuery, LogQuery]), response: { 200: Type.Object({ items: Type.Array(LogItemSchema), total: Type.Integer({ description: 'counted up to 10,000 (then capped is true); the stats counters hold the real totals' }), capped: Type.Optional(Type.Boolean()), page: Type.Integer(), perPage: Type.Integer() }), ...errors(400) } } },
    async (req) => {
      const { massEmailId, campaignId, action, trackingUrlId, link, human, ...q } = req.query;
      const f = massEmailId || campaignId ? logFilter({ massEmailId, campaignId, action, trackingUrlId, link, human }) : { action, human, link };
      const page = await s.tracking.listLog(f, listArgs(q));
      return { ...mapPage(page, itemOut), ...(page.capped ? { capped: true } : {}) };
    });
  app.post('/campaign-log/target-list', { schema: { tags, summary: 'Add the records of a filtered selection to a target list (existing, or new by name)', body: Type.Intersect([LogQuery, Type.Object({ listId: Type.Optional(Type.Integer({ minimum: 1 })), newName: Type.Optional(Type.String({ maxLength: 200 })) })]), response: { 200: Type.Object({ listId: Type.Integer(), name: Type.String(), created: Type.Boolean(), added: Type.Integer() }), ...errors(400, 404) } } },
    async (req) => {
      const { listId, newName, ...q } = req.body;
      return s.campaignLog.toList(logFilter(q), { listId, newName });
    });
  app.post('/campaign-log/former-employee', { schema: { tags, summary: 'Mark the contacts of a filtered selection as former employees', body: LogQuery, response: { 200: Type.Object({ changed: Type.Integer() }), ...errors(400) } } },
    async (req) => ({ changed: await s.campaignLog.markFormerEmployees(logFilter(req.body)) }));
  app.get('/campaign-log/export.csv', { schema: { tags, summary: 'A filtered selection as CSV (streamed)', querystring: LogQuery } }, async (req, reply) => {
    const f = logFilter(req.query);
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="campaign-log.csv"');
    return reply.send(s.campaignLog.exportCsv(f));
  });
  app.post('/mass-emails/:id/resend-non-openers', { schema: { tags, summary: 'A new draft mass email to the records no person opened it for (minus bounced, complained, opted out)', params: IdParams, response: { 200: Type.Object({ massEmailId: Type.Integer(), listId: Type.Integer(), recipients: Type.Integer() }), ...errors(404) } } },
    async (req) => {
      const r = await s.campaignLog.resendToNonOpeners(req.params.id, req.principal?.userId ?? null);
      return { massEmailId: r.massEmail.id, listId: r.listId, recipients: r.recipients };
    });
  app.get('/mass-emails/:id/stats', { schema: { tags, summary: 'Counters of a mass email (each row counted once per action and link; people and machines apart)', params: IdParams, response: { 200: Type.Object({ counters: Stats }), ...errors(404) } } },
    async (req) => { await s.campaigns.getMassEmail(req.params.id); return { counters: await s.tracking.stats('m', req.params.id) }; });
  app.get('/campaigns/:id/stats', { schema: { tags, summary: 'Counters of a campaign (all its mass emails)', params: IdParams, response: { 200: Type.Object({ counters: Stats }), ...errors(404) } } },
    async (req) => { await s.campaigns.getCampaign(req.params.id); return { counters: await s.tracking.stats('c', req.params.id) }; });
  app.get('/settings/tracking', { schema: { tags, summary: 'Tracking settings', response: { 200: Type.Object({ privacy: Type.Boolean({ description: 'keep only counts and the verdict: IP and user agent are dropped after classification' }) }) } } },
    async () => s.tracking.settings());
  app.patch('/settings/tracking', { schema: { tags, summary: 'Change the tracking settings', body: Type.Object({ privacy: Type.Boolean() }), response: { 200: Type.Object({ privacy: Type.Boolean() }) } } },
    async (req) => s.tracking.setSettings(req.body));
}
