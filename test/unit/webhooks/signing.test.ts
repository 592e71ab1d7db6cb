/*
 * Webhook signing, pure: the body shape, the headers, the HMAC over "<timestamp>.<body>",
 * constant-time verification with a replay window, and the URL and event rules.
 */
import t from 'tap';
import { createHmac } from 'node:crypto';
import { sign, verifySignature, webhookHeaders, payloadBody, clip } from '../../../server/webhooks/signing.js';
import { validUrl } from '../../../server/webhooks/service.js';
import { WEBHOOK_EVENTS, isWebhookEvent } from '../../../server/webhooks/events.js';

const SECRET = 'whsec_0123456789abcdef';

t.test('body: exactly {id, event, at, data}, in that order', async (t) => {
  const b = payloadBody({ id: 'evt_1', event: 'bounce', at: 1700000000000, data: { address: 'a@example.com' } });
  t.equal(b, '{"id":"evt_1","event":"bounce","at":1700000000000,"data":{"address":"a@example.com"}}');
});

t.test('signature: sha256= and the hex HMAC-SHA256 of "<timestamp>.<body>"', async (t) => {
  const body = '{"a":1}';
  const want = createHmac('sha256', SECRET).update(`1700000000000.${body}`).digest('hex');
  t.equal(sign(SECRET, 1700000000000, body), `sha256=${want}`);
  t.equal(sign(SECRET, '1700000000000', body), `sha256=${want}`, 'a timestamp as text signs the same');
  t.not(sign(SECRET, 1700000000001, body), `sha256=${want}`, 'the timestamp is signed');
  t.not(sign('another-secret-xxxxxx', 1700000000000, body), `sha256=${want}`);
});

t.test('headers of one attempt', async (t) => {
  const h = webhookHeaders({ secret: SECRET, event: 'webhook.test', deliveryId: 42, timestamp: 1700000000000, body: '{}' });
  t.equal(h['content-type'], 'application/json');
  t.equal(h['x-postern-event'], 'webhook.test');
  t.equal(h['x-postern-delivery'], '42');
  t.equal(h['x-postern-timestamp'], '1700000000000');
  t.equal(h['x-postern-signature'], sign(SECRET, 1700000000000, '{}'));
});

t.test('verification: right secret and body pass; anything altered, missing or too old fails', async (t) => {
  const body = payloadBody({ id: 'evt_2', event: 'open', at: 1, data: {} });
  const ts = '1700000000000';
  const signature = sign(SECRET, ts, body);
  t.ok(verifySignature(SECRET, { signature, timestamp: ts, body }));
  t.notOk(verifySignature(SECRET, { signature, timestamp: ts, body: `${body} ` }), 'body changed');
  t.notOk(verifySignature(SECRET, { signature, timestamp: '1700000000001', body }), 'timestamp changed');
  t.notOk(verifySignature('wrong-secret-0123456', { signature, timestamp: ts, body }), 'other secret');
  t.notOk(verifySignature(SECRET, { signature: signature.slice(0, -1), timestamp: ts, body }), 'truncated');
  t.notOk(verifySignature(SECRET, { signature: undefined, timestamp: ts, body }));
  t.notOk(verifySignature(SECRET, { signature, timestamp: 'abc', body }));
  t.ok(verifySignature(SECRET, { signature, timestamp: ts, body, now: 1700000060000, toleranceMs: 300_000 }), 'within the window');
  t.notOk(verifySignature(SECRET, { signature, timestamp: ts, body, now: 1700000600000, toleranceMs: 300_000 }), 'a replay after the window');
});

t.test('response bodies are clipped to 1,000 characters', async (t) => {
  t.equal(clip('x'.repeat(5000)).length, 1000);
  t.equal(clip('short'), 'short');
});

t.test('URLs: http and https only, with a host and no credentials', async (t) => {
  for (const u of ['https://crm.example.com/hook', 'http://127.0.0.1:8080/x?y=1']) t.ok(validUrl(u), u);
  for (const u of ['ftp://example.com/', 'javascript:alert(1)', 'file:///etc/passwd', 'example.com/hook', '', 'https://user:pw@example.com/']) t.notOk(validUrl(u), u);
});

t.test('events: the documented list', async (t) => {
  t.same([...WEBHOOK_EVENTS], ['message.received', 'message.failed', 'delivery.sent', 'delivery.deferred', 'delivery.failed', 'bounce', 'complaint', 'opt_out', 'open', 'click', 'mass_email.state', 'case.created', 'case.updated']);
  t.ok(isWebhookEvent('bounce'));
  t.notOk(isWebhookEvent('webhook.test'), 'the test event is not subscribable');
});
