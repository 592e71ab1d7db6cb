/*
 * Delivery through scripted upstreams on every database: sent, deferred with backoff then
 * sent, failed with a bounce event and a blocked recipient, auth failure pausing the account
 * without spending an attempt, "too many" slowing it, the sandbox storing, VERP return
 * paths, DKIM signatures that verify, suppression at enqueue and at send time, header
 * injection refused, exactly-once keys.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { startUpstream, type Rule } from '../../helpers/upstream.js';
import { enqueue, type EnqueueMessage } from '../../../server/outbound/enqueue.js';
import { parseVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';

const SECRET = 'test-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msg = (o: Partial<EnqueueMessage> = {}): EnqueueMessage => ({ source: 'single', account_id: null, message_type_id: null, from_addr: 'news@ours.example', from_name: 'Ours', reply_to: null,
  subject: 'Hello', html: '<p>Hi there</p>', text: 'Hi there', headers: null, bulk: false, created_by: null, send_at: null, ...o });

void eachDb(t, async (t, tdb) => {
  let rules: (r: string) => Rule = () => 'ok';
  const up = await startUpstream({ rules: (r) => rules(r), auth: { user: 'relay', pass: 'secret-pw' } });
  t.teardown(() => up.close());
  const { app, api, url } = await startTestApp(t, { tdb, roles: ['http', 'worker'], overrides: { worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 }, outbound: { maxAgeHours: 72, retryBaseMs: 200, retryMaxMs: 400, verpPrefix: 'b' } } });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  s.directory.invalidate();
  const acct = await json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'relay', host: '127.0.0.1', port: up.port, security: 'none', username: 'relay', password: 'secret-pw', isDefault: true, maxConnections: 2 }) }));
  t.equal(acct.hasPassword, true);
  t.notOk('password' in acct || 'password_enc' in acct, 'the password never comes back');
  const q = (id: number) => tdb.db.knex('outbound_queue').where({ message_id: id }).orderBy('id');
  async function until(fn: () => Promise<boolean>, ms = 8000) {
    const end = Date.now() + ms;
    while (Date.now() < end) { if (await fn()) return true; await sleep(30); }
    return false;
  }

  await t.test('the sandbox is the default on a fresh install and stores instead of sending', async (t) => {
    const sandbox = (await json(api('/api/v1/accounts'))).items.find((a: any) => a.kind === 'sandbox');
    t.ok(sandbox, 'created at first start');
    const r = await enqueue(s, { message: msg({ account_id: sandbox.id }), recipients: [{ address: 'try@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:sandbox' });
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'sent'));
    const stored = await json(api('/api/v1/sandbox'));
    t.equal(stored.items[0].recipient, 'try@example.org');
    t.match(await (await api(`/api/v1/sandbox/${stored.items[0].id}/raw`)).text(), /Subject: Hello/);
    t.equal(up.received.length, 0, 'nothing left the machine');
  });

  await t.test('sent: VERP return path, stable Message-ID, upstream reply kept, DKIM verifies', async (t) => {
    await json(api('/api/v1/dkim', { method: 'POST', body: JSON.stringify({ domain: 'ours.example', selector: 's1' }) }));
    const key = (await json(api('/api/v1/dkim'))).items.find((k: any) => k.selector === 's1');
    const r = await enqueue(s, { message: msg({ bulk: true }), recipients: [{ address: 'Jane@Example.org', kind: 'to' }, { address: 'bob@example.org', kind: 'cc' }], uniqueKeyPrefix: 'test:1' });
    t.equal(r.queued, 2);
    t.ok(await until(async () => (await q(r.messageId)).every((x: any) => x.state === 'sent')));
    const rows = await q(r.messageId);
    t.match(rows[0], { upstream_response: /250/, upstream_queue_id: /^U\d+/, attempts: 1 });
    t.equal(rows[0].smtp_message_id, rows[1].smtp_message_id, 'one Message-ID for the message');
    const got = up.received.filter((m) => m.to[0] === 'jane@example.org')[0]!;
    const v = parseVerpAddress({ key: deriveKey(SECRET, 'verp'), prefix: 'b', bounceDomains: ['bounce.ours.example'] }, got.from);
    t.same(v, { ok: true, id: Number(rows[0].id) }, 'the envelope sender names the queue row');
    const raw = got.raw.toString();
    t.match(raw, /List-Unsubscribe: <http/);
    t.match(raw, /List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
    // The link unsubscribes exactly this recipient: GET only asks, POST (one-click) does it.
    const link = /List-Unsubscribe: <(http[^>]+)>/.exec(raw.replace(/\r\n\s+/g, ' '))![1]!.replace(/^http:\/\/[^/]+/, '');
    const ask = await fetch(`${url}${link}`);
    t.equal(ask.status, 200);
    t.match(await ask.text(), /jane@example.org/);
    t.equal((await json(api('/api/v1/suppressions?address=jane@example.org'))).total, 0, 'GET changes nothing');
    const other = up.received.filter((m) => m.to[0] === 'bob@example.org')[0]!.raw.toString();
    t.not(/List-Unsubscribe: <(http[^>]+)>/.exec(other.replace(/\r\n\s+/g, ' '))![1], link, 'each recipient has their own link');
    t.match(raw, /^To: jane@example\.org\r$/m, 'bulk copies are addressed to their recipient alone');
    t.notMatch(raw, /bob@example\.org/, "Jane's copy does not show Bob");
    t.match(other, /^To: bob@example\.org\r$/m);
    t.equal((await fetch(`${url}${link}`, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 200);
    t.match((await json(api('/api/v1/suppressions?address=jane@example.org'))).items[0], { reason: 'unsubscribe', source: 'optout' });
    t.equal((await json(api('/api/v1/suppressions?address=bob@example.org'))).total, 0, 'nobody else');
    t.equal((await fetch(`${url}${link.slice(0, -2)}xx`, { method: 'POST' })).status, 404, 'a forged token does nothing');
    t.notMatch(raw.replace(/\r\n/g, ''), /[\r\n]/, 'no bare CR or LF');
    const res = await dkimVerify(got.raw, { resolver: async (name: string) => { if (name === key.dnsName) return [[key.dnsValue]]; throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' }); } });
    t.equal(res.results[0]?.status?.result, 'pass', 'DKIM signature verifies');
    t.match((res.results[0] as { signingHeaders?: { keys?: string } } | undefined)?.signingHeaders?.keys ?? '', /List-Unsubscribe/i, 'List-Unsubscribe is covered by the signature');
  });

  await t.test('the same unique key never queues twice', async (t) => {
    const a = await enqueue(s, { message: msg(), recipients: [{ address: 'once@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:once' });
    const b = await enqueue(s, { message: msg(), recipients: [{ address: 'once@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:once' });
    t.match(b, { queued: 0, duplicates: 1 });
    t.equal((await tdb.db.knex('outbound_queue').where('unique_key', 'test:once:once@example.org')).length, 1);
    t.ok(a.messageId);
  });

  await t.test('header injection is refused at enqueue', async (t) => {
    await t.rejects(enqueue(s, { message: msg({ subject: 'Hi\r\nBcc: victim@example.net' }), recipients: [{ address: 'x@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:inj' }));
  });

  await t.test('4xx defers with backoff, then sends', async (t) => {
    let n = 0;
    rules = (r) => (r === 'busy@example.org' && n++ < 2 ? '450' : 'ok');
    const r = await enqueue(s, { message: msg(), recipients: [{ address: 'busy@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:busy' });
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'deferred'));
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'sent', 10_000));
    const row = (await q(r.messageId))[0];
    t.equal(row.attempts, 3);
    const attempts = await tdb.db.knex('outbound_attempts').where({ queue_id: row.id }).orderBy('id');
    t.same(attempts.map((a: any) => a.result), ['deferred', 'deferred', 'sent']);
    t.equal(attempts[0].code, 450);
  });

  await t.test('5xx fails, records a bounce event, blocks the hard-bounced recipient; later sends are suppressed', async (t) => {
    rules = (r) => (r === 'gone@example.org' ? '550' : 'ok');
    const r = await enqueue(s, { message: msg(), recipients: [{ address: 'gone@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:gone' });
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'failed'));
    const row = (await q(r.messageId))[0];
    t.match(await tdb.db.knex('bounce_events').where({ queue_id: row.id }).first(), { source: 'smtp', reason: 'userunknown', class: 'hard', reply_code: 550 });
    t.ok(await until(async () => (await json(api('/api/v1/suppressions?address=gone@example.org'))).total === 1), 'blocked');
    const again = await enqueue(s, { message: msg(), recipients: [{ address: 'gone@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:gone2' });
    t.match(again, { queued: 0, suppressed: 1 });
    t.match((await q(again.messageId))[0], { state: 'suppressed', suppressed_reason: 'userunknown' });
  });

  await t.test('a wrong password pauses the account and spends no attempt; resume sends', async (t) => {
    rules = () => 'ok';
    await api(`/api/v1/accounts/${acct.id}`, { method: 'PATCH', body: JSON.stringify({ password: 'wrong' }) });
    const r = await enqueue(s, { message: msg(), recipients: [{ address: 'wait@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:auth' });
    t.ok(await until(async () => Boolean((await json(api(`/api/v1/accounts/${acct.id}`))).pausedAt)));
    const a = await json(api(`/api/v1/accounts/${acct.id}`));
    t.match(a.pausedReason, /authentication failed/);
    const row = (await q(r.messageId))[0];
    t.match(row, { state: 'queued', attempts: 0 }, 'returned without using an attempt');
    const test = await json(api(`/api/v1/accounts/${acct.id}/test`, { method: 'POST' }));
    t.match(test, { ok: false, stage: 'AUTH' });
    await api(`/api/v1/accounts/${acct.id}`, { method: 'PATCH', body: JSON.stringify({ password: 'secret-pw' }) });
    t.match(await json(api(`/api/v1/accounts/${acct.id}/test`, { method: 'POST' })), { ok: true, stage: 'OK' });
    await api(`/api/v1/accounts/${acct.id}/resume`, { method: 'POST' });
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'sent'));
  });

  await t.test('"too many" slows the account; a closed port fails the test at TCP', async (t) => {
    let n = 0;
    // Twice: a 421 on a reused connection is first retried on a fresh one (the pool); a 421
    // there is the upstream meaning it, and slows the account.
    rules = (r) => (r === 'slow@example.org' && n++ < 2 ? '421' : 'ok');
    const r = await enqueue(s, { message: msg(), recipients: [{ address: 'slow@example.org', kind: 'to' }], uniqueKeyPrefix: 'test:slow' });
    t.ok(await until(async () => (await q(r.messageId))[0].state === 'sent', 10_000));
    const a = await tdb.db.knex('upstream_accounts').where({ id: acct.id }).first();
    t.ok(Number(a.slow_until) > Date.now(), 'slowed for a while');
    const closed = await json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'closed', host: '127.0.0.1', port: 1, security: 'none' }) }));
    t.match(await json(api(`/api/v1/accounts/${closed.id}/test`, { method: 'POST' })), { ok: false, stage: 'TCP' });
  });
});
