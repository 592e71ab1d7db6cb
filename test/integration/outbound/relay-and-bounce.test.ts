/*
 * The whole loop over real sockets on every database: an app submits over AUTH SMTP, Postern
 * relays it through a scripted upstream keeping the app's headers and adding DKIM and a
 * VERP return path; the upstream's DSN comes back to that VERP address on the MX port and
 * the recipient is blocked; a later send to it is suppressed. A DSN with a tampered VERP
 * token is refused at RCPT.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import { RawSmtp } from '../../helpers/smtp-client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  const up = await startUpstream();
  t.teardown(() => up.close());
  const { app, api } = await startTestApp(t, { tdb, roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], worker: { pollMs: 30, leaseMs: 5000, batchSize: 20 } } });
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  app.services.directory.invalidate();
  await api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name: 'up', host: '127.0.0.1', port: up.port, security: 'none', isDefault: true }) });
  await api('/api/v1/dkim', { method: 'POST', body: JSON.stringify({ domain: 'app.example', selector: 'k1' }) });
  const cred = await json(api('/api/v1/smtp-credentials', { method: 'POST', body: JSON.stringify({ name: 'crm', allowedSenders: ['app.example'] }) }));
  const sub = nodemailer.createTransport({ host: '127.0.0.1', port: app.services.smtpPorts!.submission!, secure: false, ignoreTLS: true, auth: { user: cred.username, pass: cred.password } });
  t.teardown(() => sub.close());
  async function until(fn: () => Promise<boolean>, ms = 10_000) {
    const end = Date.now() + ms;
    while (Date.now() < end) { if (await fn()) return true; await sleep(40); }
    return false;
  }

  await sub.sendMail({ from: 'crm@app.example', to: 'Gone@Example.org', subject: 'Invoice 42', text: 'Please pay', headers: { 'X-App-Ref': 'inv-42' }, messageId: '<inv-42@app.example>' });
  t.ok(await until(async () => up.received.length === 1), 'relayed to the upstream');
  const got = up.received[0]!;
  const raw = got.raw.toString();
  t.match(raw, /X-App-Ref: inv-42/, "the app's own headers are kept");
  t.match(raw, /Message-ID: <inv-42@app.example>/i);
  t.match(raw, /DKIM-Signature: .*d=app\.example/s, 'signed for the From domain');
  t.match(got.from, /^b-[a-z2-7]+@bounce\.ours\.example$/, 'VERP return path');
  t.same(got.to, ['gone@example.org']);

  // A tampered token is refused at RCPT.
  const { c } = await RawSmtp.open(app.services.smtpPorts!.mx!);
  await c.cmd('EHLO mx.example.org'); await c.cmd('MAIL FROM:<>');
  t.equal((await c.cmd(`RCPT TO:<${got.from.replace(/[a-z2-7]@/, (m) => (m[0] === 'a' ? 'b@' : 'a@'))}>`)).code, 550);
  c.close();

  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: app.services.smtpPorts!.mx!, secure: false, ignoreTLS: true });
  t.teardown(() => mx.close());
  const dsn = ['From: MAILER-DAEMON@mx.example.org', `To: ${got.from}`, 'Subject: Undelivered Mail Returned to Sender', 'Message-ID: <dsn-inv-42@mx.example.org>', 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
    '--b', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.org', '', 'Final-Recipient: rfc822; gone@example.org', 'Action: failed', 'Status: 5.1.1',
    'Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown', '', '--b--', ''].join('\r\n');
  await mx.sendMail({ envelope: { from: '', to: got.from }, raw: dsn });
  t.ok(await until(async () => (await json(api('/api/v1/suppressions?address=gone@example.org'))).total === 1), 'the recipient is blocked');
  t.match((await json(api('/api/v1/suppressions?address=gone@example.org'))).items[0], { reason: 'userunknown', class: 'hard' });

  await sub.sendMail({ from: 'crm@app.example', to: 'gone@example.org', subject: 'Reminder', text: 'Please pay', messageId: '<inv-43@app.example>' });
  t.ok(await until(async () => Boolean(await tdb.db.knex('outbound_queue').where({ recipient: 'gone@example.org', state: 'suppressed' }).first())), 'the next message to it is suppressed');
  await sleep(300);
  t.equal(up.received.length, 1, 'and not sent');
});
