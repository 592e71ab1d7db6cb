/*
 * An IMAP account's own SMTP side, over real sockets on every database: a group account for
 * support@ours.example with its own SMTP server (a loopback sink requiring AUTH) gets a managed
 * upstream account, read-only on the accounts API; a reply from a case of that mailbox goes
 * through it (not through the default account, a second sink with other credentials); its
 * SMTP password, deactivation and removal follow the IMAP account; only members of the
 * mailbox's teams send through it, and a personal account's SMTP only as its owner.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { startUpstream, type Received } from '../../helpers/upstream.js';
import { readHeaderSection } from '../../../server/lib/headers.js';
import { inboundDone } from '../../helpers/inbound.js';
import { UiClient } from '../../helpers/session.js';
import { buildTestServices } from '../../helpers/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mid = (m: Received) => readHeaderSection(m.raw).fields.find(([k]) => k === 'message-id')?.[1] ?? '';

void eachDb(t, async (t, tdb) => {
  // Each sink accepts only its own login: mail arriving at one proves the AUTH user it was sent with.
  const own = await startUpstream({ auth: { user: 'support-smtp', pass: 'own-secret' } });
  const dflt = await startUpstream({ auth: { user: 'default-smtp', pass: 'default-secret' } });
  t.teardown(async () => { await own.close(); await dflt.close(); });
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 5000, batchSize: 20 } },
  });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  const def = await json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({
    name: 'default', host: '127.0.0.1', port: dflt.port, security: 'none', username: 'default-smtp', password: 'default-secret', isDefault: true, allowedFrom: ['ours.example'] }) }));
  t.equal(def.isDefault, true);

  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const other = await s.auth.teams.create({ name: 'Other', description: '' }, Date.now());
  const ann = await s.auth.createUser({ username: 'ann', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  const olga = await s.auth.createUser({ username: 'olga', role: 'agent', password: ADMIN_PASSWORD, teamIds: [other] });
  await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, teams: [team] }) }));
  for (const [addr, u] of [['ann@ours.example', ann], ['olga@ours.example', olga]] as const) {
    const r = await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: addr, kind: 'personal', userId: u.id }) });
    t.equal(r.status, 201, `personal mailbox ${addr}`);
  }
  s.directory.invalidate();
  const annKey = (await s.auth.createApiKey('ann', ann.id)).key;
  const olgaKey = (await s.auth.createApiKey('olga', olga.id)).key;

  const as = (key: string) => (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } });
  const asAnn = as(annKey);
  const asOlga = as(olgaKey);
  const body = (b: unknown) => ({ body: JSON.stringify(b) });
  const managedOf = async (imapId: number) => (await json(api('/api/v1/accounts?perPage=100'))).items.find((a: any) => a.managedBy?.imapAccountId === imapId);

  // Sync off: this test is about the sending side (the IMAP side is never connected).
  const imapBase = { host: '127.0.0.1', port: 1, security: 'none', username: 'support', password: 'imap-secret', syncEnabled: false };
  const group = await json(api('/api/v1/imap-accounts', { method: 'POST', ...body({
    ...imapBase, name: 'Support IMAP', kind: 'group', mailboxAddress: 'support@ours.example',
    smtpHost: '127.0.0.1', smtpPort: own.port, smtpSecurity: 'none', smtpUsername: 'support-smtp', smtpPassword: 'own-secret',
  }) }));
  t.type(group.id, 'number', 'IMAP account created');

  let managedId = 0;
  await t.test('the own SMTP side is a managed upstream account, read-only on the accounts API', async (t) => {
    const m = await managedOf(group.id);
    t.ok(m, 'listed with managedBy');
    if (!m) return;
    managedId = m.id;
    t.match(m, { kind: 'smtp', host: '127.0.0.1', port: own.port, security: 'none', username: 'support-smtp', hasPassword: true, allowedFrom: ['support@ours.example'],
      active: true, isDefault: false, managedBy: { imapAccountId: group.id } });
    t.notOk('password' in m || 'passwordEnc' in m, 'no secret in the API');
    t.equal((await json(api(`/api/v1/accounts/${def.id}`))).managedBy, null, 'an ordinary account is managed by nobody');
    const r = await api(`/api/v1/accounts/${m.id}`, { method: 'PATCH', ...body({ allowedFrom: [] }) });
    t.equal(r.status, 409);
    const e = await r.json() as any;
    t.equal(e.error.code, 'conflict');
    t.match(e.error.message, `/api/v1/imap-accounts/${group.id}`, 'points to the IMAP account');
    t.same((await managedOf(group.id)).allowedFrom, ['support@ours.example'], 'unchanged');
    t.equal((await api(`/api/v1/accounts/${def.id}`, { method: 'PATCH', ...body({ fromName: 'Us' }) })).status, 200, 'other accounts stay editable');
    t.match(await json(api(`/api/v1/accounts/${m.id}/test`, { method: 'POST' })), { ok: true, stage: 'OK' }, 'logs in to its sink');
    const other = await api('/api/v1/imap-accounts', { method: 'POST', ...body({ ...imapBase, name: 'Other IMAP', kind: 'group', smtpAccountId: m.id }) });
    t.equal(other.status, 400, 'another IMAP account cannot borrow this managed account');
  });

  await t.test('the accounts page marks it read-only and points to the IMAP account', async (t) => {
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const list = await ui.get('/admin/accounts');
    t.match(list.html, `href="/admin/imap-accounts/${group.id}"`, 'the list links the IMAP account');
    const page = await ui.get(`/admin/accounts/${managedId}`);
    t.equal(page.res.status, 200);
    t.match(page.html, 'This is the own SMTP side of an IMAP account');
    t.notMatch(page.html, /<button type="submit">Save<\/button>/, 'no Save button');
    t.match((await ui.get(`/admin/accounts/${def.id}`)).html, /<button type="submit">Save<\/button>/, 'an ordinary account has one');
    const post = await ui.post(`/admin/accounts/${managedId}`, { name: 'hijack', host: '10.0.0.1', allowedFrom: '' }, UiClient.csrfOf(page.html));
    t.equal(post.res.status, 303);
    t.equal(post.res.headers.get('location'), `/admin/accounts/${managedId}`);
    t.match(await managedOf(group.id), { name: 'IMAP: Support IMAP', host: '127.0.0.1', allowedFrom: ['support@ours.example'] }, 'unchanged');
  });

  // A case of the support mailbox, opened by mail into the MX.
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  await mx.sendMail({ envelope: { from: 'alice@customer.example', to: ['support@ours.example'] }, raw: ['From: alice@customer.example', 'To: support@ours.example', 'Subject: Printer',
    'Message-ID: <c1@customer.example>', 'Date: Sun, 06 Dec 2026 09:00:00 +0000', '', 'Hello.', ''].join('\r\n') });
  const first = await inboundDone(api, 'c1@customer.example');
  const caseId = first.caseId as number;
  t.type(caseId, 'number', 'a case');

  let lastOutbound = 0;
  async function reply(text: string): Promise<string> {
    const r = await asAnn(`/api/v1/cases/${caseId}/replies`, { method: 'POST', ...body({ text }) });
    t.equal(r.status, 201, 'reply accepted');
    const x = await r.json() as { messageId: string; outboundMessageId: number };
    lastOutbound = x.outboundMessageId;
    return x.messageId;
  }
  /** Which sink got the message: 'own', 'default', or null after ~8 s. */
  async function whereDelivered(messageId: string): Promise<'own' | 'default' | null> {
    for (let i = 0; i < 400; i++) {
      if (own.received.some((m) => mid(m) === `<${messageId}>`)) return 'own';
      if (dflt.received.some((m) => mid(m) === `<${messageId}>`)) return 'default';
      await sleep(20);
    }
    return null;
  }

  await t.test('a reply from the case goes through the mailbox\'s own SMTP, not the default account', async (t) => {
    const id = await reply('Through our own server.');
    t.equal(await whereDelivered(id), 'own');
    await sleep(200);
    t.notOk(dflt.received.some((m) => mid(m) === `<${id}>`), 'not through the default account too');
    const row = await tdb.db.knex('outbound_messages').where({ id: lastOutbound }).first();
    t.equal(Number(row.account_id), managedId, 'queued on the managed account');
  });

  await t.test('team members send through it, others do not', async (t) => {
    const msg = (from: string, accountId?: number) => ({ method: 'POST', ...body({ from, to: ['bob@customer.example'], subject: 'Hi', text: 'Hi', ...(accountId ? { accountId } : {}) }) });
    t.equal((await asAnn('/api/v1/messages', msg('support@ours.example', managedId))).status, 202, 'a member of the mailbox\'s team');
    t.equal((await asOlga('/api/v1/messages', msg('support@ours.example', managedId))).status, 403, 'not a member: not as the mailbox');
    t.equal((await asOlga('/api/v1/messages', msg('olga@ours.example', managedId))).status, 403, 'not a member: not as herself through it either');
    t.equal((await asOlga(`/api/v1/cases/${caseId}/replies`, { method: 'POST', ...body({ text: 'x' }) })).status, 404, 'nor through the case');
    // Compose without a chosen account sends as the mailbox through its own SMTP side, not the default account.
    t.equal((await asAnn('/api/v1/messages', msg('support@ours.example'))).status, 202);
    const latest = await tdb.db.knex('outbound_messages').where({ from_addr: 'support@ours.example', source: 'single' }).orderBy('id', 'desc').first();
    t.equal(Number(latest.account_id), managedId, 'compose picked the mailbox\'s own account');
    // All of it delivered before the next test breaks the password: a row still queued then would fail
    // AUTH and pause the account, and later tests expect it to send.
    const waiting = async () => Number((await tdb.db.knex('outbound_queue').where({ account_id: managedId }).whereNotIn('state', ['sent', 'failed', 'suppressed']).count({ n: '*' }).first())?.n ?? 0);
    for (let i = 0; i < 400 && (await waiting()) > 0; i++) await sleep(20);
    t.equal(await waiting(), 0, 'everything sent through the own sink');
    t.equal(own.received.filter((m) => m.to.includes('bob@customer.example')).length, 2, 'both messages to Bob through the own sink');
  });

  await t.test('the SMTP password follows the IMAP account', async (t) => {
    t.equal((await api(`/api/v1/imap-accounts/${group.id}`, { method: 'PATCH', ...body({ smtpPassword: 'rotated-secret' }) })).status, 200);
    const row = (await s.accounts.repo.byImapAccount(group.id))!;
    t.equal(s.accounts.password(row), 'rotated-secret', 'the managed account holds the new password (sealed)');
    t.not(row.password_enc, 'rotated-secret', 'not in clear text');
    t.match(await json(api(`/api/v1/accounts/${managedId}/test`, { method: 'POST' })), { ok: false, stage: 'AUTH' }, 'the sink refuses the new password');
    await api(`/api/v1/imap-accounts/${group.id}`, { method: 'PATCH', ...body({ smtpPassword: 'own-secret', smtpUsername: 'support-smtp' }) });
    t.match(await json(api(`/api/v1/accounts/${managedId}/test`, { method: 'POST' })), { ok: true });
  });

  await t.test('deactivating the IMAP account deactivates its SMTP side: replies fall back to the default account', async (t) => {
    t.equal((await api(`/api/v1/imap-accounts/${group.id}`, { method: 'PATCH', ...body({ active: false }) })).status, 200);
    t.equal((await managedOf(group.id)).active, false);
    t.equal(await whereDelivered(await reply('Through the default.')), 'default');
    await api(`/api/v1/imap-accounts/${group.id}`, { method: 'PATCH', ...body({ active: true }) });
    t.equal((await managedOf(group.id)).active, true);
    t.equal(await whereDelivered(await reply('Own again.')), 'own');
  });

  await t.test('choosing an upstream account instead removes the own side', async (t) => {
    const g2 = await json(api('/api/v1/imap-accounts', { method: 'POST', ...body({ ...imapBase, name: 'Sales IMAP', kind: 'group', mailboxAddress: 'support@ours.example',
      smtpHost: '127.0.0.1', smtpPort: own.port, smtpSecurity: 'none' }) }));
    t.ok(await managedOf(g2.id), 'managed account');
    const r = await api(`/api/v1/imap-accounts/${g2.id}`, { method: 'PATCH', ...body({ smtpHost: null, smtpAccountId: def.id }) });
    t.equal(r.status, 200);
    t.notOk(await managedOf(g2.id), 'removed');
    await api(`/api/v1/imap-accounts/${g2.id}`, { method: 'DELETE' });
  });

  await t.test('a node starting its sync gives an own SMTP side saved without a managed account one', async (t) => {
    const g3 = await json(api('/api/v1/imap-accounts', { method: 'POST', ...body({ ...imapBase, name: 'Old IMAP', kind: 'group', mailboxAddress: 'support@ours.example',
      smtpHost: '127.0.0.1', smtpPort: own.port, smtpSecurity: 'none', smtpUsername: 'support-smtp', smtpPassword: 'own-secret' }) }));
    // As before migration 071: the IMAP account has its own SMTP server and no managed account.
    await tdb.db.knex('upstream_accounts').where({ imap_account_id: g3.id }).delete();
    t.notOk(await managedOf(g3.id));
    const node = (await buildTestServices(t, tdb, { overrides: { nodeId: 'node-b' } })).s;
    const r = await node.imap.start({ tickMs: 250, leaseMs: 3000 });
    await r.stop();
    const m = await managedOf(g3.id);
    t.match(m, { allowedFrom: ['support@ours.example'], username: 'support-smtp', active: true }, 'created at start');
    t.match(await json(api(`/api/v1/accounts/${m.id}/test`, { method: 'POST' })), { ok: true }, 'with the password');
    t.equal((await api(`/api/v1/imap-accounts/${g3.id}`, { method: 'DELETE' })).status, 204);
    t.notOk(await managedOf(g3.id));
  });

  await t.test('deleting the IMAP account removes its SMTP side', async (t) => {
    t.equal((await api(`/api/v1/imap-accounts/${group.id}`, { method: 'DELETE' })).status, 204);
    t.notOk(await managedOf(group.id));
    t.equal((await api(`/api/v1/accounts/${managedId}`)).status, 404);
    t.equal(await whereDelivered(await reply('After removal.')), 'default');
  });

  await t.test('a personal account\'s SMTP is its owner\'s only', async (t) => {
    const r = await asAnn('/api/v1/imap-accounts', { method: 'POST', ...body({
      ...imapBase, name: 'Ann mail', kind: 'personal', username: 'ann@ours.example', smtpHost: '127.0.0.1', smtpPort: own.port, smtpSecurity: 'none',
      smtpUsername: 'support-smtp', smtpPassword: 'own-secret' }) });
    t.equal(r.status, 201, 'an agent adds her own personal account');
    const p = await r.json() as any;
    const m = await managedOf(p.id);
    t.match(m, { allowedFrom: ['ann@ours.example'], active: true }, 'sends only as its owner\'s address');
    const msg = (from: string) => ({ method: 'POST', ...body({ accountId: m.id, from, to: ['bob@customer.example'], subject: 'Hi', text: 'Hi' }) });
    const ok = await asAnn('/api/v1/messages', msg('ann@ours.example'));
    t.equal(ok.status, 202, 'the owner sends through it');
    t.equal((await asOlga('/api/v1/messages', msg('ann@ours.example'))).status, 403, 'another agent may not send as its owner');
    t.equal((await asOlga('/api/v1/messages', msg('olga@ours.example'))).status, 403, 'nor as herself through it');
    t.equal((await asOlga(`/api/v1/imap-accounts/${p.id}`)).status, 404, 'nor see the account');
    t.equal((await asAnn(`/api/v1/imap-accounts/${p.id}`, { method: 'DELETE' })).status, 204);
    t.notOk(await managedOf(p.id), 'removed with it');
  });
});
