/*
 * Links and notifications in the admin UI on every database: Follow/Unfollow on a record page
 * and a case page (CSRF), the unread count in every page's header, the notifications page with
 * mark read and the e-mail preference, linked records on the message page, Emails on the record page.
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
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const boss = await s.auth.createUser({ username: 'boss', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  const fol = await s.auth.createUser({ username: 'fol', email: 'fol@ours.example', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, assignment: 'direct', assignUserId: boss.id, teams: [team] }) }));
  await json(api('/api/v1/records/contacts/bulk', { method: 'POST', body: JSON.stringify({ items: [{ externalId: 'c-alice', firstName: 'Alice', lastName: 'Lee', email: 'alice@customer.example' }] }) }));
  const alice = (await json(api('/api/v1/records/contacts?email=alice@customer.example'))).items[0];
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => transport.close());
  const send = async (mid: string, subject: string) => {
    await transport.sendMail({ envelope: { from: 'alice@customer.example', to: ['support@ours.example'] },
      raw: ['From: Alice Lee <alice@customer.example>', 'To: support@ours.example', `Subject: ${subject}`, `Message-ID: <${mid}>`, `Date: ${new Date().toUTCString()}`, '', 'Hi', ''].join('\r\n') });
    for (let i = 0; i < 300; i++) {
      const m = (await json(api(`/api/v1/inbound?messageId=${mid}`))).items[0];
      if (m?.state === 'processed') return m;
      await sleep(30);
    }
    throw new Error(`${mid} not processed`);
  };

  const ui = new UiClient(url);
  await ui.login('fol', ADMIN_PASSWORD);
  const recordPage = `/admin/records/contacts/${alice.id}`;
  let page = await ui.get(recordPage);
  t.equal(page.res.status, 200);
  t.match(page.html, `action="${recordPage}/follow"`);
  t.match(page.html, 'value="follow"');
  t.match(page.html, 'No mail linked yet.');
  t.equal((await ui.post(`${recordPage}/follow`, { action: 'follow' }, 'forged')).res.status, 403, 'no CSRF token, no follow');
  const followed = await ui.submit(recordPage, `${recordPage}/follow`, { action: 'follow' });
  t.equal(followed.res.status, 303);
  t.equal(followed.res.headers.get('location'), recordPage);
  page = await ui.get(recordPage);
  t.match(page.html, 'value="unfollow"');
  t.match(page.html, 'You follow this');
  t.notMatch(page.html, 'data-unread=', 'nothing unread yet');

  const m = await send('ui1@customer.example', 'Printer <b>broken</b>');
  const list = await ui.get('/admin/notifications');
  t.equal(list.res.status, 200);
  t.match(list.html, 'data-unread="1"', 'the unread count in the header');
  t.match(list.html, '1 unread');
  t.match(list.html, `href="/admin/records/contacts/${alice.id}">Contact Alice Lee</a>`);
  t.match(list.html, 'Printer &lt;b&gt;broken&lt;/b&gt;', 'escaped');
  t.match(list.html, 'href="/admin/notifications"', 'in the menu');
  t.match((await ui.get('/admin/cases')).html, 'data-unread="1"', 'on other pages too');

  const inbound = await ui.get(`/admin/inbound/${m.id}`);
  t.match(inbound.html, 'Linked records');
  t.match(inbound.html, `href="/admin/records/contacts/${alice.id}">Alice Lee</a>`);
  page = await ui.get(recordPage);
  t.match(page.html, `href="/admin/inbound/${m.id}">Printer &lt;b&gt;broken&lt;/b&gt;</a>`, 'Emails on the record page');

  // The case page: follow it, then unfollow.
  const casePage = `/admin/cases/${m.caseId}`;
  t.match((await ui.get(casePage)).html, `action="${casePage}/follow"`);
  t.equal((await ui.submit(casePage, `${casePage}/follow`, { action: 'follow' })).res.status, 303);
  t.ok(await s.follows.isFollowing(fol.id, 'case', m.caseId));
  t.match((await ui.get(casePage)).html, 'value="unfollow"');
  t.equal((await ui.submit(casePage, `${casePage}/follow`, { action: 'unfollow' })).res.status, 303);
  t.notOk(await s.follows.isFollowing(fol.id, 'case', m.caseId));

  // Mark read: the count goes.
  const id = /name="ids" value="(\d+)"/.exec(list.html)?.[1];
  t.ok(id, 'a mark-read button');
  const read = await ui.submit('/admin/notifications', '/admin/notifications/read', { ids: id! });
  t.equal(read.res.status, 303);
  const after = await ui.get('/admin/notifications');
  t.notMatch(after.html, 'data-unread=');
  t.match(after.html, '1 marked read.');

  // The e-mail preference.
  t.equal(await s.prefs.notifyByEmail(fol.id), false);
  t.equal((await ui.submit('/admin/notifications', '/admin/notifications/settings', { email: 'on' })).res.status, 303);
  t.equal(await s.prefs.notifyByEmail(fol.id), true);
  t.match((await ui.get('/admin/notifications')).html, /name="email" value="on" checked/);

  // The case's assignee (boss) was notified of it; a second message notifies fol once, and boss.
  await send('ui2@customer.example', 'Another');
  t.equal((await s.notifications.list(fol.id, { unread: true })).total, 1);
  t.equal((await s.notifications.list(boss.id)).total, 2);
});
