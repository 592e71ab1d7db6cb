/*
 * Outbound attachment names keep their characters: a composed message with a non-ASCII
 * file name goes through the real worker to the sandbox account, and the MIME it sent
 * names the file exactly as given; the queue page offers it with RFC 6266 filename*.
 */
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NAME = 'Übersicht – 日本 «Q1».pdf';

t.test('non-ASCII attachment names survive compose, MIME and download', async (t) => {
  const { api, url, tdb } = await startTestApp(t, { roles: ['http', 'worker'], overrides: { worker: { pollMs: 50, leaseMs: 5000, batchSize: 10 } } });
  const k = tdb.db.knex;
  const now = Date.now();
  const [acct] = await k('upstream_accounts').insert({ name: 'sandbox', kind: 'sandbox', allowed_from: '[]', active: true, created_at: now, updated_at: now });
  const res = await api('/api/v1/messages', { method: 'POST', body: JSON.stringify({ accountId: Number(acct), from: 'x@ours.example', to: 'a@example.com', subject: 'Report', text: 'attached',
    attachments: [{ filename: NAME, contentType: 'application/pdf', contentBase64: Buffer.from('pdf!').toString('base64') }] }) });
  t.equal(res.status, 202);
  let items: Array<{ id: number }> = [];
  for (let i = 0; i < 200 && !items.length; i++) { items = ((await (await api('/api/v1/sandbox')).json()) as { items: Array<{ id: number }> }).items; if (!items.length) await sleep(50); }
  t.equal(items.length, 1, 'the worker delivered it to the sandbox');
  const raw = Buffer.from(await (await api(`/api/v1/sandbox/${items[0]!.id}/raw`)).arrayBuffer());
  const parsed = await simpleParser(raw);
  t.equal(parsed.attachments[0]?.filename, NAME, 'the MIME names the file with all its characters');
  t.notOk(/[^\x00-\x7f]/.test(raw.toString('latin1')), 'encoded (RFC 2231 / 2047), not raw 8-bit');

  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const qid = Number((await k('outbound_queue').where({ recipient: 'a@example.com' }).first()).id);
  const page = await ui.get(`/admin/queue/${qid}`);
  const href = /href="(\/admin\/queue\/\d+\/attachments\/\d+)"/.exec(page.html)?.[1];
  t.ok(href, 'the queue row links its attachment');
  const dl = await ui.get(href!);
  t.equal(dl.res.status, 200);
  t.equal(dl.res.headers.get('content-disposition'), `attachment; filename="_bersicht _ __ _Q1_.pdf"; filename*=UTF-8''${encodeURIComponent(NAME)}`);
});
