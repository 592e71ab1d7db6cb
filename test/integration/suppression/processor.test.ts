/*
 * Bounce processing against real outbound rows on every database: a DSN for a VERP-matched
 * row blocks a hard-bounced recipient; the same DSN twice counts once; sender-side refusals
 * go to the account; auto-replies and unmatched DSNs (a bare Message-ID included) change
 * nothing; complaints suppress. Forged reports: forged.test.ts.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { processBounceMessage } from '../../../server/suppression/processor.js';
import { FIXTURES } from '../../helpers/bounce-fixtures.js';
import type { Knex } from 'knex';

async function queueRow(k: Knex, recipient: string, accountId: number | null = null, messageId = `<m-${recipient}@ours.example>`) {
  const now = Date.now();
  const [mid] = await k('outbound_messages').insert({ source: 'single', from_addr: 'news@ours.example', subject: 'Hi', account_id: accountId, created_at: now, updated_at: now });
  const [qid] = await k('outbound_queue').insert({ message_id: mid, source: 'single', recipient, unique_key: `t:${recipient}:${now}:${Math.random()}`, state: 'sent', smtp_message_id: messageId, account_id: accountId, created_at: now, updated_at: now });
  return Number(qid);
}

const dsn = (rcpt: string, status: string, diag: string, mid = '') => Buffer.from([
  'From: MAILER-DAEMON@mx.example.net', 'To: b-x@bounce.ours.example', 'Subject: Undelivered Mail Returned to Sender', 'MIME-Version: 1.0',
  'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '', '--b1', 'Content-Type: message/delivery-status', '',
  'Reporting-MTA: dns; mx.example.net', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', `Status: ${status}`, `Diagnostic-Code: smtp; ${diag}`, '',
  '--b1', 'Content-Type: text/rfc822-headers', '', `Message-ID: ${mid || `<none@x>`}`, '', '--b1--', ''].join('\r\n'));

void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, { tdb });
  const s = app.services;
  const k = tdb.db.knex;
  const lookup = async (a: string) => ((await (await api(`/api/v1/suppressions?address=${a}`)).json()) as any).total as number;

  await t.test('a hard bounce for a VERP-matched row blocks the recipient, once', async (t) => {
    const q = await queueRow(k, 'gone@example.org');
    const raw = dsn('gone@example.org', '5.1.1', '550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown');
    const r1 = await processBounceMessage(s, { inboundId: 7, raw, verpQueueIds: [q] });
    t.match(r1, { kind: 'bounce', events: 1, blocked: ['gone@example.org'], unmatched: 0 });
    t.equal(await lookup('gone@example.org'), 1);
    const r2 = await processBounceMessage(s, { inboundId: 8, raw, verpQueueIds: [q] });
    t.same(r2.blocked, [], 'the same DSN again');
    const row = ((await (await api('/api/v1/suppressions?address=gone@example.org')).json()) as any).items[0];
    t.equal(row.bounceCount, 1, 'counted once');
    t.equal(row.lastQueueId, q);
    t.equal(row.lastInboundId, 7);
    const events = await k('bounce_events').where({ queue_id: q });
    t.equal(events.length, 1);
    t.match(events[0], { source: 'dsn', reason: 'userunknown', class: 'hard', status: '5.1.1' });
  });

  await t.test('the returned Message-ID alone is no evidence: kept unmatched, nobody blocked', async (t) => {
    const q = await queueRow(k, 'nobox@example.org', null, 'abc.123@ours.example');
    const r = await processBounceMessage(s, { inboundId: 9, raw: dsn('nobox@example.org', '5.1.1', '550 user unknown', '<abc.123@ours.example>'), verpQueueIds: [] });
    t.match(r, { blocked: [], unmatched: 1 });
    t.equal(await lookup('nobox@example.org'), 0);
    t.equal((await k('bounce_events').where({ queue_id: q })).length, 0, 'not linked to the row');
    t.match(await k('bounce_events').where({ recipient: 'nobox@example.org' }).first(), { queue_id: null, inbound_id: 9 });
  });

  await t.test('an unmatched DSN (mail we never sent) changes nothing', async (t) => {
    const r = await processBounceMessage(s, { inboundId: 10, raw: dsn('victim@example.org', '5.1.1', '550 user unknown'), verpQueueIds: [] });
    t.match(r, { unmatched: 1, blocked: [] });
    t.equal(await lookup('victim@example.org'), 0);
  });

  await t.test('our sender being blocked goes to the account, not the recipient', async (t) => {
    const now = Date.now();
    const [acc] = await k('upstream_accounts').insert({ name: 'relay', allowed_from: '[]', created_at: now, updated_at: now });
    const q = await queueRow(k, 'fine@example.org', Number(acc));
    const r = await processBounceMessage(s, { inboundId: 11, raw: dsn('fine@example.org', '5.7.1', '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'), verpQueueIds: [q] });
    t.same(r.blocked, []);
    const tracked = ((await (await api('/api/v1/suppressions?blocked=false&address=fine@example.org')).json()) as any).total;
    t.equal(tracked, 0, 'the recipient is not even counted');
    t.match((await k('upstream_accounts').where({ id: acc }).first()).last_error, /blocked/);
  });

  await t.test('auto-replies never count', async (t) => {
    const q = await queueRow(k, 'away@example.org');
    const r = await processBounceMessage(s, { inboundId: 12, raw: readFileSync(join(FIXTURES, 'nonbounce', '0003.eml')), verpQueueIds: [q] });
    t.match(r, { kind: 'auto-reply', events: 0 });
    t.equal((await k('bounce_events').where({ queue_id: q })).length, 0);
  });

  await t.test('an abuse complaint suppresses the complainer', async (t) => {
    const q = await queueRow(k, 'kijitora@example.com');
    const r = await processBounceMessage(s, { inboundId: 13, raw: readFileSync(join(FIXTURES, 'nonbounce', '0008.eml')), verpQueueIds: [q] });
    t.match(r, { kind: 'complaint', blocked: ['kijitora@example.com'] });
    t.equal(await lookup('kijitora@example.com'), 1);
  });
});
