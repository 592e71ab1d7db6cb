/*
 * Replies from a case end to end over real sockets on every database: a case opened by mail
 * into the MX, an agent's reply (API, agent's key) delivered by the delivery worker to a loopback
 * SMTP sink with From (mailbox name, then the agent's), Reply-To (the signed case address), our
 * signed Message-ID, In-Reply-To, References, Thread-Topic, Thread-Index (extending Outlook's),
 * the subject tag once; the case goes to pending and shows the reply in its stream; the
 * customer's answer carrying only In-Reply-To joins the same case, as does one to the reply
 * address; scope, validation and the form's errors.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { startUpstream, type Received } from '../../helpers/upstream.js';
import { UiClient } from '../../helpers/session.js';
import { readHeaderSection } from '../../../server/lib/headers.js';
import { decodeThreadIndex, threadIndexHeader, caseGuid } from '../../../server/routing/cases/replyHeaders.js';
import { inboundDone } from '../../helpers/inbound.js';
import { STALE_REPLY_MS } from '../../../server/routing/cases/reply.js';
import { idempotencyHash } from '../../../server/lib/idempotency.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const headerOf = (m: Received, name: string) => readHeaderSection(m.raw).fields.filter(([k]) => k === name).map(([, v]) => v);
const one = (m: Received, name: string) => { const v = headerOf(m, name); return v.length === 1 ? v[0]! : `(${v.length} ${name} fields)`; };
const bytes = (b64: string) => Buffer.from(b64, 'base64').length;

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const { app, api, url } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 20, leaseMs: 5000, batchSize: 20 } },
  });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  const account = await json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'up', host: '127.0.0.1', port: up.port, security: 'none', isDefault: true, allowedFrom: ['ours.example'] }) }));
  t.type(account.id, 'number');
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, Date.now());
  const other = await s.auth.teams.create({ name: 'Other', description: '' }, Date.now());
  const ann = await s.auth.createUser({ username: 'ann', name: 'Ann Agent', role: 'agent', password: ADMIN_PASSWORD, teamIds: [team] });
  const olga = await s.auth.createUser({ username: 'olga', role: 'agent', password: ADMIN_PASSWORD, teamIds: [other] });
  const support = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, teams: [team] }) }));
  t.equal(support.replyFromName, 'mailbox', 'replies show the mailbox\'s name by default');
  s.directory.invalidate();
  const annKey = (await s.auth.createApiKey('ann', ann.id)).key;
  const asAnn = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${annKey}`, 'content-type': 'application/json', ...init.headers } });

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  const processed = (mid: string) => inboundDone(api, mid);
  /** The copies the sink got of one of our Message-IDs (one SMTP transaction per recipient), once `n` are there. */
  async function delivered(messageId: string, n = 1): Promise<Received[]> {
    const mine = () => up.received.filter((m) => one(m, 'message-id') === `<${messageId}>`);
    for (let i = 0; i < 400 && mine().length < n; i++) await sleep(20);
    return mine().sort((a, b) => a.to[0]!.localeCompare(b.to[0]!));
  }
  const send = async (to: string, lines: string[], mid: string) => {
    await mx.sendMail({ envelope: { from: 'alice@customer.example', to: [to] }, raw: [...lines, `Message-ID: <${mid}>`, 'Date: Sun, 06 Dec 2026 09:00:00 +0000', 'Content-Type: text/plain; charset=utf-8', '', 'Hello.', ''].join('\r\n') });
    return processed(mid);
  };

  // Outlook's first message: a Thread-Index of its own (22 bytes) that our reply extends.
  const outlookIndex = threadIndexHeader(Date.UTC(2026, 11, 6, 8, 59), caseGuid('outlook-conversation')).toString('base64');
  const first = await send('support@ours.example', ['From: Alice <alice@customer.example>', 'To: support@ours.example', 'Subject: RE: Printer broken', 'Thread-Topic: Printer broken', `Thread-Index: ${outlookIndex}`], 'm1@customer.example');
  t.match(first, { state: 'processed', threadRung: 'new' });
  const caseId = first.caseId as number;
  const replyAddr = await s.cases.replyAddress(caseId);
  await json(api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', secret: 'whsec_cases_0123456789', events: ['case.updated'] }) }));

  let ours: { messageId: string; outboundMessageId: number };
  let second = '';
  await t.test('an agent\'s reply reaches the sink with every threading header', async (t) => {
    const r = await asAnn(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: 'Hello Alice,\nplease restart it.\n' }) });
    t.equal(r.status, 201);
    ours = await r.json() as typeof ours;
    t.match(ours, { messageId: new RegExp(`^case-${caseId}-[0-9a-f]{20}\\.[0-9a-f]+@`), outboundMessageId: Number, status: 'pending', to: ['alice@customer.example'] });
    const [m] = await delivered(ours.messageId);
    t.ok(m, 'delivered');
    if (!m) return;
    t.same(m.to, ['alice@customer.example'], 'to the customer (the last sender)');
    t.match(m.from, /@bounce\.ours\.example$/, 'over the VERP return path');
    t.equal(one(m, 'from'), 'Support <support@ours.example>', 'From the mailbox, with its name');
    t.equal(one(m, 'reply-to'), replyAddr, 'Reply-To the signed case address');
    t.match(replyAddr, new RegExp(`^support\\+case-${caseId}-[0-9a-f]{20}@ours\\.example$`));
    t.equal(one(m, 'message-id'), `<${ours.messageId}>`, 'our Message-ID with the signed case token');
    t.equal(one(m, 'in-reply-to'), '<m1@customer.example>');
    t.equal(one(m, 'references'), '<m1@customer.example>');
    t.equal(one(m, 'subject'), `Re: [#${caseId}] Printer broken`, 'one Re:, one tag');
    t.equal(one(m, 'thread-topic'), 'Printer broken');
    const ti = one(m, 'thread-index');
    t.equal(bytes(ti), 27, 'Outlook\'s 22 bytes and one level');
    t.ok(Buffer.from(ti, 'base64').subarray(0, 22).equals(Buffer.from(outlookIndex, 'base64')), 'extends the customer\'s Thread-Index');
    t.equal(decodeThreadIndex(ti)!.levels.length, 1);
    t.match(m.raw.toString(), /please restart it\./);

    const c = await json(api(`/api/v1/cases/${caseId}`));
    t.equal(c.status, 'pending', 'waiting for the customer');
    t.same(c.stream.map((x: any) => x.direction), ['in', 'out'], 'the stream: the message, then the reply');
    t.match(c.stream[1], { outboundMessageId: ours.outboundMessageId, messageId: ours.messageId, userId: ann.id, fromAddr: 'support@ours.example', to: ['alice@customer.example'] });
    t.equal(c.messages.length, 1, '`messages` stays the inbound list');
    const hooks = (await tdb.db.knex('webhook_deliveries').where({ event: 'case.updated' }).select('data')).map((x: { data: string }) => JSON.parse(x.data));
    t.match(hooks, [{ caseId, change: 'reply', outboundMessageId: ours.outboundMessageId, userId: ann.id, status: 'pending' }], 'case.updated, change reply');
  });

  await t.test('the customer\'s answer with only In-Reply-To our Message-ID joins the case', async (t) => {
    const answerIndex = Buffer.concat([Buffer.from(one((await delivered(ours.messageId))[0]!, 'thread-index'), 'base64'), Buffer.from('0000100000', 'hex')]).toString('base64');
    const a = await send('support@ours.example', ['From: alice@customer.example', 'To: support@ours.example', 'Subject: a different subject', `In-Reply-To: <${ours.messageId}>`, `Thread-Index: ${answerIndex}`], 'm2@customer.example');
    t.match(a, { caseId, threadRung: 'references' });
    t.equal((await json(api(`/api/v1/cases/${caseId}`))).status, 'assigned', 'the customer answered: back to the assignee');
    const b = await send(replyAddr, ['From: alice@customer.example', `To: ${replyAddr}`, 'Subject: and more'], 'm3@customer.example');
    t.match(b, { caseId, threadRung: 'reply-address' });

    // A second reply answers the newest message and carries the whole thread.
    const r = await json(api(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: 'Thanks!', cc: ['Dave <dave@customer.example>'] }) }));
    t.match(r, { to: ['alice@customer.example'], cc: ['dave@customer.example'] });
    second = r.messageId;
    const copies = await delivered(r.messageId, 2);
    t.same(copies.map((x) => x.to.join()), ['alice@customer.example', 'dave@customer.example'], 'one copy each (one transaction per recipient)');
    const m = copies[0]!;
    t.equal(one(m, 'in-reply-to'), '<m3@customer.example>');
    t.equal(one(m, 'references'), `<m1@customer.example> <${ours.messageId}> <m2@customer.example> <m3@customer.example>`, 'the thread, oldest first');
    t.equal(bytes(one(m, 'thread-index')), 27, 'm3 had no index: a fresh one for the case');
    t.equal(one(m, 'subject'), `Re: [#${caseId}] Printer broken`);
    t.equal(one(m, 'cc'), 'dave@customer.example');
    const c = await json(api(`/api/v1/cases/${caseId}`));
    t.same(c.stream.map((x: any) => x.direction), ['in', 'out', 'in', 'in', 'out']);
  });

  await t.test('a reply to our own last reply extends its Thread-Index; the agent\'s name when the mailbox says so', async (t) => {
    const patched = await json(api(`/api/v1/mailboxes/${support.id}`, { method: 'PATCH', body: JSON.stringify({ replyFromName: 'agent' }) }));
    t.equal(patched.replyFromName, 'agent');
    t.equal((await api(`/api/v1/mailboxes/${support.id}`, { method: 'PATCH', body: JSON.stringify({ replyFromName: 'bot' }) })).status, 400);
    const prev = one((await delivered(second))[0]!, 'thread-index');
    const r = await asAnn(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: 'One more thing.' }) });
    t.equal(r.status, 201);
    const third = (await r.json() as { messageId: string }).messageId;
    const m = (await delivered(third))[0]!;
    t.equal(one(m, 'from'), 'Ann Agent <support@ours.example>', 'the agent\'s name');
    t.equal(bytes(one(m, 'thread-index')), 32);
    t.ok(Buffer.from(one(m, 'thread-index'), 'base64').subarray(0, 27).equals(Buffer.from(prev, 'base64')), 'extends our previous reply\'s index');
    t.equal(one(m, 'in-reply-to'), `<${second}>`, 'answers our previous reply (the newest of the stream)');
    t.same(m.to, ['alice@customer.example'], 'to the customer, not to the Cc of the previous reply');
  });

  await t.test('a closed case stays closed after a reply', async (t) => {
    await json(api(`/api/v1/cases/${caseId}`, { method: 'PATCH', body: JSON.stringify({ status: 'closed' }) }));
    const r = await json(api(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: 'Closing note.' }) }));
    t.equal(r.status, 'closed');
    t.equal((await json(api(`/api/v1/cases/${caseId}`))).status, 'closed');
    t.equal((await delivered(r.messageId)).length, 1);
  });

  await t.test('scope and validation', async (t) => {
    await t.rejects(s.caseReplies.reply(caseId, { text: 'hi', principal: { role: 'agent', userId: olga.id } }), { code: 'not_found' }, 'another team\'s case is not there');
    const empty = await api(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: '  ' }) });
    t.equal(empty.status, 400);
    t.match(await empty.json(), { error: { fields: [{ field: 'text' }] } });
    const bad = await api(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify({ text: 'x', cc: ['not an address'] }) });
    t.equal(bad.status, 400);
    t.match(await bad.json(), { error: { fields: [{ field: 'cc' }] } });
    t.equal((await api('/api/v1/cases/999999/replies', { method: 'POST', body: JSON.stringify({ text: 'x' }) })).status, 404);
    await sleep(200);
    t.equal(up.received.length, 5, 'nothing else was sent (four replies, one of them to two recipients)');
  });

  await t.test('the case page: stream in and out, the reply form with CSRF, errors shown again', async (t) => {
    const ui = new UiClient(url);
    await ui.login('ann', ADMIN_PASSWORD);
    const page = await ui.get(`/admin/cases/${caseId}`);
    t.equal(page.res.status, 200);
    t.equal((page.html.match(/data-direction="out"/g) ?? []).length, 4, 'four replies in the stream');
    t.match(page.html, 'id="case-reply-send"');
    t.match(page.html, /name="to" value="alice@customer\.example"/, 'To: the customer');
    t.match((await ui.get(`/admin/mailboxes/${support.id}`)).html, /<option value="agent" selected>/, 'the mailbox form shows the From-name setting');
    const csrf = UiClient.csrfOf(page.html);
    const bad = await ui.post(`/admin/cases/${caseId}/replies`, { to: 'alice@customer.example', cc: '', text: '' }, csrf);
    t.equal(bad.res.status, 400);
    t.match(bad.html, 'Write the reply.');
    t.equal((await ui.post(`/admin/cases/${caseId}/replies`, { text: 'x' }, 'forged')).res.status, 403, 'no CSRF token, no reply');
    const ok = await ui.post(`/admin/cases/${caseId}/replies`, { to: 'alice@customer.example', cc: '', text: 'From the page.' }, csrf);
    t.equal(ok.res.status, 303);
    t.equal(ok.res.headers.get('location'), `/admin/cases/${caseId}`);
    const last = (await json(api(`/api/v1/cases/${caseId}`))).stream.at(-1);
    t.match(last, { direction: 'out', userId: ann.id });
    const [m] = await delivered(last.messageId);
    t.match(m?.raw.toString(), /From the page\./);
    t.equal(up.received.length, 6);
  });

  await t.test('an idempotency key sends one reply: repeated, side by side, from the page twice', async (t) => {
    const post = (body: unknown, as = api) => as(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify(body) });
    const a = await post({ text: 'Once only.', idempotencyKey: 'retry-1' });
    t.equal(a.status, 201);
    const first = (await a.json()) as any;
    t.notOk(first.repeated);
    const again = await json(post({ text: 'Once only (edited).', idempotencyKey: 'retry-1' }));
    t.match(again, { replyId: first.replyId, messageId: first.messageId, outboundMessageId: first.outboundMessageId, to: first.to, repeated: true });
    const both = await Promise.all([post({ text: 'Twins.', idempotencyKey: 'twin' }), post({ text: 'Twins.', idempotencyKey: 'twin' })]);
    const answers = (await Promise.all(both.map((r) => r.json()))) as any[];
    t.same(both.map((r) => r.status).sort(), [201, 201]);
    t.equal(answers[0].replyId, answers[1].replyId, 'side by side: one reply');
    // Another sender's identical key is another reply (keys are hashed with who sends).
    const ann2 = await json(post({ text: 'Mine.', idempotencyKey: 'retry-1' }, asAnn));
    t.not(ann2.replyId, first.replyId);
    t.equal((await post({ text: 'x', idempotencyKey: 'has space' })).status, 400);

    const ui = new UiClient(url);
    await ui.login('ann', ADMIN_PASSWORD);
    const page = await ui.get(`/admin/cases/${caseId}`);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(page.html)?.[1];
    t.ok(key, 'the form carries a key');
    const form = { to: 'alice@customer.example', cc: '', text: 'Double-clicked.', idempotencyKey: key! };
    const csrf = UiClient.csrfOf(page.html);
    t.equal((await ui.post(`/admin/cases/${caseId}/replies`, form, csrf)).res.status, 303);
    t.equal((await ui.post(`/admin/cases/${caseId}/replies`, form, csrf)).res.status, 303, 'the second post lands on the case too');
    const outs = (await json(api(`/api/v1/cases/${caseId}`))).stream.filter((x: any) => x.direction === 'out');
    t.equal(outs.length, 5 + 4, 'one reply each: retry-1, twin, ann\'s retry-1, the page');
    await delivered(outs.at(-1).messageId);
    await sleep(200);
    t.equal(up.received.length, 6 + 4, 'and one message each reached the sink');
  });

  await t.test('a reply whose request died before queueing it is sent by the repeat, once', async (t) => {
    const post = (body: unknown) => asAnn(`/api/v1/cases/${caseId}/replies`, { method: 'POST', body: JSON.stringify(body) });
    const sinkBefore = up.received.length;
    // Died after recording the reply, before queueing its message: the row has no outbound message.
    const row = { case_id: caseId, user_id: ann.id, from_addr: 'support@ours.example', to_addrs: 'alice@customer.example', cc_addrs: null, subject: '[#x] Printer broken', thread_index: null };
    const deadId = await s.caseReplies.repo.insert({ ...row, message_id: s.cases.messageIdFor(caseId), at: Date.now() - 2 * STALE_REPLY_MS, idem_key: idempotencyHash(`u${ann.id}`, 'died-1') });
    t.type(deadId, 'number');
    const dead = (await s.caseReplies.repo.byKey(caseId, idempotencyHash(`u${ann.id}`, 'died-1')))!;
    const r = await post({ text: 'Sent after all.', idempotencyKey: 'died-1' });
    t.equal(r.status, 201);
    const sent = (await r.json()) as any;
    t.match(sent, { replyId: deadId, messageId: dead.message_id, outboundMessageId: Number });
    t.notOk(sent.repeated, 'this request is the one that sends it');
    const [m] = await delivered(dead.message_id);
    t.ok(m, 'the customer gets it');
    if (m) t.notMatch(one(m, 'in-reply-to'), dead.message_id, 'answering the message before it, not itself');
    t.match(await json(post({ text: 'Sent after all.', idempotencyKey: 'died-1' })), { replyId: deadId, outboundMessageId: sent.outboundMessageId, repeated: true });

    // Died after queueing, before noting it on the reply: the repeat finds the queued message (its unique keys) and sends nothing more.
    const q = await json(post({ text: 'Queued, then died.', idempotencyKey: 'died-2' }));
    await delivered(q.messageId);
    await tdb.db.knex('case_replies').where({ id: q.replyId }).update({ outbound_message_id: null, at: Date.now() - 2 * STALE_REPLY_MS });
    const again = await post({ text: 'Queued, then died.', idempotencyKey: 'died-2' });
    t.equal(again.status, 201);
    t.match(await again.json(), { replyId: q.replyId, outboundMessageId: q.outboundMessageId });
    await sleep(300);
    t.equal(up.received.length, sinkBefore + 2, 'one message each reached the sink');

    // Recorded just now and not queued yet: its request may still be running, so a repeat waits, then answers 409.
    await s.caseReplies.repo.insert({ ...row, message_id: s.cases.messageIdFor(caseId), at: Date.now(), idem_key: idempotencyHash(`u${ann.id}`, 'busy-1') });
    const busy = await post({ text: 'x', idempotencyKey: 'busy-1' });
    t.equal(busy.status, 409);
    t.match(await busy.json(), { error: { message: /still being sent/ } });
  });
});
