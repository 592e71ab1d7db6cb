/*
 * Forged reports end to end over the real MX listener on every database (issue #9 items
 * 1–3): twenty forged DSNs and ARF reports — VERP-like addresses without a valid tag, our
 * queue ids, our Message-IDs with their own or other recipients, unknown Message-IDs,
 * strangers in Original-Rcpt-To and Removal-Recipient — change no suppression, while a real
 * DSN to our signed VERP address and an ARF report returning our signed return path still
 * block exactly their recipient.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { makeVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';
import { arf, dsn, sentMessage, BOUNCE_DOMAIN } from './reports.js';
import { inboundDone } from '../../helpers/inbound.js';


void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, { tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 25 } } });
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: BOUNCE_DOMAIN, kind: 'bounce' }) });
  app.services.directory.invalidate();
  const k = tdb.db.knex;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: app.services.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  const processed = (mid: string) => inboundDone(api, mid);
  const suppressions = async () => (await k('suppressions').select('address')).map((r: any) => r.address).sort();

  const pair = await sentMessage(k, ['alice@example.org', 'bob@example.org']);
  const alice = pair.rows[0]!;
  const single = await sentMessage(k, ['carol@example.org']);
  const carol = single.rows[0]!;
  const cust = await sentMessage(k, ['customer@example.org']);
  const customer = cust.rows[0]!;
  const otherKey = makeVerpAddress({ key: deriveKey('someone-elses-secret-0123456789', 'verp'), prefix: 'b', bounceDomain: BOUNCE_DOMAIN, id: alice.id });
  const tampered = customer.verp.replace(/(.)@/, (_m, c: string) => `${c === 'a' ? 'b' : 'a'}@`);
  const hdrs = 'text/rfc822-headers' as const;

  // [envelope recipient, report]: every one is accepted by the MX and detected as a report.
  const forged: Array<[string, string, string]> = [];
  const add = (to: string, kind: string, raw: string) => forged.push([to, kind, raw]);
  add('postmaster@ours.example', 'unsigned VERP-like return path', dsn('alice@example.org', { returned: ['Return-Path: <b-aaaaaaaaaaaaaaaaaaaaaaaaaa@bounce.ours.example>'] }));
  add('postmaster@ours.example', 'VERP signed with another key', dsn('bob@example.org', { returned: [`Return-Path: <${otherKey}>`] }));
  add('postmaster@ours.example', 'tampered VERP token', dsn('customer@example.org', { returned: [`Return-Path: <${tampered}>`] }));
  add('postmaster@ours.example', 'our token on a look-alike domain', dsn('customer@example.org', { returned: [`Return-Path: <${customer.verp.replace(BOUNCE_DOMAIN, `${BOUNCE_DOMAIN}.evil.test`)}>`] }));
  add('postmaster@ours.example', 'our queue id (DSN)', dsn('carol@example.org', { returned: [`X-Postern-Queue-Id: ${carol.id}`] }));
  add('abuse@ours.example', 'our queue id (ARF)', arf({ returned: [`X-Postern-Queue-Id: ${carol.id}`, 'Subject: News'] }));
  for (let id = 1; id <= 4; id++) add('postmaster@ours.example', `walking queue ids (${id})`, dsn(`stranger${id}@anybank.test`, { returnedAs: hdrs, returned: [`X-Postern-Queue-Id: ${id}`] }));
  add(`postmaster@${BOUNCE_DOMAIN}`, 'our Message-ID, the other recipient (item 3)', dsn('bob@example.org', { returnedAs: hdrs, returned: [`Message-ID: ${pair.messageId}`, 'To: alice@example.org, bob@example.org'] }));
  add('postmaster@ours.example', 'our Message-ID, its own recipient', dsn('carol@example.org', { returnedAs: hdrs, returned: [`Message-ID: ${single.messageId}`, 'To: carol@example.org'] }));
  add('postmaster@ours.example', 'our Message-ID, a stranger', dsn('victim@anybank.test', { returnedAs: hdrs, returned: [`Message-ID: ${cust.messageId}`] }));
  add('postmaster@ours.example', 'an unknown Message-ID', dsn('nobody@anybank.test', { returnedAs: hdrs, returned: ['Message-ID: <never-sent@ours.example>'] }));
  add('abuse@ours.example', 'Original-Rcpt-To of a stranger (item 1)', arf({ feedback: ['Original-Rcpt-To: victim@anybank.test'] }));
  add('abuse@ours.example', 'Removal-Recipient of a stranger (item 1)', arf({ type: 'opt-out', feedback: ['Removal-Recipient: victim2@anybank.test'] }));
  add('abuse@ours.example', 'Original-Rcpt-To of our customer with our Message-ID', arf({ feedback: ['Original-Rcpt-To: customer@example.org'], returned: [`Message-ID: ${cust.messageId}`, 'To: customer@example.org'] }));
  add('abuse@ours.example', 'returned To and Message-ID only', arf({ returned: [`Message-ID: ${single.messageId}`, 'To: carol@example.org', 'Subject: News'] }));
  add(`abuse@${BOUNCE_DOMAIN}`, 'opt-out with Removal-Recipient and our queue id', arf({ type: 'opt-out', feedback: ['Removal-Recipient: alice@example.org'], returned: [`X-Postern-Queue-Id: ${alice.id}`, `Message-ID: ${pair.messageId}`] }));
  add('postmaster@ours.example', 'unsigned VERP-like address in the report\'s own To', dsn('customer@example.org', { to: 'b-aaaaaaaaaaaaaaaaaaaaaaaaaa@bounce.ours.example', returned: ['Subject: News'] }));
  t.equal(forged.length, 20);

  await t.test('twenty forged reports change no suppression', async (t) => {
    const ids: string[] = [];
    for (const [to, , raw] of forged) {
      await mx.sendMail({ envelope: { from: '', to }, raw });
      ids.push(/^Message-ID: <([^>]+)>/m.exec(raw)![1]!);
    }
    for (const [i, id] of ids.entries()) {
      const m = await processed(id);
      t.ok(m.kind === 'bounce' || m.kind === 'complaint', `${forged[i]![1]}: processed as a report (${m.kind})`);
    }
    t.same(await suppressions(), [], 'no address blocked or even counted');
    t.equal((await k('bounce_events').whereNotNull('queue_id')).length, 0, 'no report linked to a queue row');
    const kept = await json(api('/api/v1/suppressions/unmatched?perPage=100'));
    for (const a of ['victim@anybank.test', 'victim2@anybank.test', 'bob@example.org', 'stranger1@anybank.test']) t.ok(kept.items.some((e: any) => e.recipient === a), `${a} kept for an admin`);
  });

  await t.test('a real DSN to our signed VERP address still blocks its recipient', async (t) => {
    const raw = dsn('carol@example.org', { to: carol.verp });
    await mx.sendMail({ envelope: { from: '', to: carol.verp }, raw });
    await processed(/^Message-ID: <([^>]+)>/m.exec(raw)![1]!);
    t.match((await json(api('/api/v1/suppressions?address=carol@example.org'))).items[0], { blocked: true, reason: 'userunknown', lastQueueId: carol.id });
  });

  await t.test('an ARF report returning our signed return path still blocks its recipient', async (t) => {
    const raw = arf({ feedback: ['Original-Rcpt-To: redacted@isp.example.net'], returned: [`Return-Path: <${customer.verp}>`, 'To: redacted', `Message-ID: ${cust.messageId}`, 'Subject: News'] });
    await mx.sendMail({ envelope: { from: '', to: 'abuse@ours.example' }, raw });
    await processed(/^Message-ID: <([^>]+)>/m.exec(raw)![1]!);
    t.match((await json(api('/api/v1/suppressions?address=customer@example.org'))).items[0], { blocked: true, reason: 'feedback', source: 'complaint', lastQueueId: customer.id });
    t.same(await suppressions(), ['carol@example.org', 'customer@example.org'], 'exactly these two, nobody else');
  });
});
