/*
 * Single emails through the services, without HTTP or SMTP listeners, on every database:
 * the compose service validates, renders placeholders and enqueues one row per recipient;
 * `s.delivery.runOnce()` sends them to a loopback upstream; the rows end sent with the
 * upstream's reply, the account's health is updated, and the upstream got one copy per
 * recipient. An idempotency key queues nothing twice; a blocked recipient is never sent.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { buildTestServices } from '../../helpers/services.js';
import { startUpstream } from '../../helpers/upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream({ auth: { user: 'relay', pass: 'secret-pw' } });
  t.teardown(() => up.close());
  const { s } = await buildTestServices(t, tdb, {
    overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 }, outbound: { maxAgeHours: 72, retryBaseMs: 200, retryMaxMs: 400, verpPrefix: 'b' } },
  });
  t.teardown(() => s.delivery.close());
  const acct = await s.accounts.create({
    name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', username: 'relay', password: 'secret-pw', isDefault: true,
    allowedFrom: ['ours.example'], maxConnections: 2,
  });
  const rows = (messageId: number) => tdb.db.knex('outbound_queue').where({ message_id: messageId }).orderBy('id');
  /** Runs delivery passes until every row of the message left the queue (or 50 passes). */
  async function deliver(messageId: number) {
    for (let i = 0; i < 50; i++) {
      await s.delivery.runOnce();
      if ((await rows(messageId)).every((r) => !['queued', 'deferred', 'sending'].includes(r.state))) return;
      await sleep(20);
    }
  }

  await t.test('compose → queue → upstream: sent, with the reply kept', async (t) => {
    const r = await s.compose.send({
      from: 'News <news@ours.example>', to: 'Jane <jane@example.org>', cc: ['bob@example.org'],
      subject: 'Hello {Person.firstName}', html: '<p>Hi {Person.firstName} &amp; co</p>', data: { Person: { firstName: 'Ann' } },
    }, { userId: null });
    t.match(r, { queued: 2, suppressed: 0, duplicates: 0, sendAt: null });
    t.same(r.recipients, [{ address: 'jane@example.org', kind: 'to' }, { address: 'bob@example.org', kind: 'cc' }]);
    t.same((await rows(r.messageId)).map((x) => x.state), ['queued', 'queued'], 'waits for the worker');

    await deliver(r.messageId);
    const done = await rows(r.messageId);
    t.same(done.map((x) => x.state), ['sent', 'sent']);
    for (const row of done) {
      t.match(row, { source: 'single', account_id: acct.id, attempts: 1, upstream_response: /250/, upstream_queue_id: /^U\d+/, locked_by: null });
      t.ok(Number(row.sent_at) > 0, 'sent_at set');
    }
    t.equal(done[0].smtp_message_id, done[1].smtp_message_id, 'one Message-ID for the message');
    const m = await tdb.db.knex('outbound_messages').where({ id: r.messageId }).first();
    t.match(m, { source: 'single', from_addr: 'news@ours.example', from_name: 'News', subject: 'Hello Ann' });

    t.equal(up.received.length, 2, 'one copy per recipient');
    t.same(up.received.map((x) => x.to).sort(), [['bob@example.org'], ['jane@example.org']]);
    const raw = up.received[0]!.raw.toString();
    t.match(raw, /Subject: Hello Ann/);
    t.match(raw, /From: News <news@ours\.example>/);
    t.match(raw, /Cc: bob@example\.org/);
    t.match(raw, /Hi Ann &amp; co/, 'placeholders rendered and HTML kept');
    t.ok(up.received[0]!.from, 'an envelope sender');
    const health = await s.accounts.get(acct.id);
    t.ok(Number(health.last_success_at) > 0, 'the account records the success');
  });

  await t.test('an idempotency key queues nothing twice', async (t) => {
    const before = up.received.length;
    const input = { from: 'news@ours.example', to: 'once@example.org', subject: 'Once', text: 'Only once', idempotencyKey: 'order-42' };
    const a = await s.compose.send(input, { userId: 7 });
    const b = await s.compose.send(input, { userId: 7 });
    t.match(a, { queued: 1, duplicates: 0 });
    t.match(b, { messageId: a.messageId, queued: 0, duplicates: 1 });
    await deliver(a.messageId);
    t.same((await rows(a.messageId)).map((x) => x.state), ['sent']);
    t.equal(up.received.length, before + 1);
  });

  await t.test('a blocked recipient is queued as suppressed and never sent', async (t) => {
    const before = up.received.length;
    await s.suppressions.block('blocked@example.org', { reason: 'manual' });
    const r = await s.compose.send({ from: 'news@ours.example', to: 'blocked@example.org, open@example.org', subject: 'Hi', text: 'Hi' });
    t.match(r, { queued: 1, suppressed: 1 });
    await deliver(r.messageId);
    const byRcpt = Object.fromEntries((await rows(r.messageId)).map((x) => [x.recipient, x.state]));
    t.same(byRcpt, { 'blocked@example.org': 'suppressed', 'open@example.org': 'sent' });
    t.same(up.received.slice(before).map((x) => x.to), [['open@example.org']]);
  });
});
