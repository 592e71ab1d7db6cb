/*
 * Email-to-case end to end over SMTP on every database: a first message opens a case assigned
 * round-robin; replies through the reply address, through References only (and Outlook's bare
 * In-Reply-To), and with the subject tag from someone on the case (a Cc'd party first) join it;
 * a stranger's [#N] opens a new case; a closed case reopens, an out-of-office reply does not;
 * a forged reply address is refused at RCPT; one message to two mailboxes is one case; less-busy
 * picks right; the flood guard holds the 21st case, also when a burst is processed side by side
 * (and alerts once); re-routing a message changes nothing.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { inboundDone } from '../../helpers/inbound.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PW = 'correct horse battery';
interface Mail { from: string; to: string; subject: string; mid: string; cc?: string; irt?: string; refs?: string[]; extra?: string[]; rcpt?: string[] }
const raw = (o: Mail) => [
  `From: ${o.from}`, `To: ${o.to}`, ...(o.cc ? [`Cc: ${o.cc}`] : []), `Subject: ${o.subject}`, `Message-ID: <${o.mid}>`, `Date: ${new Date().toUTCString()}`,
  ...(o.irt ? [`In-Reply-To: <${o.irt}>`] : []), ...(o.refs ? [`References: ${o.refs.map((r) => `<${r}>`).join(' ')}`] : []), ...(o.extra ?? []),
  'Content-Type: text/plain; charset=utf-8', '', 'Hello, see above.', '',
].join('\r\n');

void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'],
    overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 20 } },
  });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const port = s.smtpPorts!.mx!;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 2 });
  t.teardown(() => transport.close());
  const now = Date.now();
  const team = await s.auth.teams.create({ name: 'Support', description: '' }, now);
  const ann = await s.auth.createUser({ username: 'ann', role: 'agent', password: PW, teamIds: [team] });
  const bob = await s.auth.createUser({ username: 'bob', role: 'agent', password: PW, teamIds: [team] });
  const cid = await s.auth.createUser({ username: 'cid', role: 'agent', password: PW, teamIds: [team] });
  const off = await s.auth.createUser({ username: 'off', role: 'agent', password: PW, teamIds: [team], active: false });
  const support = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'support@ours.example', name: 'Support', createCases: true, assignment: 'round-robin', teams: [team] }) }));
  t.match(support, { createCases: true, assignment: 'round-robin', teams: [team], reopen: 'reopen' });

  const contact = await json(api('/api/v1/records/contacts/bulk', { method: 'POST', body: JSON.stringify({ items: [{ externalId: 'c-alice', firstName: 'Alice', email: 'Alice@Customer.example' }] }) }));
  t.match(contact, { created: 1 });
  const alice = (await json(api('/api/v1/records/contacts?email=alice@customer.example'))).items[0];

  const processed = (mid: string) => inboundDone(api, mid);
  const send = async (o: Mail) => { await transport.sendMail({ envelope: { from: o.from.replace(/^.*<|>$/g, ''), to: o.rcpt ?? [o.to] }, raw: raw(o) }); return processed(o.mid); };
  const getCase = async (id: number) => json(api(`/api/v1/cases/${id}`));

  // Webhook events of cases: queued as deliveries for an endpoint that listens to them.
  await json(api('/api/v1/webhooks', { method: 'POST', body: JSON.stringify({ url: 'http://127.0.0.1:9/hook', secret: 'whsec_cases_0123456789', events: ['case.created', 'case.updated'] }) }));
  const hooks = async (event: string) => (await tdb.db.knex('webhook_deliveries').where({ event }).orderBy('id').select('data')).map((r: { data: string }) => JSON.parse(r.data));

  let first: any;
  await t.test('a first message opens a case assigned round-robin (inactive members skipped)', async (t) => {
    const m = await send({ from: 'Alice <alice@customer.example>', to: 'support@ours.example', cc: 'dave@customer.example', subject: 'Printer broken', mid: 'm1@customer.example' });
    t.match(m, { state: 'processed', threadRung: 'new' });
    t.type(m.caseId, 'number');
    first = await getCase(m.caseId);
    t.match(first, { status: 'assigned', assignedUserId: ann.id, teamId: team, mailboxId: support.id, subject: 'Printer broken', fromAddr: 'alice@customer.example' });
    t.equal(first.contactId, alice.id, 'linked to the sender\'s contact');
    const others = [];
    for (const [i, who] of ['erin', 'finn', 'gail'].entries()) others.push((await getCase((await send({ from: `${who}@else.example`, to: 'support@ours.example', subject: `Q${i}`, mid: `rr${i}@else.example` })).caseId)).assignedUserId);
    t.same(others, [bob.id, cid.id, ann.id], 'next members in turn; the inactive one never');
    t.notOk(others.includes(off.id));
  });

  await t.test('a reply through the signed reply address joins the case', async (t) => {
    const addr = await s.cases.replyAddress(first.id);
    t.match(addr, new RegExp(`^support\\+case-${first.id}-[0-9a-f]{20}@ours\\.example$`));
    const m = await send({ from: 'alice@customer.example', to: addr, subject: 'totally new words', mid: 'm2@customer.example' });
    t.match(m, { caseId: first.id, threadRung: 'reply-address' });
    t.match((await hooks('case.created'))[0], { caseId: first.id, number: first.id, subject: 'Printer broken', mailboxIds: [support.id] }, 'case.created for the first case');
    t.equal((await hooks('case.created')).length, 4, 'one per case opened');
    t.match(await hooks('case.updated'), [{ caseId: first.id, change: 'message', rung: 'reply-address' }], 'case.updated when a message joins');
  });

  await t.test('References only (our sent Message-ID) and Outlook\'s bare In-Reply-To join the case', async (t) => {
    await s.cases.rememberMessageId('<out-1@ours.example>', first.id);
    const a = await send({ from: 'zed@elsewhere.example', to: 'support@ours.example', subject: 'edited subject', mid: 'm3@elsewhere.example', refs: ['x@y.example', 'out-1@ours.example'] });
    t.match(a, { caseId: first.id, threadRung: 'references' });
    const b = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'RE: Printer', mid: 'm4@customer.example', irt: 'm1@customer.example' });
    t.match(b, { caseId: first.id, threadRung: 'references' });
    // Our own Message-IDs carry a signed case token: recognised even when never remembered.
    const c = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'again', mid: 'm4b@customer.example', irt: s.cases.messageIdFor(first.id) });
    t.match(c, { caseId: first.id, threadRung: 'references' });
    const forged = await send({ from: 'mallory@evil.example', to: 'support@ours.example', subject: 'forged', mid: 'm4c@evil.example', irt: `case-${first.id}-00000000000000000000.abc@ours.example` });
    t.not(forged.caseId, first.id, 'a forged reference opens its own case');
  });

  await t.test('the subject tag joins only from someone on the case (a Cc\'d party first)', async (t) => {
    const a = await send({ from: 'dave@customer.example', to: 'support@ours.example', subject: `Fwd: Re: [#${first.number}] Printer broken`, mid: 'm5@customer.example' });
    t.match(a, { caseId: first.id, threadRung: 'subject-tag' });
    const b = await send({ from: 'stranger@spam.example', to: 'support@ours.example', subject: `[#${first.number}] give me access`, mid: 'm6@spam.example' });
    t.match(b, { threadRung: 'new' });
    t.not(b.caseId, first.id);
  });

  await t.test('a closed case reopens; an out-of-office reply does not', async (t) => {
    t.match(await json(api(`/api/v1/cases/${first.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'closed' }) })), { status: 'closed' });
    const ooo = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'Out of office: Printer broken', mid: 'm7@customer.example', irt: 'm1@customer.example', extra: ['Auto-Submitted: auto-replied'] });
    t.match(ooo, { caseId: first.id, kind: 'auto-reply' });
    t.equal((await getCase(first.id)).status, 'closed', 'auto-reply attached, case still closed');
    const r = await send({ from: 'alice@customer.example', to: 'support@ours.example', subject: 'still broken', mid: 'm8@customer.example', irt: 'm1@customer.example' });
    t.match(r, { caseId: first.id, threadRung: 'references' });
    const c = await getCase(first.id);
    t.equal(c.status, 'assigned');
    t.same(c.messages.map((x: any) => x.rung), ['new', 'reply-address', 'references', 'references', 'references', 'subject-tag', 'references', 'references']);
    t.same(c.messages.map((x: any) => x.reopened), [false, false, false, false, false, false, false, true]);
  });

  await t.test('a forged reply address is refused at RCPT with 550 5.1.1', async (t) => {
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO test.example');
    t.equal((await c.cmd('MAIL FROM:<alice@customer.example>')).code, 250);
    const bad = await c.cmd(`RCPT TO:<support+case-${first.id}-0123456789abcdef0123@ours.example>`);
    t.equal(bad.code, 550);
    t.match(bad.text, /^5\.1\.1 /);
    const other = await c.cmd(`RCPT TO:<support+case-${first.id + 1}-${(await s.cases.replyAddress(first.id)).split('-')[2]!.split('@')[0]}@ours.example>`);
    t.equal(other.code, 550, 'a tag of another case does not fit');
    t.equal((await c.cmd(`RCPT TO:<${await s.cases.replyAddress(first.id)}>`)).code, 250);
    c.close();
  });

  await t.test('re-routing a message changes nothing', async (t) => {
    const before = (await json(api('/api/v1/cases?perPage=200'))).total;
    const m = await processed('m1@customer.example');
    t.equal((await api(`/api/v1/inbound/${m.id}/reprocess`, { method: 'POST' })).status, 202);
    for (let i = 0; i < 100 && (await json(api(`/api/v1/inbound/${m.id}`))).state !== 'processed'; i++) await sleep(30);
    t.match(await processed('m1@customer.example'), { caseId: first.id, threadRung: 'new' });
    t.equal((await json(api('/api/v1/cases?perPage=200'))).total, before);
  });

  await t.test('one message to two mailboxes is one case both see; less-busy picks right', async (t) => {
    const team2 = await s.auth.teams.create({ name: 'Sales', description: '' }, Date.now());
    const x = await s.auth.createUser({ username: 'xan', role: 'agent', password: PW, teamIds: [team2] });
    const y = await s.auth.createUser({ username: 'yas', role: 'agent', password: PW, teamIds: [team2] });
    const z = await s.auth.createUser({ username: 'zoe', role: 'agent', password: PW, teamIds: [team2] });
    const sales = await json(api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'sales@ours.example', createCases: true, assignment: 'less-busy', teamIds: [team2] }) }));
    t.equal(sales.assignment, 'less-busy');
    const who = async (i: number) => (await getCase((await send({ from: `buyer${i}@shop.example`, to: 'sales@ours.example', subject: `Offer ${i}`, mid: `lb${i}@shop.example` })).caseId));
    const c1 = await who(1), c2 = await who(2), c3 = await who(3), c4 = await who(4);
    t.same([c1, c2, c3, c4].map((c) => c.assignedUserId), [x.id, y.id, z.id, x.id], 'members with none first; a tie goes to the longest since last assignment');
    await api(`/api/v1/cases/${c2.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'closed' }) });
    t.equal((await who(5)).assignedUserId, y.id, 'closed cases do not count');

    const both = await send({ from: 'lead@shop.example', to: 'support@ours.example, sales@ours.example', rcpt: ['support@ours.example', 'sales@ours.example'], subject: 'Both of you', mid: 'two@shop.example' });
    const c = await getCase(both.caseId);
    t.same(c.mailboxIds.sort(), [support.id, sales.id].sort());
    const inSupport = (await json(api(`/api/v1/cases?mailbox=${support.id}&perPage=200`))).items.map((i: any) => i.id);
    const inSales = (await json(api(`/api/v1/cases?mailbox=${sales.id}&perPage=200`))).items.map((i: any) => i.id);
    t.ok(inSupport.includes(c.id) && inSales.includes(c.id));
    // An agent of Sales sees it, and Sales' cases, but not Support's other cases.
    const { key } = await s.auth.createApiKey('zoe', z.id);
    const res = await fetch(`${app.httpAddress()}/api/v1/cases?perPage=200`, { headers: { authorization: `Bearer ${key}` } });
    const mine: any = await res.json();
    t.equal(res.status, 200, JSON.stringify(mine));
    t.ok(mine.items.some((i: any) => i.id === c.id));
    t.notOk(mine.items.some((i: any) => i.id === first.id));
    t.equal((await fetch(`${app.httpAddress()}/api/v1/cases/${first.id}`, { headers: { authorization: `Bearer ${key}` } })).status, 404);
  });

  await t.test('the flood guard holds the 21st case of one sender and mailbox in an hour', async (t) => {
    const out = [];
    for (let i = 1; i <= 21; i++) out.push(await send({ from: 'flood@bot.example', to: 'support@ours.example', subject: `spam ${i}`, mid: `flood${i}@bot.example` }));
    t.equal(out.slice(0, 20).filter((m) => typeof m.caseId === 'number').length, 20);
    t.match(out[20], { state: 'processed', caseId: null });
    const steps = (await json(api(`/api/v1/inbound/${out[20].id}`))).steps;
    t.match(steps.find((x: any) => x.step === 'route').result, { cases: { held: 'flood' } });
    t.equal((await json(api('/api/v1/cases?q=flood@bot.example&perPage=200'))).total, 20);
  });

  await t.test('a burst of one sender processed side by side opens no more than the quota, and alerts once', async (t) => {
    const mail = (i: number) => ({ from: 'burst@bot.example', to: 'support@ours.example', subject: `burst ${i}`, mid: `burst${i}@bot.example` });
    for (let i = 1; i <= 10; i++) await send(mail(i));
    // The next 30 arrive together: the pipeline runs a group of them side by side.
    await Promise.all(Array.from({ length: 30 }, (_, k) => transport.sendMail({ envelope: { from: 'burst@bot.example', to: ['support@ours.example'] }, raw: raw(mail(11 + k)) })));
    const out = await Promise.all(Array.from({ length: 30 }, (_, k) => processed(`burst${11 + k}@bot.example`)));
    t.equal(out.filter((m) => typeof m.caseId === 'number').length, 10, 'ten more cases, up to the quota of 20');
    t.equal((await json(api('/api/v1/cases?q=burst@bot.example&perPage=200'))).total, 20);
    // Held mail never moves the round-robin pointer: it names the assignee of the newest case.
    const newest = await tdb.db.knex('cases').where({ team_id: team }).orderBy('id', 'desc').first('assigned_user_id');
    t.equal(Number((await tdb.db.knex('case_rr_pointers').where({ team_id: team }).first('last_user_id')).last_user_id), Number(newest.assigned_user_id));
    let alerts: any[] = [];
    for (let i = 0; i < 100 && !alerts.length; i++, await sleep(30)) alerts = (await json(api('/api/v1/mailer-log?q=burst@bot.example'))).items.filter((e: any) => e.event === 'cases.flood_held');
    t.equal(alerts.length, 1, 'one alert in the mailer log for the sender');
  });

  await t.test('the API filters and validates', async (t) => {
    const list = await json(api(`/api/v1/cases?status=assigned&assignedUserId=${ann.id}`));
    t.ok(list.items.length >= 1);
    t.ok(list.items.every((c: any) => c.status === 'assigned' && c.assignedUserId === ann.id));
    t.equal((await api(`/api/v1/cases/${first.id}`, { method: 'PATCH', body: JSON.stringify({ status: 'open' }) })).status, 400);
    t.match(await json(api(`/api/v1/cases/${first.id}`, { method: 'PATCH', body: JSON.stringify({ assignedUserId: bob.id, priority: 'high', status: 'pending' }) })), { assignedUserId: bob.id, priority: 'high', status: 'pending' });
    t.equal((await api('/api/v1/cases/999999')).status, 404);
  });
});
