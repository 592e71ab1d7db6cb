/*
 * Issue #9 items 1–3 on every database, at the processor: a report blocks somebody only on
 * evidence an outsider cannot forge (the signed VERP address it arrived at, or a signed
 * token of ours in the returned message). Reported recipients, our queue ids and our
 * Message-IDs alone block nobody; such reports are kept, unmatched, for an admin.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { processBounceMessage } from '../../../server/suppression/processor.js';
import { signFields } from '../../../server/lib/tokens.js';
import { deriveKey } from '../../../server/lib/keys.js';
import { arf, dsn, sentMessage, BOUNCE_DOMAIN, SECRET } from './reports.js';

void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, { tdb, overrides: { domains: ['ours.example'] } });
  const s = app.services;
  const k = tdb.db.knex;
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: BOUNCE_DOMAIN, kind: 'bounce' }) });
  s.directory.invalidate();
  /** Any state at all for the address (blocked or only counted). */
  const tracked = async (a: string) => (await k('suppressions').where({ address: a })).length;
  const blocked = async (a: string) => ((await (await api(`/api/v1/suppressions?address=${a}`)).json()) as any).total as number;
  let inbound = 100;
  const run = (raw: string, verpQueueIds: number[] = []) => processBounceMessage(s, { inboundId: ++inbound, raw: Buffer.from(raw), verpQueueIds });

  await t.test('item 1: a complaint naming a stranger blocks nobody, and is kept unmatched', async (t) => {
    for (const field of ['Original-Rcpt-To', 'Removal-Recipient']) {
      const victim = `victim-${field.toLowerCase()}@anybank.test`;
      const r = await run(arf({ feedback: [`${field}: ${victim}`] }));
      t.match(r, { kind: 'complaint', blocked: [], unmatched: 1 }, field);
      t.equal(await blocked(victim), 0, `${field}: not blocked`);
      const ev = await k('bounce_events').where({ recipient: victim }).first();
      t.match(ev, { queue_id: null, source: 'arf', inbound_id: inbound }, 'kept for an admin');
    }
  });

  await t.test('item 2: our queue id in the returned headers blocks nobody', async (t) => {
    const { rows: [row] } = await sentMessage(k, ['customer@example.org']);
    const r1 = await run(dsn('customer@example.org', { returned: [`X-Postern-Queue-Id: ${row!.id}`, 'Subject: News'] }));
    t.match(r1, { kind: 'bounce', blocked: [], unmatched: 1 });
    const r2 = await run(arf({ returned: [`X-Postern-Queue-Id: ${row!.id}`, 'Subject: News'] }));
    t.match(r2, { kind: 'complaint', blocked: [] });
    const r3 = await run(dsn('someone@else.test', { returnedAs: 'text/rfc822-headers', returned: [`X-Postern-Queue-Id: ${row!.id}`] }));
    t.same(r3.blocked, []);
    t.equal(await tracked('customer@example.org'), 0, 'the customer is not even counted');
  });

  await t.test('item 3: a DSN quoting our Message-ID blocks neither recipient of that message', async (t) => {
    const m = await sentMessage(k, ['alice@example.org', 'bob@example.org']);
    const r = await run(dsn('bob@example.org', { returnedAs: 'text/rfc822-headers', returned: [`Message-ID: ${m.messageId}`, 'To: alice@example.org, bob@example.org'] }));
    t.match(r, { blocked: [], unmatched: 1 });
    t.equal(await tracked('alice@example.org'), 0, 'alice untouched');
    t.equal(await tracked('bob@example.org'), 0, 'bob untouched: alice knows that Message-ID too');
    t.match(await k('bounce_events').where({ recipient: 'bob@example.org' }).first(), { queue_id: null, source: 'dsn' });
  });

  await t.test('our signed return path in the returned message names exactly one row', async (t) => {
    const m = await sentMessage(k, ['carol@example.org', 'dave@example.org']);
    const [carol, dave] = m.rows as [typeof m.rows[0], typeof m.rows[0]];
    const r = await run(dsn('dave@example.org', { returned: [`Return-Path: <${dave.verp}>`, `Message-ID: ${m.messageId}`, 'To: carol@example.org, dave@example.org'] }));
    t.match(r, { blocked: ['dave@example.org'], unmatched: 0 });
    t.equal(await blocked('dave@example.org'), 1);
    t.equal(await tracked('carol@example.org'), 0, 'not the other recipient of the message');
    t.match(await k('bounce_events').where({ queue_id: dave.id }).first(), { recipient: 'dave@example.org', source: 'dsn' });
    // Upper-cased by a provider, in an Exim-style Received line, headers only: still ours.
    const r2 = await run(dsn('carol@example.org', { returnedAs: 'text/rfc822-headers', returned: [`Received: from mx.ours.example (envelope-from <${carol.verp.toUpperCase()}>)`, '\tby mx.example.net; Mon, 1 Jan 2024 00:00:00 +0000'] }));
    t.same(r2.blocked, ['carol@example.org']);
  });

  await t.test('a token names one recipient: a DSN for someone else blocks only that row\'s recipient', async (t) => {
    const { rows: [erin] } = await sentMessage(k, ['erin@example.org']);
    const r = await run(dsn('frank@example.org', { returned: [`Return-Path: <${erin!.verp}>`] }));
    t.same(r.blocked, ['erin@example.org'], 'a forwarded address: the row says whom we mailed');
    t.equal(await tracked('frank@example.org'), 0);
  });

  await t.test('a complaint whose returned message carries our signed return path blocks that recipient', async (t) => {
    const { rows: [gina] } = await sentMessage(k, ['gina@example.org']);
    // Feedback loops often redact the complainer: the token is all there is.
    const r = await run(arf({ feedback: ['Original-Rcpt-To: redacted@isp.example.net'], returned: [`Return-Path: <${gina!.verp}>`, 'To: redacted', 'Subject: News'] }));
    t.match(r, { kind: 'complaint', blocked: ['gina@example.org'] });
    t.match((await (await api('/api/v1/suppressions?address=gina@example.org')).json() as any).items[0], { reason: 'feedback', source: 'complaint', lastQueueId: gina!.id });
    t.equal(await tracked('redacted@isp.example.net'), 0);
  });

  await t.test('a complaint about bulk mail: our signed opt-out token in the returned List-Unsubscribe names the row', async (t) => {
    const { rows: [jill] } = await sentMessage(k, ['jill@example.org']);
    const tok = signFields(deriveKey(SECRET, 'optout'), [jill!.id]);
    const r = await run(arf({ returned: [`List-Unsubscribe: <https://postern.example/u/${tok}>,`, ` <mailto:unsubscribe+${tok}@ours.example>`, 'Subject: News'] }));
    t.same(r.blocked, ['jill@example.org']);
    const forged = signFields(deriveKey('another-secret-0123456789', 'optout'), [jill!.id]);
    const { rows: [kim] } = await sentMessage(k, ['kim@example.org']);
    const r2 = await run(arf({ feedback: ['Original-Rcpt-To: kim@example.org'], returned: [`List-Unsubscribe: <https://postern.example/u/${forged.replace(/^./, 'A')}>`] }));
    t.same(r2.blocked, [], 'a token signed with another key');
    t.equal(await tracked(kim!.recipient), 0);
  });

  await t.test('a complaint arriving at a VERP address still blocks that row\'s recipient', async (t) => {
    const { rows: [hank] } = await sentMessage(k, ['hank@example.org']);
    const r = await run(arf({ feedback: ['Original-Rcpt-To: someone@else.test'] }), [hank!.id]);
    t.same(r.blocked, ['hank@example.org']);
    t.equal(await tracked('someone@else.test'), 0);
  });

  await t.test('look-alike and tampered tokens in the returned message are no evidence', async (t) => {
    const { rows: [ivan] } = await sentMessage(k, ['ivan@example.org']);
    const flip = ivan!.verp.replace(/(.)@/, (_m, c: string) => `${c === 'a' ? 'b' : 'a'}@`);
    const foreign = ivan!.verp.replace(`@${BOUNCE_DOMAIN}`, '@bounce.evil.test');
    for (const rp of [flip, foreign, 'b-aaaaaaaaaaaaaaaaaaaaaaaaaa@bounce.ours.example']) {
      const r = await run(dsn('ivan@example.org', { returned: [`Return-Path: <${rp}>`] }));
      t.same(r.blocked, [], rp);
    }
    t.equal(await tracked('ivan@example.org'), 0);
  });
});
