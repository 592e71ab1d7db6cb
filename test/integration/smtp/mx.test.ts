/*
 * The MX listener over real sockets on every database: who is accepted at RCPT (bare
 * <Postmaster> too, RFC 5321 4.5.1), every open-relay probe refused, null sender, limits (SIZE, 100 recipients), SMTP smuggling
 * variants refused with nothing stored, 250 only after commit, 451 when storage fails.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import { RawSmtp } from '../../helpers/smtp-client.js';
import { makeVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';
import { inboundStoreRepo } from '../../../server/db/repos/inbound/store.js';

const SECRET = 'test-secret-0123456789abcdef';

void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, {
    tdb, roles: ['http', 'smtp'],
    overrides: { domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], smtp: { port: 0, submissionPort: 0, maxMessageBytes: 64 * 1024 } },
  });
  const port = app.services.smtpPorts!.mx!;
  await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'bounce.ours.example', kind: 'bounce' }) });
  const other = await (await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'catch.example' }) })).json() as any;
  const sink = await (await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'all@catch.example' }) })).json() as any;
  await api(`/api/v1/domains/${other.id}`, { method: 'PATCH', body: JSON.stringify({ catchAllMailboxId: sink.id }) });
  const verp = makeVerpAddress({ key: deriveKey(SECRET, 'verp'), prefix: 'b', bounceDomain: 'bounce.ours.example', id: 42 });
  const store = inboundStoreRepo(tdb.db);
  const count = async () => Number(((await tdb.db.knex('inbound_messages').count({ n: '*' })) as any)[0].n);

  async function session(from = 'sender@example.net') {
    const { c, greeting } = await RawSmtp.open(port);
    t.equal(greeting.code, 220);
    t.equal((await c.cmd('EHLO client.example')).code, 250);
    t.equal((await c.cmd(`MAIL FROM:<${from}>`)).code, 250);
    return c;
  }

  await t.test('RCPT accept/reject matrix, including open-relay probes', async (t) => {
    const c = await session('');
    const matrix: Array<[string, number, RegExp?]> = [
      ['<support@ours.example>', 250],
      ['<Support@OURS.EXAMPLE>', 250],
      ['<support+tag@ours.example>', 250],
      ['<postmaster@ours.example>', 250],
      ['<abuse@ours.example>', 250],
      ['<postmaster@bounce.ours.example>', 250],
      ['<Postmaster>', 250],
      ['<POSTMASTER>', 250],
      ['<postmaster>', 250],
      ['<anything@catch.example>', 250],
      [`<${verp}>`, 250],
      [`<${verp.toUpperCase()}>`, 250],
      ['<nobody@ours.example>', 550, /5\.1\.1/],
      [`<${verp.replace(/.@/, (m) => (m[0] === 'a' ? 'b@' : 'a@'))}>`, 550, /5\.1\.1/],
      ['<b-aaaaaaaaaaaaaaaaaaaaaa@bounce.ours.example>', 550, /5\.1\.1/],
      ['<someone@foreign.example>', 550, /5\.7\.1/],
      ['<user%foreign.example@ours.example>', 550, /5\.7\.1/],
      ['<foreign.example!user@ours.example>', 550, /5\.7\.1/],
      ['<user@[127.0.0.1]>', 550, /5\.7\.1/],
      ['<support@ours.example.evil.test>', 550, /5\.7\.1/],
      ['<support@0urs.example>', 550, /5\.7\.1/],
      ['<support@sub.ours.example>', 550, /5\.7\.1/],
    ];
    for (const [rcpt, code, re] of matrix) {
      const r = await c.cmd(`RCPT TO:${rcpt}`);
      t.equal(r.code, code, `${rcpt} → ${r.code} ${r.text}`);
      if (re) t.match(r.text, re);
    }
    // smtp-server's own parser already refuses these (501) before our policy runs: refused either way.
    for (const probe of ['<@ours.example:user@foreign.example>', '<"user@foreign.example"@ours.example>', '<abuse>']) {
      const r = await c.cmd(`RCPT TO:${probe}`);
      t.ok(r.code >= 500, `${probe} refused (${r.code} ${r.text})`);
    }
    c.close();
  });

  await t.test('a message is committed before the 250 and carries its envelope', async (t) => {
    const c = await session();
    t.equal((await c.cmd(`RCPT TO:<support@ours.example>`)).code, 250);
    t.equal((await c.cmd(`RCPT TO:<${verp}>`)).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    const body = 'From: sender@example.net\r\nTo: support@ours.example\r\nSubject: hello\r\nMessage-ID: <t1@example.net>\r\n\r\nLine one\r\n..leading dot\r\n';
    c.write(`${body}.\r\n`);
    const r = await c.reply();
    t.equal(r.code, 250);
    const id = Number(/queued as (\d+)/.exec(r.text)?.[1]);
    t.ok(id > 0, r.text);
    const row = await store.get(id);
    t.match(row, { state: 'received', mail_from: 'sender@example.net', listener: 'mx' });
    t.equal((await store.readRaw(id)).toString(), body.replace('..leading', '.leading'), 'stored exactly, dot-unstuffed');
    t.match(await store.recipients(id), [{ address: 'support@ours.example', kind: 'mailbox' }, { kind: 'verp', target_id: 42 }]);
    t.equal((await c.cmd('QUIT')).code, 221);
  });

  await t.test('<Postmaster> without a domain reaches postmaster@ of the first local domain', async (t) => {
    const c = await session();
    t.equal((await c.cmd('RCPT TO:<Postmaster>')).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    c.write('From: sender@example.net\r\nSubject: to the postmaster\r\n\r\nhello\r\n.\r\n');
    const r = await c.reply();
    t.equal(r.code, 250, r.text);
    const id = Number(/queued as (\d+)/.exec(r.text)?.[1]);
    t.match(await store.recipients(id), [{ address: 'postmaster@ours.example', kind: 'postmaster' }]);
    // With a postmaster mailbox on that domain, it is delivered there.
    const pm = await (await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'postmaster@ours.example' }) })).json() as { id: number };
    t.ok(pm.id, JSON.stringify(pm));
    t.equal((await c.cmd('MAIL FROM:<a@example.net>')).code, 250);
    t.equal((await c.cmd('RCPT TO:<postmaster>')).code, 250);
    await c.cmd('DATA');
    c.write('Subject: again\r\n\r\nhello\r\n.\r\n');
    const r2 = await c.reply();
    t.match(await store.recipients(Number(/queued as (\d+)/.exec(r2.text)?.[1])), [{ address: 'postmaster@ours.example', kind: 'mailbox', mailbox_id: pm.id }]);
    c.close();
  });

  await t.test('null sender accepted; SIZE enforced; 101st recipient refused', async (t) => {
    const c = await session('');
    t.equal((await c.cmd('RCPT TO:<support@ours.example>')).code, 250);
    t.equal((await c.cmd('DATA')).code, 354);
    c.write(`Subject: big\r\n\r\n${'x'.repeat(998)}\r\n`.repeat(80) + '.\r\n');
    const big = await c.reply();
    t.equal(big.code, 552, big.text);
    t.match(big.text, /5\.3\.4/);
    c.close();
    const { c: c2 } = await RawSmtp.open(port);
    await c2.cmd('EHLO x');
    t.equal((await c2.cmd(`MAIL FROM:<a@example.net> SIZE=${1024 * 1024}`)).code, 552, 'declared SIZE too big');
    c2.close();
    const c3 = await session();
    for (let i = 0; i < 100; i++) if ((await c3.cmd(`RCPT TO:<r${i}@catch.example>`)).code !== 250) t.fail(`rcpt ${i}`);
    const r101 = await c3.cmd('RCPT TO:<r101@catch.example>');
    t.equal(r101.code, 452);
    t.match(r101.text, /4\.5\.3/);
    c3.close();
  });

  await t.test('SMTP smuggling: bare LF / CR never end DATA, and such data is refused', async (t) => {
    const variants = ['\n.\n', '\r.\r', '\r\n.\n', '\n.\r\n', '\r.\r\n', '\r\n.\r', '\n..\n', '\r\n\n.\r\n'];
    for (const v of variants) {
      const before = await count();
      const c = await session();
      await c.cmd('RCPT TO:<support@ours.example>');
      t.equal((await c.cmd('DATA')).code, 354);
      c.write(`Subject: smuggle\r\n\r\nfirst${v}MAIL FROM:<evil@example.net>\r\nRCPT TO:<support@ours.example>\r\nDATA\r\nSubject: smuggled\r\n\r\nsecond\r\n.\r\n`);
      const r = await c.reply();
      t.equal(r.code, 550, `${JSON.stringify(v)} → ${r.code} ${r.text}`);
      t.match(r.text, /5\.5\.2/);
      t.equal(await count(), before, `${JSON.stringify(v)}: nothing stored`);
      c.close();
    }
    // Only the real CRLF.CRLF ends DATA: with it, exactly one message.
    const before = await count();
    const c = await session();
    await c.cmd('RCPT TO:<support@ours.example>');
    await c.cmd('DATA');
    c.write('Subject: ok\r\n\r\nbody\r\n.\r\n');
    t.equal((await c.reply()).code, 250);
    t.equal(await count(), before + 1);
    c.close();
  });

  await t.test('a storage failure answers 451 4.3.0 and stores nothing', async (t) => {
    await tdb.db.knex.schema.renameTable('inbound_raw', 'inbound_raw_gone');
    const before = await count();
    const c = await session();
    await c.cmd('RCPT TO:<support@ours.example>');
    await c.cmd('DATA');
    c.write('Subject: x\r\n\r\nbody\r\n.\r\n');
    const r = await c.reply();
    t.equal(r.code, 451);
    t.match(r.text, /4\.3\.0/);
    await tdb.db.knex.schema.renameTable('inbound_raw_gone', 'inbound_raw');
    t.equal(await count(), before, 'no half-stored message row');
    c.close();
  });

  await t.test('STARTTLS is offered, AUTH is not', async (t) => {
    const { c } = await RawSmtp.open(port);
    const ehlo = await c.cmd('EHLO x');
    t.match(ehlo.text, /STARTTLS/);
    t.match(ehlo.text, /SIZE 65536/);
    t.notMatch(ehlo.text, /AUTH/);
    c.close();
  });
});
