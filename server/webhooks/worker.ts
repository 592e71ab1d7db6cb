/*
 * The webhook delivery worker: claims due deliveries under a lease (several nodes never send
 * one row twice), POSTs the signed JSON body, never follows a redirect (a 3xx is a failure),
 * records every attempt and, fenced by the lease, the row's next state: delivered, retry
 * after a capped jittered backoff, or failed once the retry window (24 h) is over.
 */
import type { Ctx } from '../context.js';
import type { WebhookDeliveriesRepo, DeliveryRow, NewAttempt } from '../db/repos/webhooks/deliveries.js';
import type { WebhookEndpointsRepo, EndpointRow } from '../db/repos/webhooks/endpoints.js';
import { nextDelayMs, isExpired, type BackoffOptions } from '../lib/backoff.js';
import { pollLoop } from '../lib/poll.js';
import { TEST_EVENT } from './events.js';
import { clip, payloadBody, webhookHeaders } from './signing.js';

export interface WebhookWorkerOptions {
  /** Per request, connect to last body byte. */
  timeoutMs: number;
  backoff: BackoffOptions;
  /** Retries stop this long after the first attempt. */
  maxAgeMs: number;
  batch: number;
}
export const WEBHOOK_DEFAULTS: WebhookWorkerOptions = {
  timeoutMs: 10_000, backoff: { baseMs: 30_000, maxMs: 3_600_000, jitter: 0.5 }, maxAgeMs: 24 * 3_600_000, batch: 10,
};

export interface PostResult { status: number | null; body: string | null; error: string | null; durationMs: number; ok: boolean }

/** Reads at most `max` bytes of a response body, then drops the rest. */
async function readSome(res: Response, max = 4096): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    while (n < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      n += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/** One POST: no redirects followed, a timeout over the whole exchange. */
export async function postOnce(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = clip(await readSome(res));
    const ok = res.status >= 200 && res.status < 300;
    const error = ok ? null
      : res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: redirect not followed${res.headers.get('location') ? ` (to ${clip(res.headers.get('location')!, 500)})` : ''}`
        : `HTTP ${res.status}`;
    return { status: res.status, body: text, error, durationMs: ms(), ok };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
    const error = timedOut ? `timed out after ${timeoutMs} ms` : err.cause?.code ? `${err.cause.code}: ${err.cause.message ?? err.message}` : err.message;
    return { status: null, body: null, error: clip(error, 1000), durationMs: ms(), ok: false };
  }
}

export function createWebhookWorker(s: {
  ctx: Ctx; deliveries: WebhookDeliveriesRepo; endpoints: WebhookEndpointsRepo; secretOf(e: EndpointRow): string; options: WebhookWorkerOptions;
}) {
  const log = s.ctx.log.child({ mod: 'webhooks' });
  const o = s.options;
  const leaseMs = o.timeoutMs + 30_000;
  const now = () => s.ctx.clock.now();
  const workerId = `${s.ctx.nodeId}:webhooks`;

  type Outcome = { deliveryId: number; state: string; status: number | null; error: string | null };

  async function deliver(row: DeliveryRow & { locked_by: string }): Promise<Outcome> {
    const token = row.locked_by;
    const ep = await s.endpoints.get(row.endpoint_id);
    const attemptNo = row.attempts + 1;
    const t0 = now();
    const fail = async (error: string) => {
      // Nothing was sent: the attempt records why, and the row fails at once.
      await s.deliveries.finish(row.id, token, { attempt: attemptNo, at: t0, request_body: '', response_status: null, response_body: null, duration_ms: 0, error },
        { state: 'failed', attempts: attemptNo, last_error: error, finished_at: t0, first_attempt_at: row.first_attempt_at ?? t0 }, t0);
      log.warn({ evt: 'webhook.failed', delivery: row.id, endpoint: row.endpoint_id, error }, 'webhook delivery failed');
      return { deliveryId: row.id, state: 'failed', status: null, error };
    };
    if (!ep) return fail('endpoint removed');
    if (!ep.active && row.event !== TEST_EVENT) return fail('endpoint is inactive');
    let secret: string;
    try { secret = s.secretOf(ep); } catch (e) { return fail((e as Error).message); }

    const body = payloadBody({ id: row.event_id, event: row.event, at: row.occurred_at, data: JSON.parse(row.data) as unknown });
    const r = await postOnce(ep.url, webhookHeaders({ secret, event: row.event, deliveryId: row.id, timestamp: t0, body }), body, o.timeoutMs);
    const at = now();
    const first = row.first_attempt_at ?? t0;
    const attempt: NewAttempt = { attempt: attemptNo, at: t0, request_body: body, response_status: r.status, response_body: r.body, duration_ms: r.durationMs, error: r.error };
    let state: string;
    let patch: Record<string, unknown>;
    if (r.ok) {
      state = 'delivered';
      patch = { state, attempts: attemptNo, last_status: r.status, last_error: null, finished_at: at, first_attempt_at: first };
    } else if (isExpired(first, o.maxAgeMs, at)) {
      state = 'failed';
      patch = { state, attempts: attemptNo, last_status: r.status, last_error: r.error, finished_at: at, first_attempt_at: first };
    } else {
      state = 'retry';
      patch = { state, attempts: attemptNo, last_status: r.status, last_error: r.error, run_at: at + nextDelayMs(attemptNo, o.backoff), first_attempt_at: first };
    }
    const fenced = await s.deliveries.finish(row.id, token, attempt, patch, at);
    await s.endpoints.touch(ep.id, r.ok, at);
    if (!fenced) log.warn({ evt: 'webhook.lease_lost', delivery: row.id }, 'webhook lease lost before the result was written');
    if (state === 'delivered') log.info({ evt: 'webhook.delivered', delivery: row.id, endpoint: ep.id, event: row.event, status: r.status, ms: r.durationMs }, 'webhook delivered');
    else log.warn({ evt: state === 'failed' ? 'webhook.failed' : 'webhook.retry', delivery: row.id, endpoint: ep.id, event: row.event, status: r.status, error: r.error }, 'webhook attempt failed');
    return { deliveryId: row.id, state, status: r.status, error: r.error };
  }

  /** One pass: claims up to a batch of due rows and sends them in parallel. Returns how many. */
  async function runOnce(id: string = workerId): Promise<number> {
    const rows = await s.deliveries.claim({ workerId: id, leaseMs, limit: o.batch, now: now() });
    await Promise.all(rows.map((r) => deliver(r).catch((e: unknown) => log.error({ evt: 'webhook.error', delivery: r.id, err: e }, 'webhook delivery crashed'))));
    return rows.length;
  }

  return {
    runOnce,
    /** Claims and sends one row now (a test send); null when another worker holds it already. */
    async deliverNow(id: number): Promise<Outcome | null> {
      const [row] = await s.deliveries.claim({ workerId, leaseMs, limit: 1, now: now(), id });
      return row ? deliver(row) : null;
    },
    start(pollMs: () => number) {
      const loop = pollLoop({
        pass: () => runOnce(), more: (n) => n >= o.batch, pollMs,
        onError: (e) => log.error({ evt: 'webhook.pass_failed', err: e }, 'webhook pass failed'),
      });
      return { stop: () => loop.stop() };
    },
  };
}
export type WebhookWorker = ReturnType<typeof createWebhookWorker>;
