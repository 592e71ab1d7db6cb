/*
 * Inbound end to end over SMTP on every database: a DSN delivered to a VERP address blocks
 * the hard-bounced recipient; a tampered VERP token is refused at RCPT; an auto-reply and
 * a delivery notice change nothing; a feedback report suppresses the complainer; the
 * stable Message-ID lookup; raw download; unparseable mail kept as failed; resume after a
 * failing step without redoing finished ones.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { makeVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';
import { FIXTURES } from '../../helpers/bounce-fixtures.js';
import { inboundDone } from '../../helpers/inbound.js';

const SECRET = 'test-secret-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void eachDb(t, async (t, tdb) => {
  // A feature's routing hook, declared as any feature declares one: fails once for one message.
  let fail = true;
  const flakyFeature: Feature = {
    name: 'flaky-crm',
    hooks: () => [{
      name: 'flaky', when: (c) => (c.fields.message_id ?? c.msg.message_id) === 'resume-1@example.net',
      async run() { if (fail) { fail = false; throw new Error('crm down'); } return 'linked'; },
    }],
  };
  const { app, api } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp', 'worker'], features: [...FEATURES, flakyFeature],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } },
  });
  const port = app.services.smtpPorts!.mx!;
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  const k = tdb.db.knex;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
  t.teardown(() => transport.close());

  async function sentRow(recipient: string) {
    const now = Date.now();
    const [mid] = await k('outbound_messages').insert({ source: 'single', from_addr: 'news@ours.example', subject: 'News', created_at: now, updated_at: now });
    const [qid] = await k('outbound_queue').insert({ message_id: mid, source: 'single', recipient, unique_key: `t:${recipient}:${now}`, state: 'sent', smtp_message_id: `<q-${now}@ours.example>`, created_at: now, updated_at: now });
    return { id: Number(qid), verp: makeVerpAddress({ key: deriveKey(SECRET, 'verp'), prefix: 'b', bounceDomain: 'bounce.ours.example', id: Number(qid) }) };
  }
  const processed = (mid: string) => inboundDone(api, mid);
  const blocked = async (a: string) => (await json(api(`/api/v1/suppressions?address=${a}`))).total as number;
  const dsnFor = (rcpt: string, mid: string) => ['From: MAILER-DAEMON@mx.example.net', 'To: bounce', 'Subject: Undelivered Mail Returned to Sender', `Message-ID: <${mid}>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '', '--b1', 'Content-Type: message/delivery-status', '',
    'Reporting-MTA: dns; mx.example.net', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed', 'Status: 5.1.1', `Diagnostic-Code: smtp; 550 5.1.1 <${rcpt}>: User unknown`, '', '--b1--', ''].join('\r\n');

  await t.test('a DSN to the VERP address blocks the recipient', async (t) => {
    const row = await sentRow('Gone@Example.org');
    await transport.sendMail({ envelope: { from: '', to: row.verp }, raw: dsnFor('gone@example.org', 'dsn-1@mx.example.net') });
    const m = await processed('dsn-1@mx.example.net');
    t.match(m, { state: 'processed', kind: 'bounce', listener: 'mx', mailFrom: '' });
    const detail = await json(api(`/api/v1/inbound/${m.id}`));
    t.same(detail.steps.map((x: any) => [x.step, x.status]), [['parse', 'ok'], ['authenticate', 'ok'], ['detect', 'ok'], ['bounce', 'ok'], ['route', 'skipped']]);
    t.match(detail.recipients, [{ kind: 'verp', targetId: row.id }]);
    t.equal(await blocked('gone@example.org'), 1);
    const s = (await json(api('/api/v1/suppressions?address=gone@example.org'))).items[0];
    t.match(s, { reason: 'userunknown', class: 'hard', lastInboundId: m.id, lastQueueId: row.id });
    const raw = await api(`/api/v1/inbound/${m.id}/raw`);
    t.equal(raw.headers.get('content-type'), 'message/rfc822');
    t.match(await raw.text(), /Final-Recipient: rfc822; gone@example.org/);
  });

  await t.test('a tampered VERP token is refused at RCPT and changes nothing', async (t) => {
    const row = await sentRow('victim@example.org');
    const tampered = row.verp.replace(/(.)@/, (_m, c: string) => `${c === 'a' ? 'b' : 'a'}@`);
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO x');
    await c.cmd('MAIL FROM:<>');
    const r = await c.cmd(`RCPT TO:<${tampered}>`);
    t.equal(r.code, 550);
    c.close();
    t.equal(await blocked('victim@example.org'), 0);
  });

  await t.test('an auto-reply to a VERP address changes nothing', async (t) => {
    const row = await sentRow('lee@host.example.org');
    const before = await k('suppressions').count({ n: '*' });
    await transport.sendMail({ envelope: { from: 'lee@host.example.org', to: row.verp }, raw: readFileSync(join(FIXTURES, 'nonbounce', '0003.eml')).toString().replace(/\r?\n/g, '\r\n') });
    const m = await processed('202503121029.vacation@host.example.org');
    t.equal(m.kind, 'auto-reply');
    t.same(await k('suppressions').count({ n: '*' }), before, 'no address state changed');
    t.equal((await k('bounce_events').where({ queue_id: row.id })).length, 0);
  });

  await t.test('a feedback report suppresses the complainer', async (t) => {
    const row = await sentRow('kijitora@example.com');
    const arf = readFileSync(join(FIXTURES, 'nonbounce', '0008.eml')).toString().replace(/\r?\n/g, '\r\n');
    const mid = /^Message-I[Dd]:\s*<([^>]+)>/m.exec(arf)![1]!;
    await transport.sendMail({ envelope: { from: '', to: row.verp }, raw: arf });
    const m = await processed(mid);
    t.equal(m.kind, 'complaint');
    t.match((await json(api('/api/v1/suppressions?address=kijitora@example.com'))).items[0], { blocked: true, reason: 'feedback' });
  });

  await t.test('unparseable mail is kept as failed with its error', async (t) => {
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO x'); await c.cmd('MAIL FROM:<a@example.net>'); await c.cmd('RCPT TO:<support@ours.example>'); await c.cmd('DATA');
    c.write('\r\njust a body with no headers\r\n.\r\n');
    const r = await c.reply();
    t.equal(r.code, 250);
    const id = Number(/queued as (\d+)/.exec(r.text)![1]);
    c.close();
    let row: any;
    for (let i = 0; i < 100; i++) { row = await json(api(`/api/v1/inbound/${id}`)); if (row.state !== 'received' && row.state !== 'processing') break; await sleep(50); }
    t.match(row, { state: 'failed', parseError: /no message headers/ });
    t.equal((await json(api('/api/v1/inbound?state=failed'))).total, 1, 'listed, never dropped');
  });

  await t.test('a failing step is retried; finished steps are not run again; reprocess starts over', async (t) => {
    await transport.sendMail({ from: 'a@example.net', to: 'support@ours.example', subject: 'hello', text: 'hi', messageId: '<resume-1@example.net>' });
    let m: any;
    for (let i = 0; i < 40; i++) { m = (await json(api('/api/v1/inbound?messageId=resume-1@example.net'))).items[0]; if (m?.attempts >= 1) break; await sleep(50); }
    t.equal(m.state, 'received', 'waiting for its retry');
    const firstParse = (await json(api(`/api/v1/inbound/${m.id}`))).steps.find((x: any) => x.step === 'parse').at;
    await k('inbound_messages').where({ id: m.id }).update({ run_at: 0 }); // skip the backoff
    const done = await processed('resume-1@example.net');
    const steps = (await json(api(`/api/v1/inbound/${done.id}`))).steps;
    t.equal(steps.find((x: any) => x.step === 'parse').at, firstParse, 'parse was not redone');
    t.match(steps.find((x: any) => x.step === 'route'), { status: 'ok', result: { flaky: 'linked' } });
    const rp = await api(`/api/v1/inbound/${done.id}/reprocess`, { method: 'POST' });
    t.equal(rp.status, 202);
    const again = await processed('resume-1@example.net');
    t.equal(again.state, 'processed');
    t.not((await json(api(`/api/v1/inbound/${done.id}`))).steps.find((x: any) => x.step === 'parse').at, firstParse, 'reprocess ran parse again');
  });
});
