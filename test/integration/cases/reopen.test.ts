/*
 * Reopen policies end to end over SMTP on every database, with a settable clock: "new-after N
 * days" reopens a case closed for less than N days and opens a new linked case after that (the
 * old one stays closed); "never" attaches the reply to the closed case and leaves it closed; an
 * out-of-office reply attaches to a closed case without reopening it.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { inboundDone } from '../../helpers/inbound.js';

const DAY = 86_400_000;
interface Mail { from: string; to: string; subject: string; mid: string; irt?: string; extra?: string[] }
const raw = (o: Mail) => [
  `From: ${o.from}`, `To: ${o.to}`, `Subject: ${o.subject}`, `Message-ID: <${o.mid}>`, `Date: ${new Date().toUTCString()}`,
  ...(o.irt ? [`In-Reply-To: <${o.irt}>`] : []), ...(o.extra ?? []), 'Content-Type: text/plain; charset=utf-8', '', 'Hello.', '',
].join('\r\n');

void eachDb(t, async (t, tdb) => {
  let offset = 0;
  const clock = { now: () => Date.now() + offset };
  const { app, api } = await startTestApp(t, { tdb, clock, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 20 } } });
  const s = app.services;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => transport.close());
  const mailbox = async (address: string, reopen: string, reopenAfterDays?: number) => {
    const r = await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address, name: address, createCases: true, reopen, ...(reopenAfterDays ? { reopenAfterDays } : {}) }) });
    t.equal(r.status, 201);
  };
  await mailbox('help@ours.example', 'new-after', 3);
  await mailbox('desk@ours.example', 'never');
  const send = async (o: Mail) => { await transport.sendMail({ envelope: { from: o.from, to: [o.to] }, raw: raw(o) }); return inboundDone(api, o.mid); };
  const getCase = async (id: number) => json(api(`/api/v1/cases/${id}`));
  const close = async (id: number) => t.match(await json(api(`/api/v1/cases/${id}`, { method: 'PATCH', body: JSON.stringify({ status: 'closed' }) })), { status: 'closed' });

  await t.test('new-after: within N days the case reopens, after them a new linked case opens', async (t) => {
    const first = await send({ from: 'kim@customer.example', to: 'help@ours.example', subject: 'Printer', mid: 'p1@customer.example' });
    const id = first.caseId as number;
    t.ok(id);
    await close(id);
    offset = 1 * DAY;
    const r1 = await send({ from: 'kim@customer.example', to: 'help@ours.example', subject: 'Re: Printer', mid: 'p2@customer.example', irt: 'p1@customer.example' });
    t.match(r1, { caseId: id, threadRung: 'references' });
    t.not((await getCase(id)).status, 'closed', 'reopened after one day');
    await close(id);
    offset = 5 * DAY;
    const r2 = await send({ from: 'kim@customer.example', to: 'help@ours.example', subject: 'Re: Printer', mid: 'p3@customer.example', irt: 'p2@customer.example' });
    t.not(r2.caseId, id, 'a new case after five days');
    t.match(await getCase(r2.caseId), { parentCaseId: id, status: 'new' });
    t.equal((await getCase(id)).status, 'closed', 'the old case stays closed');
    offset = 0;
  });

  await t.test('never: the reply attaches to the closed case, which stays closed', async (t) => {
    const first = await send({ from: 'lee@customer.example', to: 'desk@ours.example', subject: 'Invoice', mid: 'i1@customer.example' });
    const id = first.caseId as number;
    await close(id);
    const r = await send({ from: 'lee@customer.example', to: 'desk@ours.example', subject: 'Re: Invoice', mid: 'i2@customer.example', irt: 'i1@customer.example' });
    t.match(r, { caseId: id, threadRung: 'references' });
    const c = await getCase(id);
    t.equal(c.status, 'closed');
    t.ok(c.messages.some((m: { inboundId: number }) => m.inboundId === r.id), 'in the case stream');
  });

  await t.test('an out-of-office reply attaches to a closed case without reopening it', async (t) => {
    const first = await send({ from: 'max@customer.example', to: 'help@ours.example', subject: 'Access', mid: 'a1@customer.example' });
    const id = first.caseId as number;
    await close(id);
    const r = await send({ from: 'max@customer.example', to: 'help@ours.example', subject: 'Out of office: Access', mid: 'a2@customer.example', irt: 'a1@customer.example', extra: ['Auto-Submitted: auto-replied'] });
    t.match(r, { caseId: id });
    t.equal((await getCase(id)).status, 'closed');
  });
});
