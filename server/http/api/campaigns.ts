/*
 * /api/v1/campaigns, /api/v1/mass-emails and /api/v1/settings/mass-email: campaigns with their
 * target and excluding lists; mass emails with status and counts by state, the skipped members
 * with their reasons, preflight, test send and the operator's actions; the pacing settings.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, IdParams, errors, Nullable, Ms, TimeIn, timeOf, listArgs, mapPage, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { CAMPAIGN_STATUSES, CAMPAIGN_TYPES, MASS_EMAIL_STATUSES, type CampaignRow, type MassEmailRow } from '../../campaigns/types.js';

const lit = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Ids = Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 100 });
const CampaignSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), type: lit(CAMPAIGN_TYPES), status: lit(CAMPAIGN_STATUSES), startDate: Nullable(Ms()), endDate: Nullable(Ms()),
  description: Nullable(Type.String()), targetListIds: Ids, excludingTargetListIds: Ids, createdAt: Ms(), updatedAt: Ms(),
});
const CampaignBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }), type: Type.Optional(lit(CAMPAIGN_TYPES)), status: Type.Optional(lit(CAMPAIGN_STATUSES)),
  startDate: Type.Optional(Nullable(TimeIn('start date'))), endDate: Type.Optional(Nullable(TimeIn('end date'))),
  description: Type.Optional(Nullable(Type.String({ maxLength: 5000 }))), targetListIds: Type.Optional(Ids), excludingTargetListIds: Type.Optional(Ids),
}, { additionalProperties: false });
const Counts = Type.Object({
  total: Type.Integer({ description: 'queue rows (recipients) of the mass email' }), queued: Type.Integer({ description: 'waiting for their portion or for the worker' }),
  sending: Type.Integer(), sent: Type.Integer(), deferred: Type.Integer(), failed: Type.Integer(), cancelled: Type.Integer(),
  skipped: Type.Integer({ description: 'members that got no row, and rows closed before sending' }),
  skippedByReason: Type.Record(Type.String(), Type.Integer(), {
    description: 'former_employee, no_address, list_opted_out, opted_out, excluded, blocked, duplicate',
  }),
});
const MassEmailSchema = Type.Object({
  id: Type.Integer(), campaignId: Type.Integer(), name: Type.String(), status: lit(MASS_EMAIL_STATUSES), statusReason: Nullable(Type.String()),
  startAt: Nullable(Ms()), templateId: Nullable(Type.Integer()), accountId: Nullable(Type.Integer()), fromAddress: Type.String(), fromName: Type.String(),
  replyTo: Nullable(Type.String()), tracking: Type.Boolean({ description: 'open pixel and tracked links' }),
  trackLinks: Type.Boolean({ description: 'track every link of the HTML, not only {trackingUrl:ID}' }), targetListIds: Ids, excludingTargetListIds: Ids,
  startedAt: Nullable(Ms()), expandedAt: Nullable(Ms()), completedAt: Nullable(Ms()), createdAt: Ms(), updatedAt: Ms(),
  counts: Type.Optional(Counts),
});
const MassEmailBody = Type.Object({
  campaignId: Type.Integer({ minimum: 1 }), name: Type.String({ minLength: 1, maxLength: 200 }),
  status: Type.Optional(Type.Union([Type.Literal('draft'), Type.Literal('pending')], { description: 'pending: start at startAt (now when none) once the preflight passes' })),
  startAt: Type.Optional(Nullable(TimeIn('start'))), templateId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))), accountId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  fromAddress: Type.String({ maxLength: 320 }), fromName: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
  replyTo: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
  tracking: Type.Optional(Type.Boolean()), trackLinks: Type.Optional(Type.Boolean()), targetListIds: Type.Optional(Ids), excludingTargetListIds: Type.Optional(Ids),
}, { additionalProperties: false });
const Problem = Type.Object({ check: Type.String(), message: Type.String() });
const Window = Type.Object({
  days: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { maxItems: 7, description: '1 = Monday … 7 = Sunday' }),
  from: Type.String({ maxLength: 5, description: 'HH:MM' }), to: Type.String({ maxLength: 5, description: 'HH:MM, exclusive' }), timeZone: Type.String({ maxLength: 64 }),
});
const SettingsSchema = Type.Object({
  maxPerHour: Type.Integer({ minimum: 0, description: 'messages released per sliding hour, all mass emails together (0: no limit)' }),
  portionSize: Type.Integer({ minimum: 1, description: 'messages one run of the job releases at most' }),
  sendWindow: Nullable(Window), optOutMandatory: Type.Boolean(),
  maxHardBounceRate: Type.Number(), bounceSample: Type.Integer(), maxComplaintRate: Type.Number(), complaintMinSent: Type.Integer(),
});

const campaignOut = (c: CampaignRow) => camelKeys(c);
const massOut = (m: MassEmailRow) => {
  const { from_addr: fromAddress, message_id: _m, checkpoint: _c, created_by: _b, ...rest } = m;
  return { ...camelKeys(rest), fromAddress };
};

export function campaignsApi(app: Api, s: Services) {
  const tags = ['campaigns'];
  const c = s.campaigns;
  const by = (req: { principal?: { userId: number | null } }) => req.principal?.userId ?? null;
  const times = <B extends { startDate?: number | string | null; endDate?: number | string | null }>(b: B) => ({
    ...b, startDate: b.startDate === null ? null : timeOf(b.startDate ?? undefined, 'startDate'), endDate: b.endDate === null ? null : timeOf(b.endDate ?? undefined, 'endDate'),
  });

  app.get('/campaigns', { schema: { tags, summary: 'Campaigns', querystring: Type.Intersect([ListQuery, Type.Object({ type: Type.Optional(lit(CAMPAIGN_TYPES)), status: Type.Optional(lit(CAMPAIGN_STATUSES)) })]), response: { 200: Type.Object({ items: Type.Array(CampaignSchema), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }) } } },
    async (req) => { const { type, status, ...q } = req.query; return mapPage(await c.listCampaigns({ ...listArgs(q), filters: { type, status } }), campaignOut); });
  app.post('/campaigns', { schema: { tags, summary: 'Create a campaign with its target and excluding lists', body: CampaignBody, response: { 201: CampaignSchema, ...errors(400) } } }, async (req, reply) => {
    reply.status(201);
    return campaignOut(await c.createCampaign(times(req.body), by(req)));
  });
  app.get('/campaigns/:id', { schema: { tags, summary: 'One campaign', params: IdParams, response: { 200: CampaignSchema, ...errors(404) } } }, async (req) => campaignOut(await c.getCampaign(req.params.id)));
  app.patch('/campaigns/:id', { schema: { tags, summary: 'Change a campaign', params: IdParams, body: Type.Partial(CampaignBody), response: { 200: CampaignSchema, ...errors(400, 404) } } },
    async (req) => campaignOut(await c.updateCampaign(req.params.id, times(req.body))));
  app.delete('/campaigns/:id', { schema: { tags, summary: 'Delete a campaign and its mass emails (none may be in process)', params: IdParams, response: { 204: Type.Null(), ...errors(404, 409) } } }, async (req, reply) => {
    await c.removeCampaign(req.params.id);
    return reply.status(204).send(null);
  });

  const mtags = ['mass emails'];
  app.get('/mass-emails', { schema: { tags: mtags, summary: 'Mass emails (of one campaign with campaignId)', querystring: Type.Intersect([ListQuery, Type.Object({ campaignId: Type.Optional(Type.Integer({ minimum: 1 })), status: Type.Optional(lit(MASS_EMAIL_STATUSES)) })]), response: { 200: Type.Object({ items: Type.Array(MassEmailSchema), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }) } } },
    async (req) => { const { campaignId, status, ...q } = req.query; return mapPage(await c.listMassEmails({ ...listArgs(q), campaignId, filters: { status } }), massOut); });
  app.post('/mass-emails', { schema: { tags: mtags, summary: 'Create a mass email (lists default to the campaign\'s); status pending schedules it after the preflight', body: MassEmailBody, response: { 201: MassEmailSchema, ...errors(400, 404) } } }, async (req, reply) => {
    const b = req.body;
    const m = await c.createMassEmail({ ...b, startAt: b.startAt === null ? null : timeOf(b.startAt ?? undefined, 'startAt') }, by(req));
    reply.status(201);
    return { ...massOut(m), counts: await c.counts(m.id) };
  });
  app.get('/mass-emails/:id', { schema: { tags: mtags, summary: 'One mass email with its status and counts by state', params: IdParams, response: { 200: MassEmailSchema, ...errors(404) } } },
    async (req) => ({ ...massOut(await c.getMassEmail(req.params.id)), counts: await c.counts(req.params.id) }));
  app.patch('/mass-emails/:id', { schema: { tags: mtags, summary: 'Change a draft or pending mass email (status pending schedules it, draft unschedules)', params: IdParams, body: Type.Partial(Type.Omit(MassEmailBody, ['campaignId'])), response: { 200: MassEmailSchema, ...errors(400, 404, 409) } } }, async (req) => {
    const b = req.body;
    return massOut(await c.updateMassEmail(req.params.id, { ...b, startAt: b.startAt === null ? null : timeOf(b.startAt ?? undefined, 'startAt') }));
  });
  app.delete('/mass-emails/:id', { schema: { tags: mtags, summary: 'Delete a mass email that is not in process (its unsent rows are cancelled)', params: IdParams, response: { 204: Type.Null(), ...errors(404, 409) } } }, async (req, reply) => {
    await c.removeMassEmail(req.params.id);
    return reply.status(204).send(null);
  });
  app.get('/mass-emails/:id/preflight', { schema: { tags: mtags, summary: 'The checks a start needs, with the reason of each that fails (empty: ready)', params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean(), problems: Type.Array(Problem) }), ...errors(404) } } },
    async (req) => { const problems = await c.preflight(req.params.id); return { ok: !problems.length, problems }; });
  app.get('/mass-emails/:id/skipped', { schema: { tags: mtags, summary: 'Members the expansion skipped, with the reason', params: IdParams, querystring: Type.Intersect([ListQuery, Type.Object({ reason: Type.Optional(Type.String({ maxLength: 16 })) })]), response: { 200: Type.Object({ items: Type.Array(Type.Object({ memberType: Type.String(), memberId: Type.Integer(), listId: Nullable(Type.Integer()), address: Nullable(Type.String()), reason: Type.String(), at: Ms() })), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }), ...errors(404) } } },
    async (req) => { const { reason, ...q } = req.query; return camelPage(await c.skips(req.params.id, { ...listArgs(q), filters: { reason } })); });
  app.post('/mass-emails/:id/test', { schema: { tags: mtags, summary: 'Send a test to addresses or records, rendered as that recipient gets it (never counted)', params: IdParams, body: Type.Object({ addresses: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 20 })), records: Type.Optional(Type.Array(Type.Object({ type: lit(['account', 'contact', 'lead', 'user'] as const), id: Type.Integer({ minimum: 1 }) }), { maxItems: 20 })) }), response: { 200: Type.Object({ messageId: Type.Integer(), recipients: Type.Array(Type.String()) }), ...errors(400, 404) } } },
    async (req) => s.testSend(req.params.id, req.body, by(req)));
  for (const [action, summary] of [
    ['schedule', 'Schedule (draft → pending) after the preflight'], ['pause', 'Pause: nothing more is released; queued rows wait'], ['resume', 'Resume a paused mass email'], ['cancel', 'Cancel: unsent rows are cancelled'],
  ] as const) {
    app.post(`/mass-emails/:id/${action}`, { schema: { tags: mtags, summary, params: IdParams, response: { 200: MassEmailSchema, ...errors(400, 404, 409) } } },
      async (req) => massOut(action === 'pause' ? await c.pause(req.params.id, 'Paused by an operator') : await c[action](req.params.id)));
  }
  app.post('/mass-emails/:id/retry-failed', { schema: { tags: mtags, summary: 'Send the failed rows again (in portions, like the rest)', params: IdParams, response: { 200: Type.Object({ retried: Type.Integer(), massEmail: MassEmailSchema }), ...errors(404, 409) } } },
    async (req) => { const r = await c.retryFailed(req.params.id); return { retried: r.retried, massEmail: massOut(r.massEmail) }; });

  app.get('/settings/mass-email', { schema: { tags: mtags, summary: 'Pacing, send window, opt-out link and reputation guard', response: { 200: SettingsSchema } } }, async () => c.settings());
  app.patch('/settings/mass-email', { schema: { tags: mtags, summary: 'Change the mass email settings', body: Type.Partial(SettingsSchema), response: { 200: SettingsSchema, ...errors(400) } } },
    async (req) => c.setSettings(req.body));
}
