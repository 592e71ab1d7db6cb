/*
 * Hostile names and headers through real SMTP and the pipeline, then the admin UI: a
 * non-ASCII attachment name downloads with RFC 6266 filename*, bidi overrides and NULs are
 * never shown raw, a lone "." first line gives a message without headers, and an encoded
 * display name that looks like an address is not taken as the sender.
 */
import t from 'tap';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');
const RLO = '\u202E';

const messages: Record<string, string> = {
  names: [
    'From: Sender <sender@example.net>', 'Subject: =?utf-8?q?invoice=E2=80=AEfdp=2Eexe?=', 'Message-ID: <names@example.net>',
    'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'see attached',
    '--b', 'Content-Type: application/pdf', "Content-Disposition: attachment; filename*=UTF-8''%C3%9Cbersicht%20%E6%97%A5%E6%9C%AC.pdf", 'Content-Transfer-Encoding: base64', '', Buffer.from('pdf!').toString('base64'),
    '--b', 'Content-Type: application/octet-stream', "Content-Disposition: attachment; filename*=UTF-8''evil%E2%80%AEfdp%00.exe", 'Content-Transfer-Encoding: base64', '', Buffer.from('exe!').toString('base64'),
    '--b--', '',
  ].join('\n'),
  // A client sends "..": the server unstuffs it to a lone "." first line.
  'lone dot': '.\nFrom: ceo@bank.test\nSubject: Wire the money now\nMessage-ID: <fake@bank.test>\n\nbody\n',
  'encoded from': 'From: =?utf-8?q?ceo=40bank=2Etest?= <evil@x.test>\nSubject: Encoded from\nMessage-ID: <encoded@x.test>\n\nhello\n',
};

t.test('hostile names and header sections', async (t) => {
  const { app, api, url } = await startTestApp(t, { roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'S' }], worker: { pollMs: 50, leaseMs: 30_000, batchSize: 5 } } });
  app.services.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
  const ids: Record<string, number> = {};
  for (const [name, msg] of Object.entries(messages)) {
    const { c } = await RawSmtp.open(app.services.smtpPorts!.mx!);
    await c.cmd('EHLO x'); await c.cmd('MAIL FROM:<bounces@example.net>'); await c.cmd('RCPT TO:<support@ours.example>'); await c.cmd('DATA');
    c.write(`${CRLF(msg).replace(/^\./gm, '..')}\r\n.\r\n`);
    const r = await c.reply(30_000);
    t.equal(r.code, 250, `${name} stored`);
    ids[name] = Number(/queued as (\d+)/.exec(r.text)?.[1]);
    c.close();
  }
  type Row = { id: number; state: string; subject: string | null; fromAddr: string | null; messageId: string | null; parseError: string | null };
  let rows: Row[] = [];
  for (let i = 0; i < 300; i++) {
    rows = ((await (await api('/api/v1/inbound?perPage=100')).json()) as { items: Row[] }).items;
    if (rows.length === 3 && rows.every((m) => m.state === 'processed' || m.state === 'failed')) break;
    await sleep(50);
  }
  const row = (name: string) => rows.find((m) => m.id === ids[name])!;
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);

  await t.test('a non-ASCII attachment name downloads with filename*', async (t) => {
    const detail = await ui.get(`/admin/inbound/${ids.names}`);
    t.equal(detail.res.status, 200);
    t.match(detail.html, 'Übersicht 日本.pdf', 'the name is shown with its characters');
    const att = await ui.get(`/admin/inbound/${ids.names}/attachments/0`);
    t.equal(att.res.status, 200);
    t.equal(att.res.headers.get('content-disposition'), `attachment; filename="_bersicht __.pdf"; filename*=UTF-8''%C3%9Cbersicht%20%E6%97%A5%E6%9C%AC.pdf`);
    t.equal(att.html, 'pdf!');
  });

  await t.test('bidi overrides and NULs are never shown raw', async (t) => {
    const list = await ui.get('/admin/inbound');
    const detail = await ui.get(`/admin/inbound/${ids.names}`);
    for (const [what, html] of [['list', list.html], ['detail', detail.html]] as const) {
      t.notOk(html.includes(RLO), `${what}: no U+202E`)
      t.notOk(html.includes('\0'), `${what}: no NUL`);
    }
    t.match(list.html, 'invoice\ufffdfdp.exe', 'the subject shows where the override was');
    t.match(detail.html, /<title>invoice\ufffdfdp.exe/);
    t.match(detail.html, 'evil\ufffdfdp\ufffd.exe', 'the attachment name too');
    const att = await ui.get(`/admin/inbound/${ids.names}/attachments/1`);
    t.equal(att.res.status, 200);
    t.equal(att.res.headers.get('content-disposition'), 'attachment; filename="evil_fdp_.exe"');
  });

  await t.test('a lone "." first line: the message has no headers', async (t) => {
    const m = row('lone dot');
    t.equal(m.subject, null, 'no subject borrowed from the body');
    t.equal(m.fromAddr, null, 'no sender borrowed from the body');
    t.equal(m.messageId, null);
    t.equal(m.state, 'failed');
    t.equal(m.parseError, 'no message headers');
    const list = await ui.get('/admin/inbound');
    t.notMatch(list.html, 'Wire the money now');
    t.notMatch(list.html, 'ceo@bank.test');
    const detail = await ui.get(`/admin/inbound/${ids['lone dot']}`);
    t.equal(detail.res.status, 200);
    t.notMatch(detail.html, /<title>Wire/, 'the page is not titled with it');
    t.notMatch(detail.html, /<th scope="row">(from|subject)<\/th>/i, 'no From or Subject header listed');
    t.match(detail.html, /<pre class="mail-text">\.\nFrom: ceo@bank.test/, 'it is all body text');
  });

  await t.test('an encoded display name that looks like an address is not the sender', async (t) => {
    t.equal(row('encoded from').fromAddr, 'evil@x.test');
    t.equal(((await (await api('/api/v1/inbound?sender=evil@x.test')).json()) as { total: number }).total, 1);
    t.equal(((await (await api('/api/v1/inbound?sender=ceo@bank.test')).json()) as { total: number }).total, 0);
  });
});
