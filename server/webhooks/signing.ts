/*
 * Webhook request signing, pure: the JSON body `{id, event, at, data}`, the headers, and the
 * signature `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">` with the endpoint's secret.
 * `verifySignature` is what a receiver does (and what the tests do).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookPayload { id: string; event: string; at: number; data: unknown }

export const payloadBody = (p: WebhookPayload): string => JSON.stringify({ id: p.id, event: p.event, at: p.at, data: p.data });

export function sign(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The request headers of one attempt; `timestamp` is epoch milliseconds. */
export function webhookHeaders(o: { secret: string; event: string; deliveryId: number; timestamp: number; body: string }): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'Postern-Webhooks/1',
    'x-postern-event': o.event,
    'x-postern-delivery': String(o.deliveryId),
    'x-postern-timestamp': String(o.timestamp),
    'x-postern-signature': sign(o.secret, o.timestamp, o.body),
  };
}

/**
 * Checks a received signature in constant time; with `toleranceMs`, also that the timestamp
 * is that recent (replays of old requests fail).
 */
export function verifySignature(secret: string, o: { signature: string | undefined; timestamp: string | undefined; body: string; now?: number; toleranceMs?: number }): boolean {
  if (!o.signature || !o.timestamp || !/^\d+$/.test(o.timestamp)) return false;
  if (o.toleranceMs !== undefined && Math.abs((o.now ?? Date.now()) - Number(o.timestamp)) > o.toleranceMs) return false;
  const want = Buffer.from(sign(secret, o.timestamp, o.body));
  const got = Buffer.from(o.signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The first `max` characters of a response body, for the attempt history. */
export const clip = (s: string, max = 1000): string => (s.length > max ? s.slice(0, max) : s);
