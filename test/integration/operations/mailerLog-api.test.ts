/*
 * The mailer log over the real edges on every database: refusals given over a real SMTP
 * socket (unknown mailbox, relay denied, oversize DATA) logged with our reply; a failing
 * upstream's replies in GET /api/v1/mailer-log (filters, paging, 400 for a bad filter) and on
 * the admin page (admins only); CSV and NDJSON downloads (headers, content, filters); the
 * retention setting and the purge job through the API.
 */
import t from 'tap';
import { parse } from 'csv-parse/sync';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { UiClient } from '../../helpers/session.js';
import { enqueue } from '../../../server/outbound/enqueue.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream({ rules: (r) => (r.startsWith('busy') ? '450' : r.startsWith('gone') ? '550' : 'ok') });
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], smtp: { port: 0, submissionPort: 0, maxMessageBytes: 4096 },
      worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 } },
  });
  const s = app.services;
  // The worker's pooled connections first: the upstream's close waits for open sessions.
  t.teardown(async () => { await s.delivery.close(); await up.close(); });
  const json = async (path: string, init?: RequestInit): Promise<any> => { const r = await api(path, init); if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`); return r.json(); };
  const until = async <T>(fn: () => Promise<T | undefined | false>, ms = 8000): Promise<T> => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(40)) { const v = await fn(); if (v) return v; }
    throw new Error('timed out');
  };
  const account = await json('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'flaky relay', host: '127.0.0.1', port: up.port, security: 'none', maxConnections: 1 }) });

  await t.test('refusals over a real SMTP socket are logged with our reply', async (t) => {
    const { c } = await RawSmtp.open(s.smtpPorts!.mx!);
    t.equal((await c.cmd('EHLO client.example')).code, 250);
    t.equal((await c.cmd('MAIL FROM:<sender@far.example>')).code, 250);
    const unknown = await c.cmd('RCPT TO:<nobody@ours.example>');
    const relay = await c.cmd('RCPT TO:<someone@elsewhere.example>');
    t.same([unknown.code, relay.code], [550, 550]);
    t.equal((await c.cmd('RCPT TO:<support@ours.example>')).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    c.write(`Subject: big\r\n\r\n${'x'.repeat(70).concat('\r\n').repeat(100)}.\r\n`);
    const big = await c.reply();
    t.equal(big.code, 552, 'over the size limit');
    c.close();
    const items = await until(async () => { const r = await json('/api/v1/mailer-log?source=inbound&perPage=10&dir=asc&sort=id'); return r.items.length >= 3 && r.items; });
    t.match(items, [
      { level: 'warn', source: 'inbound', event: 'inbound.rcpt_refused', address: 'nobody@ours.example', reply: `550 ${unknown.text}`, message: /MX refused at RCPT for <nobody@ours\.example> \(127\.0\.0\.1\)/ },
      { event: 'inbound.rcpt_refused', address: 'someone@elsewhere.example', reply: `550 ${relay.text}` },
      { event: 'inbound.data_refused', address: 'sender@far.example', reply: `552 ${big.text}` },
    ]);
    t.match(relay.text, /Relaying denied/);
  });

  await t.test('a failing upstream in the API, with filters, paging and errors', async (t) => {
    await enqueue(s, { message: { source: 'single', account_id: account.id, message_type_id: null, from_addr: 'news@ours.example', from_name: 'Ours', reply_to: null, subject: 'Hi',
      html: '<p>Hi</p>', text: 'Hi', headers: null, bulk: false, created_by: null, send_at: null },
    recipients: ['fine', 'busy', 'gone'].map((n) => ({ address: `${n}@rcpt.example`, kind: 'to' as const })), uniqueKeyPrefix: 'api' });
    const r = await until(async () => { const x = await json('/api/v1/mailer-log?source=delivery'); return x.total >= 2 && x; });
    t.equal(r.total, 2, 'deferred and failed; the sent row is not logged');
    t.same(r.items.map((e: any) => e.event), ['delivery.failed', 'delivery.deferred'], 'newest first');
    t.match(r.items[1], { level: 'warn', accountId: account.id, address: 'busy@rcpt.example', reply: /^450 4\.2\.1 Mailbox busy/, queueId: /^\d+$/ as never, time: /Z$/ });
    t.match(r.items[0], { level: 'error', reply: /^550 5\.1\.1/ });
    t.same((await json(`/api/v1/mailer-log?level=error&accountId=${account.id}`)).items.map((e: any) => e.address), ['gone@rcpt.example']);
    t.equal((await json('/api/v1/mailer-log?source=delivery&q=mailbox%20busy')).total, 1);
    t.equal((await json(`/api/v1/mailer-log?source=delivery&from=${new Date(Date.now() + 60_000).toISOString()}`)).total, 0, 'time range');
    t.equal((await json('/api/v1/mailer-log?source=delivery&to=2020-01-01T00:00:00Z')).total, 0);
    const p2 = await json('/api/v1/mailer-log?perPage=2&page=2');
    t.equal(p2.items.length, 2);
    t.equal(p2.page, 2);
    const bad = await api('/api/v1/mailer-log?level=loud');
    t.equal(bad.status, 400);
    t.match(await bad.json(), { error: { code: /./ } });
    const badTime = await api('/api/v1/mailer-log?from=yesterday');
    t.equal(badTime.status, 400);
    t.match(await badTime.json(), { error: { code: 'validation_failed', fields: [{ field: 'from' }] } });
    t.equal((await fetch(`${url}/api/v1/mailer-log`)).status, 401, 'an API key is required');
  });

  await t.test('CSV and NDJSON downloads', async (t) => {
    const csv = await api(`/api/v1/mailer-log/export?format=csv&source=delivery`);
    t.equal(csv.status, 200);
    t.match(csv.headers.get('content-type'), /^text\/csv/);
    t.match(csv.headers.get('content-disposition'), /attachment; filename="mailer-log\.csv"/);
    const rows = parse(await csv.text()) as string[][];
    t.equal(rows[0]!.join(','), 'id,at,level,source,event,message,reply,accountId,mailboxId,address,inboundId,queueId,massEmailId');
    t.same(rows.slice(1).map((r) => r[4]), ['delivery.deferred', 'delivery.failed'], 'filtered, in id order');
    const nd = await api('/api/v1/mailer-log/export?format=ndjson&level=error&source=delivery');
    t.match(nd.headers.get('content-type'), /^application\/x-ndjson/);
    const lines = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l));
    t.match(lines, [{ event: 'delivery.failed', address: 'gone@rcpt.example' }]);
    t.equal((await api('/api/v1/mailer-log/export?format=xml')).status, 400);
  });

  await t.test('the admin page: filters, the reply shown, downloads, admins only', async (t) => {
    t.equal((await fetch(`${url}/admin/mailer-log`, { redirect: 'manual' })).status, 303, 'signed out: to the login');
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const page = await ui.get(`/admin/mailer-log?source=delivery&accountId=${account.id}`);
    t.equal(page.res.status, 200);
    t.match(page.html, /450 4\.2\.1 Mailbox busy/);
    t.match(page.html, /data-level="error"/);
    t.notMatch(page.html, /inbound\.rcpt_refused/, 'filtered by source');
    t.match(page.html, new RegExp(`href="/admin/mailer-log\\.csv\\?source=delivery&amp;accountId=${account.id}"`), 'the download keeps the filter');
    const bad = await ui.get('/admin/mailer-log?from=soon');
    t.match(bad.html, /data-filter-errors/);
    const file = await ui.get(`/admin/mailer-log.csv?source=delivery&level=warn`);
    t.match(file.res.headers.get('content-type'), /^text\/csv/);
    t.equal(parse(file.html).length, 2, 'header and the deferred row');
    const saved = await ui.submit('/admin/mailer-log', '/admin/mailer-log/settings', { retentionDays: '7' });
    t.equal(saved.res.status, 303);
    t.same(await json('/api/v1/mailer-log-settings'), { retentionDays: 7 });
    const wrong = await ui.submit('/admin/mailer-log', '/admin/mailer-log/settings', { retentionDays: 'lots' });
    t.equal(wrong.res.status, 303, 'back to the page with the error');
    t.same(await json('/api/v1/mailer-log-settings'), { retentionDays: 7 }, 'unchanged');
    const agent = await s.auth.createUser({ username: 'agent1', password: 'agent password 123', role: 'agent' } as never);
    t.ok(agent);
    const au = new UiClient(url);
    await au.login('agent1', 'agent password 123');
    t.not((await au.get('/admin/mailer-log')).res.status, 200, 'agents do not see it');
  });

  await t.test('retention through the API and the purge job', async (t) => {
    await s.mailerLog.record({ level: 'info', source: 'job', event: 'job.test', message: 'ancient', at: Date.now() - 9 * 86_400_000 });
    t.same(await json('/api/v1/mailer-log-settings', { method: 'PUT', body: JSON.stringify({ retentionDays: 8 }) }), { retentionDays: 8 });
    t.equal((await api('/api/v1/mailer-log-settings', { method: 'PUT', body: JSON.stringify({ retentionDays: 0 }) })).status, 400);
    t.same(await json('/api/v1/jobs/mailer-log-purge/run', { method: 'POST' }), { ok: true });
    t.equal((await json('/api/v1/mailer-log?q=ancient')).total, 0);
    t.ok((await json('/api/v1/mailer-log')).total > 0, 'newer entries stay');
  });
});
