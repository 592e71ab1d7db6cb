/*
 * Compose, templates and message types in the admin UI as a signed-in admin, on every
 * database: default template preselected, form re-shown with field errors, insert
 * template, preview (escaped, sandboxed), send with base64 attachment fields, CSRF.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

void eachDb(t, async (t, tdb) => {
  const { url, app } = await startTestApp(t, { tdb });
  const k = tdb.db.knex;
  const now = Date.now();
  // The built-in sandbox is the default on a fresh install: this test's account takes over.
  await k('upstream_accounts').update({ is_default: false });
  const accountId = Number((await k('upstream_accounts').insert({ name: 'ui-acct', kind: 'sandbox', allowed_from: JSON.stringify(['desk@ours.example', 'ours.example']), from_name: 'Desk', active: true, is_default: true, created_at: now, updated_at: now }))[0]);
  const ui = new UiClient(url);
  const login = await ui.login(admin(app), ADMIN_PASSWORD);
  t.equal(login.res.status, 303, 'signed in');

  await t.test('templates and message types pages: create, validation, edit', async (t) => {
    let r = await ui.submit('/admin/templates/new', '/admin/templates/new', { name: 'Std', subject: 'Hello {Person.firstName}', html: '<p>Body for {Person.firstName}</p>', text: '', is_default: 'on' });
    t.equal(r.res.status, 303);
    r = await ui.submit('/admin/templates/new', '/admin/templates/new', { name: 'Std', subject: 'a\r\nb', html: '' });
    t.equal(r.res.status, 400, 'form re-shown');
    t.match(r.html, /id="err-name"[^>]*>A template with this name exists/);
    t.match(r.html, /id="err-subject"[^>]*>Line breaks/);
    t.match(r.html, /id="err-html"/);
    const list = await ui.get('/admin/templates');
    t.match(list.html, /Std<\/a>/);
    t.match(list.html, />default</);
    r = await ui.submit('/admin/templates/new', '/admin/templates/new', { name: 'Other', subject: 'Other subject', html: '<p>Other body</p>', text: 'Other text' });
    t.equal(r.res.status, 303);
    r = await ui.submit('/admin/message-types', '/admin/message-types', { name: 'support', description: 'help desk' });
    t.equal(r.res.status, 303);
    r = await ui.submit('/admin/message-types', '/admin/message-types', { name: '' });
    t.equal(r.res.status, 400);
    t.match(r.html, /id="err-name"[^>]*>Name is required/);
    const mt = await k('message_types').where({ name: 'support' }).first();
    r = await ui.submit(`/admin/message-types/${mt.id}`, `/admin/message-types/${mt.id}`, { name: 'support', description: 'changed' });
    t.equal(r.res.status, 303);
    t.equal((await k('message_types').where({ id: mt.id }).first()).description, 'changed');
    const nav = (await ui.get('/admin')).html;
    for (const label of ['Compose', 'Outbound queue', 'Templates', 'Message types']) t.match(nav, new RegExp(`>${label}</a>`), `nav has ${label}`);
  });

  await t.test('compose page preselects the default account and template', async (t) => {
    const { html } = await ui.get('/admin/compose');
    t.match(html, new RegExp(`<option value="${accountId}" selected>ui-acct`));
    t.match(html, /<option value="\d+" selected>Std \(default\)/);
    t.match(html, /name="subject" required value="Hello \{Person.firstName\}"/);
    t.match(html, /name="from" type="email" required value="desk@ours.example"/);
    t.match(html, /<script src="\/admin\/static\/compose.js" defer><\/script>/);
    t.equal((await ui.get('/admin/static/compose.js')).res.status, 200);
  });

  await t.test('send with errors re-shows the form with field errors and keeps the input', async (t) => {
    const r = await ui.submit('/admin/compose', '/admin/compose', { accountId: String(accountId), from: 'ceo@evil.example', to: 'ok@example.com, nope', subject: 'Sub\r\nject', html: '<p>x</p>', action: 'send' });
    t.equal(r.res.status, 400);
    t.match(r.html, /id="err-from"[^>]*>Account ui-acct may not send as ceo@evil.example/);
    t.match(r.html, /id="err-to"[^>]*>Not a valid address: nope/);
    t.match(r.html, /id="err-subject"/);
    t.match(r.html, /name="to" value="ok@example.com, nope"/, 'input kept');
    t.equal(Number((await k('outbound_messages').count({ n: '*' }))[0]!.n), 0);
  });

  await t.test('insert template replaces subject and bodies', async (t) => {
    const other = await k('templates').where({ name: 'Other' }).first();
    const r = await ui.submit('/admin/compose', '/admin/compose', { accountId: String(accountId), from: 'desk@ours.example', to: 'keep@example.com', subject: 'mine', html: '<p>mine</p>', templateId: String(other.id), action: 'insert' });
    t.equal(r.res.status, 200);
    t.match(r.html, /name="subject" required value="Other subject"/);
    t.match(r.html, /&lt;p&gt;Other body&lt;\/p&gt;<\/textarea>/);
    t.match(r.html, />Other text<\/textarea>/);
    t.match(r.html, /name="to" value="keep@example.com"/, 'recipients kept');
  });

  await t.test('preview renders placeholders escaped in a sandboxed frame; nothing queued', async (t) => {
    const r = await ui.submit('/admin/compose', '/admin/compose', { accountId: String(accountId), from: 'desk@ours.example', to: 'a@example.com', subject: 'Hi {Person.firstName}', html: '<p>Dear {Person.firstName}</p>', data: '{"Person":{"firstName":"<b>Ann</b>"}}', action: 'preview' });
    t.equal(r.res.status, 200);
    t.match(r.html, /<iframe class="preview-html"[^>]*sandbox srcdoc="&lt;p&gt;Dear &amp;lt;b&amp;gt;Ann&amp;lt;\/b&amp;gt;&lt;\/p&gt;"/, 'value escaped inside the HTML, the HTML escaped into the attribute');
    t.match(r.html, /class="preview-subject">Hi &lt;b&gt;Ann&lt;\/b&gt;</);
    const bad = await ui.submit('/admin/compose', '/admin/compose', { accountId: String(accountId), from: 'desk@ours.example', to: 'a@example.com', subject: 'x', html: 'x', data: '{nope', action: 'preview' });
    t.equal(bad.res.status, 400);
    t.match(bad.html, /id="err-data"/);
    t.equal(Number((await k('outbound_queue').count({ n: '*' }))[0]!.n), 0);
  });

  await t.test('send: queued with attachment fields, scheduled; redirects to the queue filtered by message', async (t) => {
    const at = new Date(Date.now() + 2 * 3_600_000).toISOString().slice(0, 16);
    const r = await ui.submit('/admin/compose', '/admin/compose', {
      accountId: String(accountId), from: 'Desk <desk@ours.example>', to: 'a@example.com', cc: 'b@example.com', bcc: 'c@example.com',
      subject: 'With file', html: '<p>see file</p>', sendAt: at, action: 'send',
      att_name: ['notes.txt', 'pic.png'], att_type: ['text/plain', 'image/png'], att_data: [Buffer.from('hello notes').toString('base64'), Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64')],
    });
    t.equal(r.res.status, 303);
    const loc = r.res.headers.get('location')!;
    t.match(loc, /^\/admin\/queue\?messageId=\d+$/);
    const messageId = Number(loc.split('=')[1]);
    const m = await k('outbound_messages').where({ id: messageId }).first();
    t.match(m, { from_addr: 'desk@ours.example', from_name: 'Desk', subject: 'With file', source: 'single' });
    t.equal(Number(m.created_by), 1, 'the signed-in user');
    t.match(m.text, /see file/);
    const atts = await k('outbound_attachments').where({ message_id: messageId }).orderBy('id');
    t.same(atts.map((a: any) => [a.filename, a.content_type, Buffer.from(a.content).toString('hex')]), [['notes.txt', 'text/plain', Buffer.from('hello notes').toString('hex')], ['pic.png', 'image/png', '89504e47']]);
    const rows = await k('outbound_queue').where({ message_id: messageId }).orderBy('id');
    t.same(rows.map((x: any) => x.rcpt_kind), ['to', 'cc', 'bcc']);
    t.ok(rows.every((x: any) => Number(x.run_at) === Date.parse(`${at}Z`)), 'send at (UTC) → run_at');
    const page = await ui.get(loc);
    t.match(page.html, /Message \d+ queued for .* UTC: 3 recipient/);
    t.match(page.html, /a@example.com/);
    t.match(page.html, /c@example.com <span class="muted">\(bcc\)/);
  });

  await t.test('CSRF: a post without the token is refused', async (t) => {
    const r = await ui.post('/admin/compose', { from: 'desk@ours.example', to: 'a@example.com', subject: 'x', html: 'x' });
    t.equal(r.res.status, 403);
  });
});

function admin(app: { admin: { username: string } | null }) { return app.admin?.username ?? 'admin'; }
