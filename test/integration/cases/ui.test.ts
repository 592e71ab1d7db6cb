/*
 * Case pages: the list under Inbound shows a case opened over SMTP; the case page shows its
 * message stream; the status/assignee form (CSRF) saves, refuses a bad status with the form
 * again, and an agent of another team gets 404; the mailbox form stores the case settings.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, { tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 10 } } });
  const s = app.services;
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const other = await s.auth.teams.create({ name: 'Other', description: '' }, Date.now());
  const ann = await s.auth.createUser({ username: 'ann', name: 'Ann Agent', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  await s.auth.createUser({ username: 'olga', role: 'agent', password: ADMIN_PASSWORD, teamIds: [other] });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const made = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', {
    address: 'support@ours.example', name: 'Support', kind: 'group', teamIds: String(team), createCases: 'on', assignment: 'direct', assignUserId: String(ann.id), reopen: 'new-after', reopenAfterDays: '14', active: 'on',
  });
  t.equal(made.res.status, 303);
  const box = (await (await api('/api/v1/mailboxes?q=support')).json() as any).items[0];
  t.match(box, { createCases: true, assignment: 'direct', assignUserId: ann.id, reopen: 'new-after', reopenAfterDays: 14 });

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => transport.close());
  await transport.sendMail({ envelope: { from: 'alice@customer.example', to: ['support@ours.example'] },
    raw: ['From: alice@customer.example', 'To: support@ours.example', 'Subject: Printer <b>broken</b>', 'Message-ID: <ui1@customer.example>', '', 'Help', ''].join('\r\n') });
  let item: any;
  for (let i = 0; i < 200 && !item?.caseId; i++) { item = (await (await api('/api/v1/inbound?messageId=ui1@customer.example')).json() as any).items[0]; await sleep(30); }
  const id = item.caseId as number;
  t.equal((await (await api(`/api/v1/cases/${id}`)).json() as any).assignedUserId, ann.id, 'direct assignment');

  const list = await ui.get('/admin/cases');
  t.equal(list.res.status, 200);
  t.match(list.html, `href="/admin/cases/${id}"`);
  t.match(list.html, 'Printer &lt;b&gt;broken&lt;/b&gt;', 'subjects are escaped');
  t.match(list.html, 'href="/admin/cases"', 'in the menu');
  const page = await ui.get(`/admin/cases/${id}`);
  t.match(page.html, 'opened the case');
  t.match(page.html, `href="/admin/inbound/${item.id}"`);

  const saved = await ui.submit(`/admin/cases/${id}`, `/admin/cases/${id}`, { status: 'pending', assignedUserId: String(ann.id), priority: 'high' });
  t.equal(saved.res.status, 303);
  t.match(await (await api(`/api/v1/cases/${id}`)).json(), { status: 'pending', priority: 'high' });
  const bad = await ui.submit(`/admin/cases/${id}`, `/admin/cases/${id}`, { status: 'open', assignedUserId: '', priority: 'high' });
  t.equal(bad.res.status, 400);
  t.match(bad.html, 'Choose new, assigned, pending or closed.');
  t.equal((await ui.post(`/admin/cases/${id}`, { status: 'closed' }, 'forged')).res.status, 403, 'no CSRF token, no change');

  const agent = new UiClient(url);
  await agent.login('olga', ADMIN_PASSWORD);
  t.equal((await agent.get(`/admin/cases/${id}`)).res.status, 404, 'another team\'s case is not there');
  t.notMatch((await agent.get('/admin/cases')).html, `href="/admin/cases/${id}"`);
  const annUi = new UiClient(url);
  await annUi.login('ann', ADMIN_PASSWORD);
  t.equal((await annUi.get(`/admin/cases/${id}`)).res.status, 200);
});
