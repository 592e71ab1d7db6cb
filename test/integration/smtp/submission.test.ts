/*
 * The submission port over real sockets on every database: AUTH required before MAIL,
 * wrong secrets refused (with a growing delay, then 421 and close), senders and header
 * From/Sender limited to the credential's domains (one From, one Sender at most, today's
 * syntax), a Date added when missing, a per-credential rate, and accepted mail stored for relay.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { UiClient } from '../../helpers/session.js';
import { inboundStoreRepo } from '../../../server/db/repos/inbound/store.js';

void eachDb(t, async (t, tdb) => {
  const DELAY = 40;
  const { app, api, url } = await startTestApp(t, { tdb, roles: ['http', 'smtp'], overrides: { smtp: { port: 0, submissionPort: 0, authFailureDelayMs: DELAY, authMaxFailures: 5 } } });
  const port = app.services.smtpPorts!.submission!;
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const bad = await api('/api/v1/smtp-credentials', { method: 'POST', body: JSON.stringify({ name: 'x', allowedSenders: ['not a domain'] }) });
  t.equal(bad.status, 400);
  const cred = await json(api('/api/v1/smtp-credentials', { method: 'POST', body: JSON.stringify({ name: 'crm', allowedSenders: ['app.example', 'ceo@other.example'], ratePerMinute: 3 }) }));
  t.match(cred, { username: /^app-/, password: /.{20,}/ });
  const failCode = async (p: Promise<unknown>) => ((await p.then(() => null, (e: unknown) => e)) as { responseCode?: number } | null)?.responseCode;
  const mk = (user = cred.username, pass = cred.password) => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, auth: { user, pass } });

  await t.test('no AUTH: MAIL refused with 530', async (t) => {
    const { c } = await RawSmtp.open(port);
    const ehlo = await c.cmd('EHLO x');
    t.match(ehlo.text, /AUTH PLAIN LOGIN/);
    const r = await c.cmd('MAIL FROM:<a@app.example>');
    t.equal(r.code, 530);
    c.close();
  });

  await t.test('wrong secret or unknown user: 535', async (t) => {
    const tr = mk(cred.username, 'wrong');
    t.equal(await failCode(tr.sendMail({ from: 'a@app.example', to: 'x@example.org', subject: 's', text: 't' })), 535);
    tr.close();
  });

  await t.test('a foreign envelope sender (553 5.7.1) or header From (550 5.7.1)', async (t) => {
    const tr = mk();
    t.equal(await failCode(tr.sendMail({ from: 'a@evil.example', to: 'x@example.org', subject: 's', text: 't' })), 553);
    t.equal(await failCode(tr.sendMail({ envelope: { from: 'a@app.example', to: 'x@example.org' }, from: 'ceo@bank.example', to: 'x@example.org', subject: 's', text: 't' })), 550);
    t.equal(await failCode(tr.sendMail({ from: 'someone@other.example', to: 'x@example.org', subject: 's', text: 't' })), 553, 'only the listed address of other.example');
    tr.close();
  });

  await t.test('accepted mail is stored for relay, then the rate limit answers 451', async (t) => {
    const tr = mk();
    // The rate counts MAIL transactions: the two refused by header From above counted too.
    const info = await tr.sendMail({ from: 'ceo@other.example', to: ['x@example.org', 'y@example.net'], subject: 'report', text: 'hello' }).catch((e) => e);
    if (info instanceof Error) {
      t.match(info, { responseCode: 451 }, 'rate already spent by the refused attempts');
    } else {
      const id = Number(/queued as (\d+)/.exec(info.response)?.[1]);
      const row = await inboundStoreRepo(tdb.db).get(id);
      t.match(row, { listener: 'submission', credential_id: cred.id, state: 'received' });
      t.match(await inboundStoreRepo(tdb.db).recipients(id), [{ address: 'x@example.org', kind: 'relay' }, { address: 'y@example.net', kind: 'relay' }]);
    }
    let limited = false;
    for (let i = 0; i < 5 && !limited; i++) {
      const r = await tr.sendMail({ from: 'a@app.example', to: 'x@example.org', subject: `n${i}`, text: 't' }).catch((e) => e);
      if (r instanceof Error) { t.match(r, { responseCode: 451 }); limited = true; }
    }
    t.ok(limited, 'the 4th message in a minute is refused for now');
    tr.close();
  });

  await t.test('header From/Sender: exactly one From, at most one Sender, modern syntax, allowed; a Date is added', async (t) => {
    const c2 = await json(api('/api/v1/smtp-credentials', { method: 'POST', body: JSON.stringify({ name: 'hdr', allowedSenders: ['example.test'], ratePerMinute: 1000 }) }));
    const plain = Buffer.from(`\0${c2.username}\0${c2.password}`).toString('base64');
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO app.example.test');
    t.equal((await c.cmd(`AUTH PLAIN ${plain}`)).code, 235);
    const send = async (head: string) => {
      t.equal((await c.cmd('MAIL FROM:<a@example.test>')).code, 250);
      t.equal((await c.cmd('RCPT TO:<x@example.org>')).code, 250);
      t.equal((await c.cmd('DATA')).code, 354);
      c.write(`${head}\r\nSubject: s\r\n\r\nbody\r\n.\r\n`);
      return c.reply();
    };
    const refused: Array<[string, RegExp]> = [
      ['From: a@example.test\r\nFrom: ceo@bank.test', /^5\.6\.0 .*2 From/],
      ['From: a@example.test\r\nSender: a@example.test\r\nSender: b@example.test', /^5\.6\.0 .*2 Sender/],
      ['From: a@example.test\r\nFrom : ceo@bank.test', /^5\.6\.0/],
      ['From : a@example.test', /^5\.6\.0 .*obsolete/],
      ['From: <@bank.test:a@example.test>', /^5\.6\.0 .*route/],
      ['From: a@example.test\r\nX-Not-A-Header\r\nFrom: ceo@bank.test', /^5\.6\.0 .*Malformed header section/],
      ['To: x@example.org', /^5\.6\.0 .*no From/],
      ['From: a@example.test\r\nSender: ceo@bank.test', /^5\.7\.1 .*Sender ceo@bank\.test/],
      ['From: "ceo@bank.test" <a@example.test>', /^5\.7\.1 .*ceo@bank\.test/],
    ];
    for (const [head, re] of refused) {
      const r = await send(head);
      t.equal(r.code, 550, `${JSON.stringify(head)} → ${r.code} ${r.text}`);
      t.match(r.text, re);
    }
    const store = inboundStoreRepo(tdb.db);
    const ok = await send('From: "A" <a@example.test>\r\nSender: b@example.test');
    t.equal(ok.code, 250, ok.text);
    const raw = (await store.readRaw(Number(/queued as (\d+)/.exec(ok.text)?.[1]))).toString();
    t.match(raw, /^Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\nFrom: "A" <a@example.test>\r\n/, 'a Date is added in front');
    const dated = await send('From: a@example.test\r\nDate: Mon, 01 Jan 2024 00:00:00 +0000');
    t.equal(dated.code, 250, dated.text);
    const raw2 = (await store.readRaw(Number(/queued as (\d+)/.exec(dated.text)?.[1]))).toString();
    t.equal(raw2.match(/^Date:/gm)?.length, 1, 'an existing Date is kept, none added');
    t.match(raw2, /^From: a@example\.test\r\nDate: Mon, 01 Jan 2024/);
    c.close();
  });

  await t.test('wrong AUTH on one connection: a growing delay before each 535, then 421 and close', async (t) => {
    const bad = Buffer.from(`\0${cred.username}\0wrong`).toString('base64');
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO x');
    const replies: Array<{ code: number; ms: number; text: string }> = [];
    for (let i = 0; i < 25; i++) {
      const t0 = Date.now();
      const r = await c.cmd(`AUTH PLAIN ${bad}`).catch(() => null);
      if (!r) break;
      replies.push({ code: r.code, ms: Date.now() - t0, text: r.text });
      if (r.code === 421) break;
    }
    t.same(replies.map((r) => r.code), [535, 535, 535, 535, 421], 'four 535s, then 421 instead of a fifth');
    t.match(replies[4]!.text, /^4\.7\.0 /);
    for (let i = 1; i < replies.length; i++) t.ok(replies[i]!.ms >= DELAY * 2 ** (i - 1) * 0.9, `attempt ${i + 1} waited ${replies[i]!.ms} ms`);
    await c.closed;
    t.pass('the server closed the connection');

    // The address's failures carry over to its next connection: it waits the longest delay
    // even before a right secret (which then works and clears the address's count).
    const { c: c2 } = await RawSmtp.open(port);
    await c2.cmd('EHLO x');
    const t0 = Date.now();
    const good = Buffer.from(`\0${cred.username}\0${cred.password}`).toString('base64');
    t.equal((await c2.cmd(`AUTH PLAIN ${good}`)).code, 235, 'the real app is slowed down, not locked out');
    t.ok(Date.now() - t0 >= DELAY * 16 * 0.9, `waited ${Date.now() - t0} ms`);
    c2.close();
    const { c: c3 } = await RawSmtp.open(port);
    await c3.cmd('EHLO x');
    const t1 = Date.now();
    t.equal((await c3.cmd(`AUTH PLAIN ${bad}`)).code, 535);
    t.ok(Date.now() - t1 < DELAY * 4, 'a success cleared the address');
    c3.close();
  });

  await t.test('a fresh credential relays and revoked ones stop working; UI shows the secret once', async (t) => {
    const ui = new UiClient(url);
    await ui.login('admin', ADMIN_PASSWORD);
    const created = await ui.submit('/admin/credentials', '/admin/credentials', { name: 'web', allowedSenders: 'web.example', ratePerMinute: '100' });
    t.equal(created.res.status, 200);
    const user = /<code class="user">([^<]+)</.exec(created.html)?.[1];
    const pass = /<code class="key">([^<]+)</.exec(created.html)?.[1];
    t.ok(user && pass, 'shown once');
    const tr = mk(user, pass);
    const info = await tr.sendMail({ from: 'noreply@web.example', to: 'z@example.org', subject: 'hi', text: 'x' });
    t.match(info.response, /^250 .*queued as \d+/);
    const list = await json(api('/api/v1/smtp-credentials?q=web'));
    t.equal((await api(`/api/v1/smtp-credentials/${list.items[0].id}`, { method: 'DELETE' })).status, 204);
    t.equal(await failCode(tr.sendMail({ from: 'noreply@web.example', to: 'z@example.org', subject: 'hi', text: 'x' })), 535);
    tr.close();
    const form = await ui.submit('/admin/credentials', '/admin/credentials', { name: 'x', allowedSenders: '' });
    t.equal(form.res.status, 400);
    t.match(form.html, /id="err-allowedSenders"/);
  });
});
