/*
 * Single-email compose over the API on every database: queue rows per To/CC/BCC, the
 * idempotency key, From allowed by the account, CR/LF refused, text from HTML, templates
 * (insert and default), scheduled send, attachments, preview with escaped placeholders,
 * message types as labels (default per account).
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';

void eachDb(t, async (t, tdb) => {
  const { app, api } = await startTestApp(t, { tdb });
  const k = tdb.db.knex;
  const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();
  const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });
  const now = Date.now();
  const [typeId] = await k('message_types').insert({ name: 'transactional-t', description: '', created_at: now, updated_at: now });
  const [acct] = await k('upstream_accounts').insert({
    name: 'compose-test', kind: 'sandbox', allowed_from: JSON.stringify(['ours.example', 'boss@other.example']), from_name: 'Ours',
    message_type_id: typeId, active: true, is_default: false, created_at: now, updated_at: now,
  });
  const accountId = Number(acct);
  const base = { accountId, from: 'news@ours.example' };
  const rowsOf = (messageId: number) => k('outbound_queue').where({ message_id: messageId }).orderBy('id');

  await t.test('one queue row per To/CC/BCC recipient; the idempotency key holds on a repeat', async (t) => {
    const body = { ...base, to: ['a@example.com', 'B Person <b@example.org>'], cc: 'c@example.net', bcc: ['d@example.com'], subject: 'Hello', html: '<p>Hi</p>', idempotencyKey: 'order-1' };
    const res = await post('/api/v1/messages', body);
    t.equal(res.status, 202);
    const r = await json(res);
    t.match(r, { queued: 4, suppressed: 0, duplicates: 0 });
    const rows = await rowsOf(r.messageId);
    t.same(rows.map((x: any) => [x.recipient, x.rcpt_kind, x.state, x.source]), [
      ['a@example.com', 'to', 'queued', 'single'], ['b@example.org', 'to', 'queued', 'single'],
      ['c@example.net', 'cc', 'queued', 'single'], ['d@example.com', 'bcc', 'queued', 'single']]);
    t.ok(rows.every((x: any) => Number(x.account_id) === accountId && Number(x.message_type_id) === Number(typeId)), 'account and its default message type on every row');
    const again = await json(post('/api/v1/messages', body));
    t.match(again, { queued: 0, duplicates: 4 });
    t.equal(again.messageId, r.messageId, 'the same message');
    t.equal(Number((await k('outbound_queue').where('recipient', 'like', '_@example.%').whereIn('message_id', k('outbound_messages').select('id').where({ subject: 'Hello' })).count({ n: '*' }))[0]!.n), 4, 'still four rows');
    const other = await json(post('/api/v1/messages', { ...body, idempotencyKey: 'order-2' }));
    t.match(other, { queued: 4 }, 'another key is another message');
  });

  await t.test('a long recipient address with an idempotency key still fits the unique key', async (t) => {
    const long = `${'a'.repeat(64)}@${'b'.repeat(60)}.${'c'.repeat(60)}.example`;
    const body = { ...base, to: [long], subject: 'Long', text: 'x', idempotencyKey: 'k'.repeat(100) };
    t.match(await json(post('/api/v1/messages', body)), { queued: 1 });
    t.match(await json(post('/api/v1/messages', body)), { queued: 0, duplicates: 1 });
  });

  await t.test('From not allowed by the account → 400 with a field error; allowed address and domain pass', async (t) => {
    const bad = await post('/api/v1/messages', { ...base, from: 'ceo@evil.example', to: ['a@example.com'], subject: 'x', html: 'x' });
    t.equal(bad.status, 400);
    const e = await json(bad);
    t.equal(e.error.code, 'validation_failed');
    t.ok(e.error.fields.find((f: any) => f.field === 'from'), 'field error on from');
    t.equal((await post('/api/v1/messages', { ...base, from: 'Boss <boss@other.example>', to: ['a@example.com'], subject: 'x', html: 'x' })).status, 202);
    const sub = await post('/api/v1/messages', { ...base, from: 'x@sub.ours.example', to: ['a@example.com'], subject: 'x', html: 'x' });
    t.equal(sub.status, 400, 'a subdomain is not the domain');
  });

  await t.test('CR/LF in the subject or names → 400; bad recipients are named', async (t) => {
    const r1 = await json(post('/api/v1/messages', { ...base, to: ['a@example.com'], subject: 'Hi\r\nBcc: victim@example.com', html: 'x' }));
    t.equal(r1.error.fields[0].field, 'subject');
    const r2 = await json(post('/api/v1/messages', { ...base, fromName: 'A\nB', to: ['a@example.com'], subject: 'ok', html: 'x' }));
    t.ok(r2.error.fields.find((f: any) => f.field === 'fromName'));
    const r3 = await json(post('/api/v1/messages', { ...base, to: ['ok@example.com', 'not-an-address', 'x%y@example.com'], subject: 'ok', html: 'x' }));
    t.same(r3.error.fields.filter((f: any) => f.field === 'to').length, 2);
    const r4 = await json(post('/api/v1/messages', { ...base, subject: 'ok', html: 'x' }));
    t.match(r4.error.fields, [{ field: 'to' }], 'at least one recipient');
    t.equal(Number((await k('outbound_messages').where('subject', 'like', '%victim%').count({ n: '*' }))[0]!.n), 0, 'nothing stored');
  });

  await t.test('text is generated from the HTML when absent', async (t) => {
    const r = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'Text', html: '<h1>Title</h1><p>Para <a href="https://x.example/">link</a></p>' }));
    const m = await k('outbound_messages').where({ id: r.messageId }).first();
    t.match(m.text, /TITLE|Title/);
    t.match(m.text, /Para link \[https:\/\/x\.example\/\]/);
    t.notMatch(m.text, /</);
  });

  await t.test('templates: insert by id, the default when nothing is given, placeholders escaped', async (t) => {
    const tpl = await json(post('/api/v1/templates', { name: 'welcome', subject: 'Welcome {Person.firstName}', html: '<p>Hello {Person.firstName}</p>', isDefault: true }));
    t.equal(tpl.isDefault, true);
    const other = await json(post('/api/v1/templates', { name: 'other', subject: 'Other', html: '<p>Other</p>', text: 'Other text' }));
    const data = { Person: { firstName: '<Ann & "Bo">' } };
    const byId = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', templateId: other.id }));
    const m1 = await k('outbound_messages').where({ id: byId.messageId }).first();
    t.match(m1, { subject: 'Other', html: '<p>Other</p>', text: 'Other text' });
    const def = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', data }));
    const m2 = await k('outbound_messages').where({ id: def.messageId }).first();
    t.equal(m2.subject, 'Welcome <Ann & "Bo">', 'subject is a header, not HTML');
    t.equal(m2.html, '<p>Hello &lt;Ann &amp; &quot;Bo&quot;&gt;</p>');
    const bad = await post('/api/v1/templates', { name: 'welcome', subject: 'x\ny', html: '' });
    t.equal(bad.status, 400);
    t.same((await json(bad)).error.fields.map((f: any) => f.field).sort(), ['html', 'name', 'subject']);
    const made = await json(api(`/api/v1/templates/${other.id}`, { method: 'PATCH', body: JSON.stringify({ isDefault: true }) }));
    t.equal(made.isDefault, true);
    t.equal((await json(api(`/api/v1/templates/${tpl.id}`))).isDefault, false, 'one default only');
    t.equal((await api(`/api/v1/templates/${tpl.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await api(`/api/v1/templates/${tpl.id}`)).status, 404);
  });

  await t.test('scheduled send: run_at is the send time', async (t) => {
    const at = Date.now() + 3_600_000;
    const r = await json(post('/api/v1/messages', { ...base, to: ['a@example.com', 'b@example.com'], subject: 'Later', text: 'later', sendAt: new Date(at).toISOString() }));
    t.equal(r.sendAt, at);
    const rows = await rowsOf(r.messageId);
    t.ok(rows.every((x: any) => Math.abs(Number(x.run_at) - at) < 1000), 'queue rows wait until then');
    t.equal(Number((await k('outbound_messages').where({ id: r.messageId }).first()).send_at), r.sendAt);
    const past = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'x', text: 'x', sendAt: '2001-01-01T00:00:00Z' }));
    t.equal(past.error.fields[0].field, 'sendAt');
  });

  await t.test('attachments are stored with the message', async (t) => {
    const content = Buffer.from('%PDF-1.4 fake pdf \x00\x01\x02');
    const r = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'Invoice', text: 'see attached',
      attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', contentBase64: content.toString('base64') }] }));
    const atts = await k('outbound_attachments').where({ message_id: r.messageId });
    t.equal(atts.length, 1);
    t.match(atts[0], { filename: 'invoice.pdf', content_type: 'application/pdf' });
    t.ok(Buffer.from(atts[0].content).equals(content), 'bytes intact');
    const bad = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'x', text: 'x', attachments: [{ filename: 'a\r\nb.txt', contentBase64: 'eA==' }, { filename: 'c.txt', contentBase64: '*not base64*' }] }));
    t.same(bad.error.fields.map((f: any) => f.field), ['attachments.0', 'attachments.1']);
  });

  await t.test('preview: placeholders rendered and escaped, nothing queued', async (t) => {
    const before = Number((await k('outbound_queue').count({ n: '*' }))[0]!.n);
    const p = await json(post('/api/v1/messages/preview', { ...base, to: 'a@example.com', bcc: 'hidden@example.com', subject: 'Hi {Person.firstName}',
      html: '<p>Dear {Person.firstName}, {Unknown.x}</p>', data: { Person: { firstName: '<script>x</script>' } } }));
    t.equal(p.subject, 'Hi <script>x</script>');
    t.equal(p.html, '<p>Dear &lt;script&gt;x&lt;/script&gt;, {Unknown.x}</p>');
    t.match(p.text, /Dear <script>x<\/script>/);
    t.same(p.bcc, ['hidden@example.com']);
    t.match(p.source, /^From: Ours <news@ours\.example>$/m);
    t.notMatch(p.source, /hidden@example\.com/, 'BCC never in the headers');
    t.equal(Number((await k('outbound_queue').count({ n: '*' }))[0]!.n), before);
  });

  await t.test('message types: CRUD, chosen per message, default from the account', async (t) => {
    const mt = await json(post('/api/v1/message-types', { name: 'newsletter', description: 'monthly' }));
    t.equal((await post('/api/v1/message-types', { name: 'newsletter' })).status, 400);
    const r = await json(post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'x', text: 'x', messageTypeId: mt.id }));
    t.equal(Number((await rowsOf(r.messageId))[0].message_type_id), mt.id);
    t.equal(Number((await k('outbound_messages').where({ id: r.messageId }).first()).message_type_id), mt.id);
    const list = await json(api('/api/v1/message-types'));
    t.match(list.items.find((x: any) => x.name === 'transactional-t'), { accountCount: 1 });
    t.match(await json(api(`/api/v1/message-types/${mt.id}`, { method: 'PATCH', body: JSON.stringify({ description: 'weekly' }) })), { description: 'weekly' });
    t.equal((await api(`/api/v1/message-types/${typeId}`, { method: 'DELETE' })).status, 204);
    t.equal((await k('upstream_accounts').where({ id: accountId }).first()).message_type_id, null, 'the account has no default now');
    t.equal((await post('/api/v1/messages', { ...base, to: 'a@example.com', subject: 'x', text: 'x', messageTypeId: 99999 })).status, 400);
  });

  await t.test('suppressed recipients are not queued for delivery', async (t) => {
    await app.services.suppressions.block('blocked@example.com');
    const r = await json(post('/api/v1/messages', { ...base, to: ['blocked@example.com', 'fine@example.com'], subject: 'x', text: 'x' }));
    t.match(r, { queued: 1, suppressed: 1 });
  });
});
