/*
 * Inbound pages as an admin: list with filters and the blocked-sender warning, detail with
 * steps and text, hostile HTML sanitized and served sandboxed under a deny-all CSP,
 * attachments as downloads, raw .eml, reprocess.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('inbound pages', async (t) => {
  const { app, api, url } = await startTestApp(t, { roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } } });
  const tr = nodemailer.createTransport({ host: '127.0.0.1', port: app.services.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => tr.close());
  await api('/api/v1/suppressions', { method: 'POST', body: JSON.stringify({ address: 'spammy@example.net' }) });
  await tr.sendMail({
    from: 'spammy@example.net', to: 'support@ours.example', subject: 'Hostile <b>html</b>', messageId: '<ui-1@example.net>',
    text: 'plain text part',
    html: '<p onclick="steal()">Hi<script>alert(1)</script><img src="https://tracker.evil.test/p.gif" onerror="x()" alt="logo"><a href="javascript:evil()">click</a><iframe src="https://evil.test"></iframe><form action="https://evil.test"><input name=a></form></p>',
    attachments: [{ filename: 'report.html', content: '<script>alert(2)</script>', contentType: 'text/html' }],
  });
  await tr.sendMail({ from: 'friend@example.org', to: 'support@ours.example', subject: 'Lunch', text: 'see you', messageId: '<ui-2@example.net>' });
  let items: any[] = [];
  for (let i = 0; i < 100 && !(items.length === 2 && items.every((m) => m.state === 'processed')); i++) { items = ((await (await api('/api/v1/inbound')).json()) as any).items; await sleep(50); }
  const hostile = items.find((m) => m.messageId === 'ui-1@example.net');

  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const list = await ui.get('/admin/inbound');
  t.equal(list.res.status, 200);
  t.match(list.html, /title="Blocked: manual"/, 'blocked sender marked');
  t.match(list.html, /Lunch/);
  t.notMatch((await ui.get('/admin/inbound?q=Lunch')).html, /Hostile/, 'subject search');
  t.notMatch((await ui.get('/admin/inbound?sender=friend@example.org')).html, /Hostile/, 'sender filter');
  t.match((await ui.get('/admin/inbound?kind=normal&state=processed')).html, /Lunch/);

  const detail = await ui.get(`/admin/inbound/${hostile.id}`);
  t.equal(detail.res.status, 200);
  t.match(detail.html, /<iframe class="mail-html" sandbox /, 'HTML shown in a sandboxed iframe');
  t.match(detail.html, /plain text part/);
  t.match(detail.html, /1 remote image\(s\) blocked/);
  t.match(detail.html, /report.html/);
  t.match(detail.html, />parse</);
  t.notMatch(detail.html, /<script>alert/, 'nothing from the message runs in the page');

  const body = await ui.get(`/admin/inbound/${hostile.id}/body`);
  t.match(body.res.headers.get('content-security-policy'), /default-src 'none'/);
  t.match(body.res.headers.get('content-security-policy'), /sandbox/);
  for (const bad of ['<script', 'onclick', 'onerror', 'javascript:', '<iframe', '<form', 'tracker.evil.test']) t.notMatch(body.html, bad, `${bad} removed`);
  t.match(body.html, /Hi/);
  t.match(body.html, /\[remote image blocked: logo\]/);

  const att = await ui.get(`/admin/inbound/${hostile.id}/attachments/0`);
  t.match(att.res.headers.get('content-disposition'), /^attachment/);
  t.equal(att.res.headers.get('content-type'), 'application/octet-stream', 'never rendered in our origin');
  const raw = await ui.get(`/admin/inbound/${hostile.id}/raw`);
  t.match(raw.html, /Message-ID: <ui-1@example.net>/i);
  const rp = await ui.submit(`/admin/inbound/${hostile.id}`, `/admin/inbound/${hostile.id}/reprocess`, {});
  t.equal(rp.res.status, 303);
});
