/*
 * Webhooks: endpoints (URL, secret sealed at rest and never returned, events, active), the
 * fan-out of an event to the endpoints subscribed to it (one delivery row each), "Send test",
 * re-send of a delivery (a new row), the history purge and its setting, and the worker.
 * Bounces and complaints come from the suppression service's observer API; received messages
 * from the feature's pipeline hook (`received`); other services may be given `emit`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import type { SuppressionService } from '../suppression/service.js';
import type { InboundRow } from '../db/repos/inbound/views.js';
import { invalid, notFound } from '../errors.js';
import { webhookEndpointsRepo, type EndpointRow } from '../db/repos/webhooks/endpoints.js';
import { webhookDeliveriesRepo, type DeliveryRow } from '../db/repos/webhooks/deliveries.js';
import { settingsRepo } from '../db/repos/settings.js';
import { retentionSetting } from '../operations/retention.js';
import type { ListQuery } from '../db/list.js';
import { seal, open } from '../lib/secretbox.js';
import { deriveKey } from '../lib/keys.js';
import { WEBHOOK_EVENTS, TEST_EVENT, isWebhookEvent, type WebhookEvent } from './events.js';
import { createWebhookWorker, WEBHOOK_DEFAULTS, type WebhookWorkerOptions } from './worker.js';

export interface EndpointInput { url?: string; secret?: string | null; events?: string[]; active?: boolean; description?: string }
export type PublicEndpoint = Omit<EndpointRow, 'secret_enc'> & { secret_set: boolean };
export const toPublicEndpoint = ({ secret_enc, ...e }: EndpointRow): PublicEndpoint => ({ ...e, secret_set: Boolean(secret_enc) });
export interface WebhookSettings { historyDays: number }
const DEFAULT_SETTINGS: WebhookSettings = { historyDays: 30 };
const SETTINGS_KEY = 'webhooks';
/** How long another node's endpoint change may take to show in `emit` here. */
export const CACHE_MS = 5000;

/** An id for an event: the same in the body of every endpoint's delivery and every re-send. */
const eventId = () => `evt_${randomBytes(12).toString('base64url')}`;
const keyOf = (parts: Array<string | number | null>) => `k:${createHash('sha256').update(parts.map((p) => String(p ?? '')).join('\u0000')).digest('base64url')}`;

export function validUrl(v: string): boolean {
  try { const u = new URL(v); return (u.protocol === 'http:' || u.protocol === 'https:') && Boolean(u.hostname) && !u.username && !u.password; } catch { return false; }
}

export function webhooksService(s: { ctx: Ctx; suppressions?: Pick<SuppressionService, 'observe'> }, opts: Partial<WebhookWorkerOptions> = {}) {
  const endpoints = webhookEndpointsRepo(s.ctx.db);
  const deliveries = webhookDeliveriesRepo(s.ctx.db);
  const settings = settingsRepo(s.ctx.db);
  const retention = retentionSetting({ settings, name: SETTINGS_KEY, field: 'historyDays', defaults: DEFAULT_SETTINGS, errKey: 'webhooks.err.historyDays', now: () => s.ctx.clock.now() });
  const box = deriveKey(s.ctx.config.secret, 'secretbox');
  const now = () => s.ctx.clock.now();
  const log = s.ctx.log.child({ mod: 'webhooks' });
  const worker = createWebhookWorker({ ctx: s.ctx, deliveries, endpoints, secretOf: (e) => open(box, e.secret_enc), options: { ...WEBHOOK_DEFAULTS, ...opts } });

  function fields(input: EndpointInput, creating: boolean): Record<string, unknown> {
    const errs: Array<{ field: string; message: string; key?: string }> = [];
    const out: Record<string, unknown> = {};
    if (creating || input.url !== undefined) {
      const u = (input.url ?? '').trim();
      if (!u || u.length > 2000 || !validUrl(u)) errs.push({ field: 'url', message: 'must be an http:// or https:// URL', key: 'webhooks.err.url' });
      else out.url = u;
    }
    if (input.secret !== undefined && input.secret !== null && input.secret !== '') {
      if (input.secret.length < 16 || input.secret.length > 500) errs.push({ field: 'secret', message: 'must be 16–500 characters', key: 'webhooks.err.secret' });
      else out.secret_enc = seal(box, input.secret);
    }
    if (creating || input.events !== undefined) {
      const ev = [...new Set((input.events ?? []).map((e) => e.trim()).filter(Boolean))];
      const bad = ev.filter((e) => !isWebhookEvent(e));
      if (!ev.length || bad.length) errs.push({ field: 'events', message: bad.length ? `unknown events: ${bad.join(', ')} (known: ${WEBHOOK_EVENTS.join(', ')})` : 'choose at least one event', key: 'webhooks.err.events' });
      else out.events = JSON.stringify(WEBHOOK_EVENTS.filter((e) => ev.includes(e)));
    }
    if (input.active !== undefined) out.active = input.active;
    if (input.description !== undefined) {
      if (input.description.length > 500) errs.push({ field: 'description', message: 'at most 500 characters', key: 'webhooks.err.description' });
      else out.description = input.description.trim();
    }
    if (errs.length) throw invalid(errs);
    return out;
  }

  async function get(id: number): Promise<EndpointRow> { const e = await endpoints.get(id); if (!e) throw notFound('Webhook endpoint'); return e; }

  // Active endpoints, cached: the delivery worker reports thousands of rows a second and must
  // not read the endpoints per row (nor at all when nobody listens). Changes made here drop the
  // cache at once; other nodes' changes show within CACHE_MS.
  let cache: { until: number; list: EndpointRow[] } | null = null;
  let loading: Promise<EndpointRow[]> | null = null;
  let generation = 0;
  const invalidate = () => { cache = null; generation++; };
  async function activeEndpoints(): Promise<EndpointRow[]> {
    if (cache && cache.until > Date.now()) return cache.list;
    if (!loading) {
      const gen = generation;
      loading = endpoints.active().then((list) => {
        // A change made while this read ran may be missing from it: not cached then.
        if (gen === generation) cache = { until: Date.now() + CACHE_MS, list };
        return list;
      }).finally(() => { loading = null; });
    }
    return loading;
  }

  /**
   * Fans events of one kind out: one delivery per item and active endpoint subscribed to it,
   * written in a few multi-row statements. No query at all while the cache says nobody listens.
   */
  async function emitMany(event: WebhookEvent, items: Array<{ data: Record<string, unknown>; key?: string }>): Promise<number> {
    if (!items.length) return 0;
    const targets = (await activeEndpoints()).filter((e) => e.events.includes(event));
    if (!targets.length) return 0;
    const at = now();
    const rows = items.flatMap((it) => {
      const id = eventId();
      const body = JSON.stringify(it.data);
      return targets.map((e) => ({ endpoint_id: e.id, event_id: id, event, data: body, occurred_at: at, unique_key: it.key ? keyOf([e.id, event, it.key]) : null }));
    });
    const n = await deliveries.enqueueMany(rows, at);
    if (n) log.info({ evt: 'webhook.queued', event, deliveries: n }, 'webhook event queued');
    return n;
  }

  /** Fans an event out: one delivery per active endpoint subscribed to it. Returns how many were queued. */
  const emit = (event: WebhookEvent, data: Record<string, unknown>, key?: string): Promise<number> => emitMany(event, [{ data, key }]);

  s.suppressions?.observe(async (e) => {
    await emit(e.kind, { queueId: e.queueId, address: e.address, class: e.class, reason: e.reason }, `${e.queueId}:${e.address}:${e.class ?? ''}:${e.reason ?? ''}`);
  });

  return {
    endpoints,
    deliveries,
    emit,
    emitMany,
    /** Whether an active endpoint subscribes to this event (from the cache). */
    listens: async (event: WebhookEvent) => (await activeEndpoints()).some((e) => e.events.includes(event)),
    get,
    list: (q: ListQuery) => endpoints.list(q),
    /** Creates an endpoint; without a secret, one is generated. The secret is in this answer only. */
    async create(input: EndpointInput): Promise<PublicEndpoint & { secret: string }> {
      const secret = input.secret || `whsec_${randomBytes(24).toString('base64url')}`;
      const f = fields({ ...input, secret }, true);
      const id = await endpoints.create({ active: true, description: '', ...f }, now());
      invalidate();
      log.info({ evt: 'webhook.endpoint_created', endpoint: id }, 'webhook endpoint created');
      return { ...toPublicEndpoint(await get(id)), secret };
    },
    /** Changes an endpoint; an empty or absent secret keeps the stored one. */
    async update(id: number, input: EndpointInput): Promise<PublicEndpoint> {
      await get(id);
      await endpoints.update(id, fields(input, false), now());
      invalidate();
      return toPublicEndpoint(await get(id));
    },
    async remove(id: number): Promise<void> {
      const removed = await endpoints.remove(id);
      invalidate();
      if (!removed) throw notFound('Webhook endpoint');
      log.info({ evt: 'webhook.endpoint_removed', endpoint: id }, 'webhook endpoint removed');
    },
    /** A received message (the pipeline hook): idempotent per message, so a re-run step adds nothing. */
    async received(msg: InboundRow, fields: { from_addr?: string | null; subject?: string | null; message_id?: string | null; kind?: string | null },
      routing?: { caseId?: number | null; threadRung?: string | null }): Promise<number> {
      return emit('message.received', {
        inboundId: msg.id, listener: msg.listener, mailFrom: msg.mail_from, rcptTo: msg.rcpt_to, from: fields.from_addr ?? msg.from_addr,
        subject: fields.subject ?? msg.subject, messageId: fields.message_id ?? msg.message_id, kind: fields.kind ?? msg.kind, receivedAt: msg.received_at,
        caseId: routing?.caseId ?? null, threadRung: routing?.threadRung ?? null,
      }, `in:${msg.id}`);
    },
    /** Queues a sample `webhook.test` event for one endpoint and sends it now. */
    async sendTest(id: number) {
      const e = await get(id);
      const at = now();
      const deliveryId = await deliveries.insertOne({
        endpoint_id: e.id, event_id: eventId(), event: TEST_EVENT, occurred_at: at, unique_key: null,
        data: JSON.stringify({ message: 'This is a test event from Postern.', endpointId: e.id }),
      }, at);
      const r = await worker.deliverNow(deliveryId);
      return r ?? { deliveryId, state: 'pending', status: null, error: null };
    },
    /** Sends a delivery again, as a new row with the same event id and data. */
    async resend(deliveryId: number): Promise<DeliveryRow> {
      const d = await deliveries.get(deliveryId);
      if (!d) throw notFound('Webhook delivery');
      const id = await deliveries.insertOne({
        endpoint_id: d.endpoint_id, event_id: d.event_id, event: d.event, data: d.data, occurred_at: d.occurred_at, unique_key: null, resend_of: d.id,
      }, now());
      log.info({ evt: 'webhook.resent', delivery: id, of: d.id }, 'webhook delivery re-sent');
      return (await deliveries.get(id))!;
    },
    async delivery(id: number) {
      const d = await deliveries.get(id);
      if (!d) throw notFound('Webhook delivery');
      return { ...d, attempts_list: await deliveries.attempts(id) };
    },
    failingCount: () => endpoints.failingCount(),
    settings: (): Promise<WebhookSettings> => retention.get(),
    setSettings: (v: Partial<WebhookSettings>): Promise<WebhookSettings> => retention.set(v),
    /** The purge job: forgets attempts and finished deliveries older than the history setting. */
    async purge() {
      const { historyDays } = await this.settings();
      const r = await deliveries.purge(now() - historyDays * 86_400_000);
      if (r.attempts || r.deliveries) log.info({ evt: 'webhook.purged', ...r, historyDays }, 'webhook history purged');
      return r;
    },
    runOnce: (workerId?: string) => worker.runOnce(workerId),
    start: async () => worker.start(() => s.ctx.config.worker.pollMs),
  };
}
export type WebhooksService = ReturnType<typeof webhooksService>;
