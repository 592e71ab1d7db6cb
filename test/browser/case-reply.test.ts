/*
 * A real browser replies from a case: a customer's mail opens a case over SMTP; an agent (a team
 * member, not an admin) signs in, opens her inbox, opens the mail and from it the case, types a
 * reply and sends it; the loopback SMTP sink receives it From the mailbox, Reply-To the signed
 * case address, with our Message-ID, In-Reply-To, References, Thread-Topic, Thread-Index and the
 * subject tag; the case page then shows the reply in its stream.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { launchBrowser, signIn } from '../helpers/browser.js';
import { startTestApp, ADMIN_PASSWORD } from '../helpers/app.js';
import { startUpstream, type Received } from '../helpers/upstream.js';
import { readHeaderSection } from '../../server/lib/headers.js';
import { decodeThreadIndex } from '../../server/routing/cases/replyHeaders.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const one = (m: Received, name: string) => readHeaderSection(m.raw).fields.find(([k]) => k === name)?.[1];

t.test('an agent replies from the case page and the reply reaches the sink', async (t) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const { url, app, api } = await startTestApp(t, { roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 5000, batchSize: 20 } } });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'up', host: '127.0.0.1', port: up.port, security: 'none', isDefault: true, allowedFrom: ['ours.example'] }) });
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  await s.auth.createUser({ username: 'ann', name: 'Ann Agent', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, teams: [team] }) });
  s.directory.invalidate();

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  await mx.sendMail({ envelope: { from: 'alice@customer.example', to: ['support@ours.example'] }, raw: [
    'From: Alice <alice@customer.example>', 'To: support@ours.example', 'Subject: Printer broken', 'Message-ID: <b1@customer.example>',
    'Date: Sun, 06 Dec 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', 'It prints nothing.', ''].join('\r\n') });
  let item: any;
  for (let i = 0; i < 300 && !item?.caseId; i++) { item = (await json(api('/api/v1/inbound?messageId=b1@customer.example'))).items[0]; await sleep(20); }
  const caseId = item?.caseId as number;
  t.type(caseId, 'number', 'the mail opened a case');

  const browser = await launchBrowser(t);
  if (!browser) return;
  const page = await (await browser.newContext()).newPage();
  await signIn(page, url, 'ann', ADMIN_PASSWORD);
  // The agent's inbox lists the mail (unread); opening it marks it read and links to its case.
  await page.goto(`${url}/admin/inbox`);
  t.equal(await page.locator('tr.unread').count(), 1, 'one unread item in her inbox');
  await page.getByRole('button', { name: 'Printer broken' }).click();
  await page.waitForURL(/\/admin\/inbox\/\d+$/);
  t.equal(await page.locator('#inbox-item-read').getAttribute('data-read'), 'true', 'opened: read');
  await page.locator('#inbox-case-link').click();
  await page.waitForURL(`${url}/admin/cases/${caseId}`);
  await page.locator('textarea[name="text"]').fill('Hello Alice,\nplease switch it off and on again.');
  await page.locator('#case-reply-send').click();
  await page.waitForURL(`${url}/admin/cases/${caseId}`);
  t.match(await page.locator('.flash').first().textContent(), /Reply queued to alice@customer\.example/);
  t.equal(await page.locator('[data-case-stream] tr[data-direction="out"]').count(), 1, 'the reply shows in the stream');

  for (let i = 0; i < 400 && !up.received.length; i++) await sleep(20);
  const m = up.received[0];
  t.ok(m, 'the sink received the reply');
  if (!m) return;
  t.same(m.to, ['alice@customer.example']);
  t.equal(one(m, 'from'), 'Support <support@ours.example>');
  t.equal(one(m, 'reply-to'), await s.cases.replyAddress(caseId), 'Reply-To: the signed case address');
  t.match(one(m, 'reply-to'), new RegExp(`^support\\+case-${caseId}-[0-9a-f]{20}@ours\\.example$`));
  t.match(one(m, 'message-id'), new RegExp(`^<case-${caseId}-[0-9a-f]{20}\\.[0-9a-f]+@[^>]+>$`), 'our Message-ID carries the signed case token');
  t.equal(one(m, 'in-reply-to'), '<b1@customer.example>');
  t.equal(one(m, 'references'), '<b1@customer.example>');
  t.equal(one(m, 'subject'), `Re: [#${caseId}] Printer broken`);
  t.equal(one(m, 'thread-topic'), 'Printer broken');
  const ti = one(m, 'thread-index') ?? '';
  t.equal(Buffer.from(ti, 'base64').length, 27, 'Thread-Index: a header and one reply level');
  t.equal(decodeThreadIndex(ti)?.levels.length, 1);
  t.match(m.raw.toString(), /please switch it off and on again\./);
  t.equal((await json(api(`/api/v1/cases/${caseId}`))).status, 'pending', 'the case waits for the customer');
});
