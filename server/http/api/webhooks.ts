/* /api/v1/webhooks (endpoints: CRUD, send test, deliveries), /api/v1/webhook-deliveries (detail with attempts, re-send), /api/v1/webhook-settings. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, mapPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { toPublicEndpoint } from '../../webhooks/service.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';
import type { DeliveryRow, AttemptRow } from '../../db/repos/webhooks/deliveries.js';

const EventName = Type.Union(WEBHOOK_EVENTS.map((e) => Type.Literal(e)));
const Endpoint = Type.Object({
  id: Type.Integer(), url: Type.String(), events: Type.Array(Type.String()), active: Type.Boolean(), description: Type.String(),
  secretSet: Type.Boolean({ description: 'the secret is write-only: only whether one is set' }), lastSuccessAt: Nullable(Ms()), lastFailureAt: Nullable(Ms()), createdAt: Ms(), updatedAt: Ms(),
});
const Created = Type.Intersect([Endpoint, Type.Object({ secret: Type.String({ description: 'shown in this answer only' }) })]);
const Input = Type.Object({
  url: Type.String({ maxLength: 2000, description: 'http:// or https://' }),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 500, description: 'write-only; generated when absent (and returned once)' })),
  events: Type.Array(EventName, { minItems: 1 }), active: Type.Optional(Type.Boolean()), description: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });
const Delivery = Type.Object({
  id: Type.Integer(), endpointId: Type.Integer(), eventId: Type.String(), event: Type.String(), state: Type.String({ description: 'pending | retry | sending | delivered | failed' }),
  attempts: Type.Integer(), runAt: Ms('next attempt (epoch ms)'), occurredAt: Ms(), firstAttemptAt: Nullable(Ms()), lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()), finishedAt: Nullable(Ms()), resendOf: Nullable(Type.Integer()), createdAt: Ms(),
});
const Attempt = Type.Object({
  attempt: Type.Integer(), at: Ms(), requestBody: Type.String(), responseStatus: Nullable(Type.Integer()), responseBody: Nullable(Type.String({ description: 'the first 1,000 characters' })),
  durationMs: Type.Integer(), error: Nullable(Type.String()),
});
const DeliveryQuery = Type.Intersect([ListQuery, Type.Object({ state: Type.Optional(Type.String({ maxLength: 16 })), event: Type.Optional(Type.String({ maxLength: 40 })) })]);
const Settings = Type.Object({ historyDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'days attempts and finished deliveries are kept' }) });

const delivery = (d: DeliveryRow) => ({
  id: d.id, endpointId: d.endpoint_id, eventId: d.event_id, event: d.event, state: d.state, attempts: d.attempts, runAt: d.run_at, occurredAt: d.occurred_at,
  firstAttemptAt: d.first_attempt_at, lastStatus: d.last_status, lastError: d.last_error, finishedAt: d.finished_at, resendOf: d.resend_of, createdAt: d.created_at,
});
const attempt = (a: AttemptRow) => ({
  attempt: a.attempt, at: a.at, requestBody: a.request_body, responseStatus: a.response_status, responseBody: a.response_body, durationMs: a.duration_ms, error: a.error,
});

export function webhooksApi(app: Api, s: Services) {
  const tags = ['webhooks'];
  app.get('/webhooks', { schema: { tags, summary: 'Webhook endpoints', querystring: ListQuery, response: { 200: pageOf(Endpoint) } } }, async (req) =>
    mapPage(await s.webhooks.list(listArgs(req.query)), (e) => camelKeys(toPublicEndpoint(e))));
  app.post('/webhooks', { schema: { tags, summary: 'Add a webhook endpoint (the secret signs every request; it is never shown again)', body: Input, response: { 201: Created, ...errors(400) } } },
    async (req, reply) => { reply.status(201); return camelKeys(await s.webhooks.create(req.body)); });
  app.get('/webhooks/:id', { schema: { tags, summary: 'One webhook endpoint', params: IdParams, response: { 200: Endpoint, ...errors(404) } } },
    async (req) => camelKeys(toPublicEndpoint(await s.webhooks.get(req.params.id))));
  app.patch('/webhooks/:id', { schema: { tags, summary: 'Change a webhook endpoint (an absent secret keeps the stored one)', params: IdParams, body: Type.Partial(Input), response: { 200: Endpoint, ...errors(400, 404) } } },
    async (req) => camelKeys(await s.webhooks.update(req.params.id, req.body)));
  app.delete('/webhooks/:id', { schema: { tags, summary: 'Remove a webhook endpoint with its deliveries', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await s.webhooks.remove(req.params.id);
    return reply.status(204).send(null);
  });
  app.post('/webhooks/:id/test', {
    schema: { tags, summary: 'Send a sample webhook.test event to this endpoint now', params: IdParams,
      response: { 200: Type.Object({ deliveryId: Type.Integer(), state: Type.String(), status: Nullable(Type.Integer()), error: Nullable(Type.String()) }), ...errors(404) } },
  }, async (req) => s.webhooks.sendTest(req.params.id));
  app.get('/webhooks/:id/deliveries', { schema: { tags, summary: 'Deliveries of one endpoint, newest first', params: IdParams, querystring: DeliveryQuery, response: { 200: pageOf(Delivery), ...errors(404) } } },
    async (req) => {
      await s.webhooks.get(req.params.id);
      const { state, event, ...q } = req.query;
      return mapPage(await s.webhooks.deliveries.list({ ...listArgs(q), filters: { endpoint_id: req.params.id, state, event } }), delivery);
    });
  app.get('/webhook-deliveries/:id', { schema: { tags, summary: 'One delivery with the history of its attempts', params: IdParams, response: { 200: Type.Intersect([Delivery, Type.Object({ attemptHistory: Type.Array(Attempt) })]), ...errors(404) } } },
    async (req) => { const d = await s.webhooks.delivery(req.params.id); return { ...delivery(d), attemptHistory: d.attempts_list.map(attempt) }; });
  app.post('/webhook-deliveries/:id/resend', { schema: { tags, summary: 'Send a delivery again (a new delivery with the same event id and data)', params: IdParams, response: { 201: Delivery, ...errors(404) } } },
    async (req, reply) => { reply.status(201); return delivery(await s.webhooks.resend(req.params.id)); });
  app.get('/webhook-settings', { schema: { tags, summary: 'Webhook history settings', response: { 200: Settings } } }, async () => s.webhooks.settings());
  app.put('/webhook-settings', { schema: { tags, summary: 'Change how many days webhook history is kept', body: Settings, response: { 200: Settings, ...errors(400) } } },
    async (req) => s.webhooks.setSettings(req.body));
}
