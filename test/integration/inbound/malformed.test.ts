/*
 * A corpus of malformed and hostile MIME, made here, goes through SMTP and the pipeline:
 * every message is stored, ends processed or failed within a time bound, and the worker
 * keeps working afterwards. The detail page, HTML frame and attachment links of each
 * render or say why not (which MIME limit), never a 500.
 */
import t from 'tap';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CRLF = (s: string) => s.replace(/\r?\n/g, '\r\n');

const corpus: Record<string, string> = {
  'unterminated boundary': 'Subject: a\nContent-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain\n\nno closing boundary\n',
  'bad base64': 'Subject: b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!not*base64***\n',
  '8-bit headers': 'Subject: Grüße aus Köln\nFrom: Jörg <j@example.net>\n\nbody\n',
  'nested rfc822': 'Subject: c\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Type: message/rfc822\n\nSubject: innermost\n\nhi\n',
  'huge header': `Subject: d\nX-Long: ${'a'.repeat(200_000)}\n\nbody\n`,
  '2000-deep nesting': ['Subject: e', 'Content-Type: multipart/mixed; boundary="b0"', '', ...Array.from({ length: 2000 }, (_, i) => `--b${i}\nContent-Type: multipart/mixed; boundary="b${i + 1}"\n`)].join('\n'),
  '60000 parts': ['Subject: f', 'Content-Type: multipart/mixed; boundary="m"', '', ...Array.from({ length: 60_000 }, () => '--m\nContent-Type: text/plain\n\nx'), '--m--', ''].join('\n'),
  'zip-bomb-like zeros': `Subject: g\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${Buffer.alloc(3 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\n')}\n`,
  'no header/body separator': 'Subject: h',
  'binary garbage headers': 'Su\u0001bject: \u0002\u0003\n\n\u0000body\n',
};

t.test('malformed corpus through SMTP and the pipeline', async (t) => {
  const { app, api, url } = await startTestApp(t, { roles: ['http', 'smtp', 'worker'], overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'S' }], worker: { pollMs: 50, leaseMs: 30_000, batchSize: 5 } } });
  app.services.inboundPipeline.resolver = async () => { throw Object.assign(new Error('no dns'), { code: 'ENOTFOUND' }); };
  const port = app.services.smtpPorts!.mx!;
  const ids: Record<string, number> = {};
  for (const [name, msg] of Object.entries(corpus)) {
    const { c } = await RawSmtp.open(port);
    await c.cmd('EHLO x'); await c.cmd('MAIL FROM:<a@example.net>'); await c.cmd('RCPT TO:<support@ours.example>'); await c.cmd('DATA');
    // Dot-stuff like any client must.
    c.write(`${CRLF(msg).replace(/^\./gm, '..')}\r\n.\r\n`);
    const r = await c.reply(30_000);
    t.equal(r.code, 250, `${name} stored (${r.text})`);
    ids[name] = Number(/queued as (\d+)/.exec(r.text)?.[1]);
    c.close();
  }
  const start = Date.now();
  let rows: Array<{ id: number; state: string; parseError: string | null }> = [];
  while (Date.now() - start < 60_000) {
    rows = ((await (await api('/api/v1/inbound?perPage=100')).json()) as { items: typeof rows }).items;
    if (rows.length === Object.keys(corpus).length && rows.every((m) => m.state === 'processed' || m.state === 'failed')) break;
    await sleep(100);
  }
  for (const [name, id] of Object.entries(ids)) {
    const m = rows.find((x) => x.id === id);
    t.ok(m && (m.state === 'processed' || m.state === 'failed'), `${name}: ${m?.state} ${m?.parseError ?? ''}`);
  }
  t.ok(Date.now() - start < 60_000, `all done in ${Date.now() - start} ms`);
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  for (const [name, id] of Object.entries(ids)) {
    const t0 = Date.now();
    const page = await ui.get(`/admin/inbound/${id}`);
    t.equal(page.res.status, 200, `${name} detail page`);
    t.ok(Date.now() - t0 < 10_000, `${name} page in ${Date.now() - t0} ms`);
  }
  t.match((await ui.get(`/admin/inbound/${ids['60000 parts']}`)).html, /more than 500 MIME parts/);
  // The HTML frame and attachment links of a message past the MIME limits say which limit, never a 500.
  for (const [name, id] of Object.entries(ids)) t.equal((await ui.get(`/admin/inbound/${id}/body`)).res.status, 200, `${name} body frame`);
  const frame = await ui.get(`/admin/inbound/${ids['60000 parts']}/body`);
  t.match(frame.html, /cannot be shown: more than 500 MIME parts/);
  t.match(frame.res.headers.get('content-security-policy'), /default-src 'none'/, 'under the same deny-all CSP');
  t.match((await ui.get(`/admin/inbound/${ids['2000-deep nesting']}/body`)).html, /cannot be shown: MIME parts nested more than 20 deep/);
  const att = await ui.get(`/admin/inbound/${ids['60000 parts']}/attachments/0`);
  t.equal(att.res.status, 400);
  t.match(att.html, /more than 500 MIME parts/);
});
