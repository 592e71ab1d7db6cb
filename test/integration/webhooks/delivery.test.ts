/*
 * Webhooks end to end against a real local HTTP receiver, on every database: signed
 * requests the receiver verifies, retries after a 500 with backoff, redirects never followed,
 * timeouts, the 24-hour give-up, two workers never delivering one row twice, the attempt
 * history, re-send, "Send test", the history purge, bounces and complaints from the
 * suppression observer and `message.received` from the pipeline hook (idempotent).
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { verifySignature } from '../../../server/webhooks/signing.js';
import { webhooksService } from '../../../server/webhooks/service.js';
import { webhooksFeature } from '../../../server/webhooks/feature.js';
import type { StepContext } from '../../../server/inbound/pipeline/steps.js';

interface Hit { path: string; headers: IncomingMessage['headers']; body: string }

async function receiver(t: Test) {
  const hits: Hit[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      if (path === '/ok') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('thanks'); return; }
      if (path === '/flaky') { res.writeHead(n === 1 ? 500 : 204); res.end(n === 1 ? 'E'.repeat(5000) : ''); return; }
      if (path === '/redirect') { res.writeHead(302, { location: '/ok' }); res.end(); return; }
      if (path === '/slow') { setTimeout(() => { res.writeHead(200); res.end('late'); }, 1500).unref(); return; }
      res.writeHead(500); res.end('always broken');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { hits, base, at: (p: string) => hits.filter((h) => h.path === p) };
}

const SECRET = 'whsec_integration_0123456789';
const HOUR = 3_600_000;

void t.test('webhooks', async (t) => {
  await eachDb(t, async (t, tdb) => {
    let now = Date.UTC(2026, 0, 1);
    const clock = { now: () => now };
    const { s, ctx } = await buildTestServices(t, tdb, { clock });
    const rx = await receiver(t);
    const w = s.webhooks;

    await t.test('endpoints: validation, the secret sealed and never returned, events kept in order', async (t) => {
      await t.rejects(w.create({ url: 'ftp://example.com/x', events: ['bounce'], secret: SECRET }), { code: 'validation_failed', fields: [{ field: 'url' }] });
      await t.rejects(w.create({ url: `${rx.base}/ok`, events: ['nope'], secret: SECRET }), { code: 'validation_failed', fields: [{ field: 'events' }] });
      await t.rejects(w.create({ url: `${rx.base}/ok`, events: [], secret: SECRET }), { code: 'validation_failed', fields: [{ field: 'events' }] });
      await t.rejects(w.create({ url: `${rx.base}/ok`, events: ['bounce'], secret: 'short' }), { code: 'validation_failed', fields: [{ field: 'secret' }] });
      const e = await w.create({ url: `${rx.base}/ok`, events: ['complaint', 'bounce'], secret: SECRET, description: 'CRM' });
      t.equal(e.secret, SECRET, 'shown in the creation answer');
      t.same(e.events, ['bounce', 'complaint']);
      t.equal(e.secret_set, true);
      t.notOk('secret_enc' in e, 'never the sealed value either');
      const raw = await tdb.db.knex('webhook_endpoints').where({ id: e.id }).first();
      t.match(raw.secret_enc, /^v1:/);
      t.notMatch(raw.secret_enc, SECRET);
      const gen = await w.create({ url: `${rx.base}/ok`, events: ['open'] });
      t.match(gen.secret, /^whsec_.{20,}/, 'generated when absent');
      const up = await w.update(gen.id, { description: 'changed', secret: '' });
      t.equal(up.description, 'changed');
      t.notOk('secret' in up);
      t.equal((await tdb.db.knex('webhook_endpoints').where({ id: gen.id }).first()).secret_enc, (await w.endpoints.get(gen.id))!.secret_enc, 'an empty secret keeps it');
      await w.remove(gen.id);
      await w.remove(e.id);
      await t.rejects(w.get(e.id), { code: 'not_found' });
    });

    await t.test('a bounce from the suppression observer: signed JSON, verified by the receiver', async (t) => {
      const e = await w.create({ url: `${rx.base}/ok`, events: ['bounce', 'complaint'], secret: SECRET });
      const off = await w.create({ url: `${rx.base}/ok`, events: ['bounce'], secret: SECRET, active: false });
      const other = await w.create({ url: `${rx.base}/ok`, events: ['open'], secret: SECRET });
      await s.suppressions.recordBounce({ address: 'Gone@Example.com', class: 'hard', reason: 'mailbox_unknown', side: 'recipient', queueId: 777 });
      await s.suppressions.recordBounce({ address: 'Gone@Example.com', class: 'hard', reason: 'mailbox_unknown', side: 'recipient', queueId: 777 });
      await s.suppressions.recordComplaint({ address: 'angry@example.com', feedbackType: 'abuse', queueId: 778 });
      const rows = await tdb.db.knex('webhook_deliveries').orderBy('id');
      t.same(rows.map((r) => [Number(r.endpoint_id), r.event]), [[e.id, 'bounce'], [e.id, 'complaint']], 'subscribed, active endpoints only; the same bounce twice is one delivery');
      t.equal(await w.runOnce(), 2);
      const hits = rx.at('/ok');
      t.equal(hits.length, 2);
      for (const h of hits) {
        t.ok(verifySignature(SECRET, { signature: h.headers['x-postern-signature'] as string, timestamp: h.headers['x-postern-timestamp'] as string, body: h.body }), 'signature verifies');
        t.equal(h.headers['x-postern-timestamp'], String(now));
        t.equal(h.headers['content-type'], 'application/json');
      }
      const bounce = hits.find((h) => h.headers['x-postern-event'] === 'bounce')!;
      const body = JSON.parse(bounce.body);
      t.same(Object.keys(body), ['id', 'event', 'at', 'data']);
      t.match(body, { event: 'bounce', at: now, data: { queueId: 777, address: 'gone@example.com', class: 'hard', reason: 'mailbox_unknown' } });
      t.equal(bounce.headers['x-postern-delivery'], String(rows[0].id));
      const d = await w.delivery(Number(rows[0].id));
      t.equal(d.state, 'delivered');
      t.equal(d.attempts_list.length, 1);
      t.match(d.attempts_list[0], { attempt: 1, response_status: 200, response_body: 'thanks', error: null, request_body: bounce.body });
      t.ok((await w.endpoints.get(e.id))!.last_success_at);
      for (const x of [e, off, other]) await w.remove(x.id);
      rx.hits.length = 0;
    });

    await t.test('a 500 is retried after a backoff; history keeps both attempts, the response clipped', async (t) => {
      const e = await w.create({ url: `${rx.base}/flaky`, events: ['opt_out'], secret: SECRET });
      t.equal(await w.emit('opt_out', { address: 'x@example.com' }), 1);
      await w.runOnce();
      const [row] = await w.deliveries.list({ filters: { endpoint_id: e.id } }).then((p) => p.items);
      t.equal(row!.state, 'retry');
      t.equal(row!.last_status, 500);
      t.ok(row!.run_at > now, 'not before its backoff');
      t.equal(await w.runOnce(), 0, 'nothing due yet');
      now = row!.run_at;
      t.equal(await w.runOnce(), 1);
      const d = await w.delivery(row!.id);
      t.equal(d.state, 'delivered');
      t.same(d.attempts_list.map((a) => a.response_status), [500, 204]);
      t.equal(d.attempts_list[0]!.response_body!.length, 1000);
      t.equal(d.attempts_list[0]!.error, 'HTTP 500');
      t.equal(rx.at('/flaky').length, 2);
      t.equal(JSON.parse(rx.at('/flaky')[0]!.body).id, JSON.parse(rx.at('/flaky')[1]!.body).id, 'the same event id on every attempt');
      await w.remove(e.id);
    });

    await t.test('a redirect is a failure and is never followed', async (t) => {
      const e = await w.create({ url: `${rx.base}/redirect`, events: ['click'], secret: SECRET });
      const before = rx.at('/ok').length;
      await w.emit('click', { url: 'https://example.com' });
      await w.runOnce();
      const [row] = (await w.deliveries.list({ filters: { endpoint_id: e.id } })).items;
      t.equal(row!.state, 'retry');
      t.equal(row!.last_status, 302);
      t.match(row!.last_error, /redirect not followed/);
      t.equal(rx.at('/ok').length, before, 'the Location was not requested');
      await w.remove(e.id);
    });

    await t.test('a slow receiver times out', async (t) => {
      const fast = webhooksService({ ctx }, { timeoutMs: 300 });
      const e = await fast.create({ url: `${rx.base}/slow`, events: ['open'], secret: SECRET });
      await fast.emit('open', { n: 1 });
      const started = Date.now();
      await fast.runOnce('timeout-worker');
      t.ok(Date.now() - started < 1400, 'did not wait for the answer');
      const [row] = (await fast.deliveries.list({ filters: { endpoint_id: e.id } })).items;
      t.equal(row!.state, 'retry');
      t.equal(row!.last_error, 'timed out after 300 ms');
      const d = await fast.delivery(row!.id);
      t.equal(d.attempts_list[0]!.response_status, null);
      await fast.remove(e.id);
    });

    await t.test('after 24 hours of failures a delivery fails', async (t) => {
      const e = await w.create({ url: `${rx.base}/broken`, events: ['mass_email.state'], secret: SECRET });
      await w.emit('mass_email.state', { massEmailId: 1, state: 'sent' });
      const start = now;
      let rounds = 0;
      for (;;) {
        const [row] = (await w.deliveries.list({ filters: { endpoint_id: e.id } })).items;
        if (row!.state === 'failed') break;
        now = Math.max(now, row!.run_at);
        await w.runOnce();
        t.ok(++rounds < 200, 'bounded');
        if (rounds >= 200) break;
      }
      const [row] = (await w.deliveries.list({ filters: { endpoint_id: e.id } })).items;
      t.equal(row!.state, 'failed');
      t.ok(now - start >= 24 * HOUR, 'gave up after the retry window');
      t.ok(now - start < 26 * HOUR, 'and not much later (capped backoff)');
      t.equal(row!.attempts, (await w.delivery(row!.id)).attempts_list.length);
      t.ok(row!.attempts > 5 && row!.attempts < 80, `retried ${row!.attempts} times`);
      t.ok((await w.failingCount()) >= 1);
      await w.remove(e.id);
    });

    await t.test('two workers (two nodes) never deliver one row twice', async (t) => {
      const e = await w.create({ url: `${rx.base}/ok`, events: ['delivery.sent'], secret: SECRET });
      const other = webhooksService({ ctx });
      rx.hits.length = 0;
      for (let i = 0; i < 40; i++) await w.emit('delivery.sent', { i });
      const run = async (svc: typeof w, id: string) => { let n = 0; for (;;) { const k = await svc.runOnce(id); if (!k) return n; n += k; } };
      const [a, b] = await Promise.all([run(w, 'node-a'), run(other, 'node-b')]);
      t.equal(a + b, 40);
      const ids = rx.at('/ok').map((h) => h.headers['x-postern-delivery']);
      t.equal(ids.length, 40);
      t.equal(new Set(ids).size, 40, 'each row once');
      const states = await tdb.db.knex('webhook_deliveries').where({ endpoint_id: e.id }).select('state');
      t.ok(states.every((r) => r.state === 'delivered'));
      await w.remove(e.id);
    });

    await t.test('re-send makes a new row with the same event; Send test delivers webhook.test now', async (t) => {
      const e = await w.create({ url: `${rx.base}/ok`, events: ['delivery.failed'], secret: SECRET });
      rx.hits.length = 0;
      await w.emit('delivery.failed', { queueId: 5 });
      await w.runOnce();
      const [first] = (await w.deliveries.list({ filters: { endpoint_id: e.id } })).items;
      const again = await w.resend(first!.id);
      t.not(again.id, first!.id);
      t.equal(again.resend_of, first!.id);
      t.equal(again.event_id, first!.event_id);
      t.equal(again.state, 'pending');
      await w.runOnce();
      t.equal((await w.delivery(again.id)).state, 'delivered');
      const [h1, h2] = rx.at('/ok');
      t.equal(JSON.parse(h1!.body).id, JSON.parse(h2!.body).id, 'same event id: receivers can de-duplicate');
      t.not(h1!.headers['x-postern-delivery'], h2!.headers['x-postern-delivery']);
      await t.rejects(w.resend(999999), { code: 'not_found' });

      const r = await w.sendTest(e.id);
      t.match(r, { state: 'delivered', status: 200, error: null });
      const h = rx.at('/ok').at(-1)!;
      t.equal(h.headers['x-postern-event'], 'webhook.test');
      t.equal(JSON.parse(h.body).event, 'webhook.test');
      t.equal(h.headers['x-postern-delivery'], String(r.deliveryId));
      t.ok(verifySignature(SECRET, { signature: h.headers['x-postern-signature'] as string, timestamp: h.headers['x-postern-timestamp'] as string, body: h.body }));
      await w.update(e.id, { active: false });
      t.match(await w.sendTest(e.id), { state: 'delivered' }, 'a test reaches an inactive endpoint too');
      const bad = await w.create({ url: `${rx.base}/broken`, events: ['open'], secret: SECRET });
      t.match(await w.sendTest(bad.id), { state: 'retry', status: 500, error: 'HTTP 500' });
      await w.remove(bad.id);
      await w.remove(e.id);
    });

    await t.test('message.received from the pipeline hook, once per message', async (t) => {
      const e = await w.create({ url: `${rx.base}/ok`, events: ['message.received'], secret: SECRET });
      const [hook] = webhooksFeature.hooks!(s);
      const msg = { id: 91, listener: 'mx', mail_from: 'a@example.org', rcpt_to: ['sales@example.com'], received_at: now, from_addr: null, subject: null, message_id: null, kind: null };
      const c = { msg, fields: { from_addr: 'Ann <a@example.org>', subject: 'Hello', message_id: 'm1@example.org' }, kind: 'normal', recipients: [] } as unknown as StepContext;
      t.ok(hook!.when(c));
      t.notOk(hook!.when({ ...c, kind: 'bounce' } as StepContext), 'not for bounces');
      t.notOk(hook!.when({ ...c, msg: { ...msg, listener: 'submission' } } as unknown as StepContext), 'not for submitted mail');
      t.equal(await hook!.run(c), 1);
      t.equal(await hook!.run(c), undefined, 'a re-run step adds nothing (and records nothing)');
      rx.hits.length = 0;
      await w.runOnce();
      const body = JSON.parse(rx.at('/ok')[0]!.body);
      t.match(body, { event: 'message.received', data: { inboundId: 91, mailFrom: 'a@example.org', rcptTo: ['sales@example.com'], subject: 'Hello', messageId: 'm1@example.org' } });
      await w.remove(e.id);
    });

    await t.test('purge forgets attempts and finished deliveries older than the setting', async (t) => {
      await t.rejects(w.setSettings({ historyDays: 0 }), { code: 'validation_failed', fields: [{ field: 'historyDays' }] });
      t.same(await w.setSettings({ historyDays: 2 }), { historyDays: 2 });
      const e = await w.create({ url: `${rx.base}/ok`, events: ['open'], secret: SECRET });
      const broken = await w.create({ url: `${rx.base}/broken`, events: ['open'], secret: SECRET });
      await w.emit('open', { old: true });
      await w.runOnce();
      now += 3 * 24 * HOUR;
      await w.emit('open', { old: false });
      await w.runOnce();
      const r = await w.purge();
      t.ok(r.deliveries >= 1 && r.attempts >= 1, `purged ${JSON.stringify(r)}`);
      const left = await tdb.db.knex('webhook_deliveries').whereIn('endpoint_id', [e.id, broken.id]);
      t.ok(left.some((x) => x.state === 'delivered'), 'the recent one stays');
      t.notOk(left.some((x) => x.state === 'delivered' && Number(x.finished_at) < now - 2 * 24 * HOUR), 'old finished ones are gone');
      const oldAttempts = await tdb.db.knex('webhook_attempts').where('at', '<', now - 2 * 24 * HOUR);
      t.equal(oldAttempts.length, 0);
      t.ok(left.some((x) => x.state === 'retry'), 'unfinished deliveries stay');
      const job = webhooksFeature.jobs!.find((j) => j.name === 'webhook-history-purge');
      t.ok(job);
      t.same(await job!.run(s), { attempts: 0, deliveries: 0 });
    });
  });
});
