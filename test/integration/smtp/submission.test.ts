/*
 * The submission port over real sockets on every database: AUTH required before MAIL,
 * wrong secrets refused, senders and header From limited to the credential's domains,
 * a per-credential rate, and accepted mail stored for relay.
 */
import t from 'tap';
import nodemailer from 'nodemailer';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { UiClient } from '../../helpers/session.js';
import { inboundStoreRepo } from '../../../server/db/repos/inboundStore.js';

void eachDb(t, async (t, tdb) => {
  const { app, api, url } = await startTestApp(t, { tdb, roles: ['http', 'smtp'] });
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

  await t.test('a foreign envelope sender or header From: 553 5.7.1', async (t) => {
    const tr = mk();
    t.equal(await failCode(tr.sendMail({ from: 'a@evil.example', to: 'x@example.org', subject: 's', text: 't' })), 553);
    t.equal(await failCode(tr.sendMail({ envelope: { from: 'a@app.example', to: 'x@example.org' }, from: 'ceo@bank.example', to: 'x@example.org', subject: 's', text: 't' })), 553);
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
