/*
 * Record links and follower notifications end to end over SMTP on every database: a follower of
 * a contact gets exactly one notification for mail From that contact and for mail that Cc's it;
 * the contact's account is linked; none for a skip-filtered, a "no notification" or an automatic
 * message, none twice when a message is routed again; the case assignee (who follows the case
 * automatically, also when reassigned later, unless they unfollowed it) is notified of a follow-up, the sender never of their own mail; with the e-mail
 * preference on, one outbound row to the user's address; the API lists and marks read; mail from no
 * record notifies the case's followers alone (once, by e-mail when asked, never the sending user).
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { inboundDone } from '../../helpers/inbound.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
interface Mail { from: string; to: string; subject: string; mid: string; cc?: string; irt?: string; extra?: string[] }
const raw = (o: Mail) => [
  `From: ${o.from}`, `To: ${o.to}`, ...(o.cc ? [`Cc: ${o.cc}`] : []), `Subject: ${o.subject}`, `Message-ID: <${o.mid}>`, `Date: ${new Date().toUTCString()}`,
  ...(o.irt ? [`In-Reply-To: <${o.irt}>`] : []), ...(o.extra ?? []), 'Content-Type: text/plain; charset=utf-8', '', 'Secret body text.', '',
].join('\r\n');

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'],
    overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 20 } },
  });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  t.teardown(() => transport.close());
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const ann = await s.auth.createUser({ username: 'ann', email: 'ann@ours.example', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  // The follower: an admin user with its own API key (a key acts for the user who made it).
  const fol = await s.auth.createUser({ username: 'fol', email: 'Fol@Team.example', role: 'admin', password: ADMIN_PASSWORD });
  const folKey = (await s.auth.createApiKey('fol', fol.id)).key;
  const asFol = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${folKey}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const support = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, assignment: 'direct', assignUserId: ann.id, teams: [team] }) }));
  t.equal(support.assignUserId, ann.id);

  t.match(await json(api('/api/v1/records/accounts/bulk', { method: 'POST', body: JSON.stringify({ items: [{ externalId: 'a-acme', name: 'Acme' }] }) })), { created: 1 });
  t.match(await json(api('/api/v1/records/contacts/bulk', { method: 'POST', body: JSON.stringify({ items: [{ externalId: 'c-alice', firstName: 'Alice', lastName: 'Lee', email: 'Alice@Customer.example', accountExternalId: 'a-acme' }] }) })), { created: 1 });
  const alice = (await json(api('/api/v1/records/contacts?email=alice@customer.example'))).items[0];
  const acme = (await json(api('/api/v1/records/accounts?q=Acme'))).items[0];
  t.equal(alice.accountId, acme.id);

  const processed = (mid: string) => inboundDone(api, mid);
  const send = async (o: Mail) => { await transport.sendMail({ envelope: { from: o.from.replace(/^.*<|>$/g, ''), to: [o.to] }, raw: raw(o) }); return processed(o.mid); };
  const notes = async (userId: number, inboundId?: number) => (await tdb.db.knex('notifications').where({ user_id: userId }).modify((q) => { if (inboundId) q.where({ inbound_id: inboundId }); }).orderBy('id'));

  await t.test('follow a contact through the API (a missing record is 404, a bad type 400)', async (t) => {
    t.match(await json(asFol('/api/v1/follows', { method: 'PUT', body: JSON.stringify({ targetType: 'contact', targetId: alice.id }) })), { targetType: 'contact', targetId: alice.id, following: true });
    t.equal((await asFol('/api/v1/follows', { method: 'PUT', body: JSON.stringify({ targetType: 'contact', targetId: 999999 }) })).status, 404);
    t.equal((await asFol('/api/v1/follows', { method: 'PUT', body: JSON.stringify({ targetType: 'planet', targetId: 1 }) })).status, 400);
    t.match(await json(asFol('/api/v1/follows')), { items: [{ targetType: 'contact', targetId: alice.id, auto: false }] });
    t.equal((await api('/api/v1/notifications')).status, 400, 'a key of no user must name one');
  });

  let first: any;
  await t.test('mail From the contact: linked to the contact and its account; one notification for the follower', async (t) => {
    first = await send({ from: 'Alice Lee <alice@customer.example>', to: 'support@ours.example', subject: 'Printer broken', mid: 'l1@customer.example' });
    t.equal(first.state, 'processed');
    const links = await json(api(`/api/v1/inbound/${first.id}/links`));
    t.same(links.items.map((l: any) => [l.recordType, l.recordId, l.role]).sort(), [['account', acme.id, 'account-of-contact'], ['contact', alice.id, 'from']]);
    t.match(links.items.find((l: any) => l.recordType === 'contact'), { name: 'Alice Lee' });
    const n = await notes(fol.id);
    t.equal(n.length, 1, 'exactly one');
    t.match(n[0], { inbound_id: first.id, kind: 'record-mail', record_type: 'contact', record_id: alice.id, title: 'Alice Lee' });
    const emails = await json(api(`/api/v1/records/contacts/${alice.id}/emails`));
    t.match(emails, { total: 1, items: [{ inboundId: first.id, role: 'from', subject: 'Printer broken' }] });
    t.equal((await json(api(`/api/v1/records/accounts/${acme.id}/emails`))).total, 1, 'the account has it too');
  });

  await t.test('the case assignee follows the case automatically and is notified; the sender never', async (t) => {
    t.equal(first.caseId > 0, true);
    t.match(await notes(ann.id, first.id), [{ kind: 'case-mail', case_id: first.caseId, title: `[#${first.caseId}] Printer broken` }]);
    const followUp = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'RE: Printer broken', mid: 'l2@customer.example', irt: 'l1@customer.example' });
    t.equal(followUp.caseId, first.caseId, 'a follow-up of the case');
    t.equal((await notes(ann.id, followUp.id)).length, 1, 'the assignee is notified of the follow-up');
    t.equal((await notes(fol.id, followUp.id)).length, 1, 'and the contact\'s follower');
    // The assignee writes to the case from her own address: she is not notified of her own mail.
    const own = await send({ from: 'ann@ours.example', to: 'support@ours.example', cc: 'alice@customer.example', subject: 'RE: Printer broken', mid: 'l3@ours.example', irt: 'l1@customer.example' });
    t.equal(own.caseId, first.caseId);
    t.equal((await notes(ann.id, own.id)).length, 0, 'not the sender');
    t.equal((await notes(fol.id, own.id)).length, 1, 'the contact is in Cc: its follower is');
    t.match(await json(api(`/api/v1/inbound/${own.id}/links`)), { items: [{ recordType: 'account' }, { recordType: 'contact', role: 'cc' }, { recordType: 'user', recordId: ann.id, role: 'from' }] });
  });

  await t.test('reassigned from the API: the new assignee follows the case at once; an unfollow sticks', async (t) => {
    const bea = await s.auth.createUser({ username: 'bea', email: 'bea@ours.example', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
    t.equal(await s.follows.isFollowing(bea.id, 'case', first.caseId), false);
    t.match(await json(api(`/api/v1/cases/${first.caseId}`, { method: 'PATCH', body: JSON.stringify({ assignedUserId: bea.id }) })), { assignedUserId: bea.id });
    t.equal(await s.follows.isFollowing(bea.id, 'case', first.caseId), true, 'before the case\'s next message');
    await s.follows.unfollow(ann.id, 'case', first.caseId);
    await api(`/api/v1/cases/${first.caseId}`, { method: 'PATCH', body: JSON.stringify({ assignedUserId: ann.id }) });
    t.equal(await s.follows.isFollowing(ann.id, 'case', first.caseId), false, 'who unfollowed is not made to follow again');
    await s.follows.follow(ann.id, 'case', first.caseId);
  });

  await t.test('mail that Cc\'s the contact: one notification', async (t) => {
    const m = await send({ from: 'zed@other.example', to: 'support@ours.example', cc: 'Alice <alice@customer.example>', subject: 'About Alice', mid: 'l4@other.example' });
    t.match(await notes(fol.id, m.id), [{ record_type: 'contact', record_id: alice.id }]);
  });

  await t.test('skip filter, "no notification" filter, automatic mail: no notification', async (t) => {
    const f1 = await json(api('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'skip', conditions: [{ field: 'subject', op: 'contains', value: 'SKIPME' }], actions: { skip: true } }) }));
    const f2 = await json(api('/api/v1/filters', { method: 'POST', body: JSON.stringify({ name: 'quiet', conditions: [{ field: 'subject', op: 'contains', value: 'QUIET' }], actions: { noNotify: true } }) }));
    t.ok(f1.id && f2.id);
    const before = (await notes(fol.id)).length;
    const skipped = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'SKIPME please', mid: 'l5@customer.example' });
    const quiet = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'QUIET please', mid: 'l6@customer.example' });
    const auto = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'Out of office', mid: 'l7@customer.example', extra: ['Auto-Submitted: auto-replied'] });
    t.equal(auto.kind, 'auto-reply');
    t.equal((await notes(fol.id)).length, before, 'none of the three notified');
    t.equal((await json(api(`/api/v1/inbound/${skipped.id}/links`))).items.length, 0, 'a skipped message is not linked');
    t.equal((await json(api(`/api/v1/inbound/${quiet.id}/links`))).items.length, 2, '"no notification" still links');
    const route = (await json(api(`/api/v1/inbound/${auto.id}`))).steps.find((x: any) => x.step === 'route');
    t.match(route.result.links, { quiet: 'automatic' });
  });

  await t.test('routed again: no second notification', async (t) => {
    const before = (await notes(fol.id)).length;
    const r = await api(`/api/v1/inbound/${first.id}/reprocess`, { method: 'POST' });
    t.equal(r.status, 202);
    for (let i = 0; i < 300; i++) { const m = await json(api(`/api/v1/inbound/${first.id}`)); if (m.state === 'processed' && m.steps.length) break; await sleep(30); }
    t.equal((await notes(fol.id)).length, before);
    t.equal((await notes(fol.id, first.id)).length, 1);
    t.equal((await notes(ann.id, first.id)).length, 1);
  });

  await t.test('e-mail preference on: one outbound row to the user\'s address, automatic, no body copied', async (t) => {
    t.same(await json(asFol('/api/v1/notifications/settings')), { email: false }, 'off by default');
    t.same(await json(asFol('/api/v1/notifications/settings', { method: 'PUT', body: JSON.stringify({ email: true }) })), { email: true });
    const m = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'Mail me', mid: 'l8@customer.example' });
    const rows = await tdb.db.knex('outbound_queue').where({ recipient: 'fol@team.example' });
    t.equal(rows.length, 1, 'one row');
    t.equal(rows[0].source, 'notification');
    const msg = await tdb.db.knex('outbound_messages').where({ id: rows[0].message_id }).first();
    t.match(msg.subject, /^\[Postern\] New mail on contact Alice Lee$/);
    t.match(JSON.parse(msg.headers), { 'Auto-Submitted': 'auto-generated' });
    t.match(msg.text, `/admin/inbound/${m.id}`);
    t.notMatch(msg.text, 'Secret body text');
    t.equal((await tdb.db.knex('outbound_queue').where({ recipient: 'ann@ours.example' })).length, 0, 'ann did not ask for e-mails');
  });

  await t.test('API: list, unread filter, mark read, mark all read', async (t) => {
    const all = await json(asFol('/api/v1/notifications'));
    t.equal(all.total, 5);
    t.equal(all.unread, 5);
    t.match(all.items[0], { kind: 'record-mail', title: 'Alice Lee', recordType: 'contact', recordId: alice.id, read: false, subject: 'Mail me', fromAddr: 'alice@customer.example' });
    t.match(await json(asFol('/api/v1/notifications/read', { method: 'POST', body: JSON.stringify({ ids: [all.items[0].id] }) })), { marked: 1, unread: 4 });
    const unread = await json(asFol('/api/v1/notifications?unread=true'));
    t.equal(unread.total, 4);
    t.notOk(unread.items.some((x: any) => x.id === all.items[0].id));
    t.equal((await asFol('/api/v1/notifications/read', { method: 'POST', body: JSON.stringify({}) })).status, 400);
    t.match(await json(asFol('/api/v1/notifications/read', { method: 'POST', body: JSON.stringify({ all: true }) })), { marked: 4, unread: 0 });
    t.match(await json(api(`/api/v1/notifications?userId=${ann.id}`)), { unread: 4 }, 'an admin key may read another user\'s (her cases: the first and its follow-up, two new ones)');
    t.match(await json(asFol('/api/v1/follows', { method: 'DELETE', body: JSON.stringify({ targetType: 'contact', targetId: alice.id }) })), { following: false });
    await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'After unfollow', mid: 'l9@customer.example' });
    t.equal((await json(asFol('/api/v1/notifications'))).total, 5, 'no longer following: nothing new');
  });

  await t.test('an assignee who unfollowed the case is not made to follow it again', async (t) => {
    await s.follows.unfollow(ann.id, 'case', first.caseId);
    const m = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'RE: Printer broken', mid: 'l10@customer.example', irt: 'l1@customer.example' });
    t.equal(m.caseId, first.caseId);
    t.equal((await notes(ann.id, m.id)).length, 0);
    t.equal(await s.follows.isFollowing(ann.id, 'case', first.caseId), false);
    await s.follows.follow(ann.id, 'case', first.caseId);
    const again = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'RE: Printer broken', mid: 'l11@customer.example', irt: 'l1@customer.example' });
    t.equal((await notes(ann.id, again.id)).length, 1, 'following again: notified');
  });

  await t.test('mail from no record: the case\'s followers notified once (by e-mail when asked), the sending user never', async (t) => {
    // The only notify target is the case: its notifications are written with the followers' read (linksRepo.routed).
    const m1 = await send({ from: 'Nora <nora@elsewhere.example>', to: 'support@ours.example', subject: 'Lost key', mid: 'n1@elsewhere.example' });
    t.ok(m1.caseId > 0);
    t.equal((await json(api(`/api/v1/inbound/${m1.id}/links`))).items.length, 0, 'no record linked');
    t.match(await notes(ann.id, m1.id), [{ kind: 'case-mail', case_id: m1.caseId, record_type: null, record_id: null, title: `[#${m1.caseId}] Lost key` }]);
    t.equal((await notes(fol.id, m1.id)).length, 0, 'fol does not follow the case yet');
    await s.follows.follow(fol.id, 'case', m1.caseId);
    const mails = async () => (await tdb.db.knex('outbound_queue').where({ recipient: 'fol@team.example' })).length;
    const before = await mails();
    const m2 = await send({ from: 'nora@elsewhere.example', to: 'support@ours.example', subject: 'RE: Lost key', mid: 'n2@elsewhere.example', irt: 'n1@elsewhere.example' });
    t.equal(m2.caseId, m1.caseId);
    t.equal((await notes(ann.id, m2.id)).length, 1, 'the assignee');
    t.match(await notes(fol.id, m2.id), [{ kind: 'case-mail', case_id: m1.caseId }], 'and the new follower');
    t.equal(await mails(), before + 1, 'who asked for e-mails gets one');
    const own = await send({ from: 'ann@ours.example', to: 'support@ours.example', subject: 'RE: Lost key', mid: 'n3@ours.example', irt: 'n1@elsewhere.example' });
    t.equal(own.caseId, m1.caseId);
    t.equal((await notes(ann.id, own.id)).length, 0, 'not the sender');
    t.equal((await notes(fol.id, own.id)).length, 1);
    const r = await api(`/api/v1/inbound/${m2.id}/reprocess`, { method: 'POST' });
    t.equal(r.status, 202);
    for (let i = 0; i < 300; i++) { const m = await json(api(`/api/v1/inbound/${m2.id}`)); if (m.state === 'processed' && m.steps.length) break; await sleep(30); }
    t.equal((await notes(fol.id, m2.id)).length, 1, 'routed again: no second notification');
    t.equal((await notes(ann.id, m2.id)).length, 1);
    t.equal(await mails(), before + 1 + 1, 'nor a second e-mail (the own message\'s is the other one)');
  });
});
