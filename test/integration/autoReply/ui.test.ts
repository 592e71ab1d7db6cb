/*
 * The mailbox form's auto-reply over HTTP on every database: a fieldset of its own, not marked
 * as coming; saving turns it on with subject and text (the API shows `autoReply`); on without a
 * text is refused with the field's error; off keeps the texts for later.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

void eachDb(t, async (t, tdb) => {
  const { api, url } = await startTestApp(t, { tdb, overrides: { domains: ['ours.example'] } });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const mailbox = async () => ((await (await api('/api/v1/mailboxes')).json()) as { items: Array<{ id: number; address: string; autoReply: unknown }> }).items
    .find((m) => m.address === 'help@ours.example')!;

  const form = (await ui.get('/admin/mailboxes/new')).html;
  const fieldset = form.slice(form.indexOf('<fieldset aria-describedby="auto-reply-help"'), form.indexOf('name="autoReplyBody"'));
  t.match(fieldset, /<legend>Auto-reply<\/legend>/, 'a fieldset of its own');
  t.match(fieldset, /\{Person\.name\}/, 'the placeholders are listed');
  t.notMatch(fieldset, /coming soon|no effect yet/i, 'not marked as coming');

  const fields = { address: 'help@ours.example', name: 'Help', kind: 'group', autoReply: 'on', autoReplySubject: 'Thanks', autoReplyBody: '', active: 'on' };
  const refused = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', fields);
  t.equal(refused.res.status, 400, 'on without a text is refused');
  t.match(refused.html, /id="err-autoReply"[^>]*>[^<]*needs a text/, 'with the field error');

  const created = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', { ...fields, autoReplyBody: 'We got it, {Person.name}.' });
  t.equal(created.res.status, 303);
  const box = await mailbox();
  t.same(box.autoReply, { subject: 'Thanks', text: 'We got it, {Person.name}.' }, 'stored and shown by the API');
  t.match((await ui.get(`/admin/mailboxes/${box.id}`)).html, /<textarea name="autoReplyBody">We got it, \{Person\.name\}\.<\/textarea>/, 'shown in the form');

  const { autoReply: _off, ...rest } = { ...fields, autoReplyBody: 'We got it, {Person.name}.' };
  t.equal((await ui.submit(`/admin/mailboxes/${box.id}`, `/admin/mailboxes/${box.id}`, rest)).res.status, 303);
  t.equal((await mailbox()).autoReply, null, 'unchecked: off');
  t.equal((await api(`/api/v1/mailboxes/${box.id}`, { method: 'PATCH', body: JSON.stringify({ autoReply: { subject: 'Back', text: 'Again' } }) })).status, 200);
  t.same((await mailbox()).autoReply, { subject: 'Back', text: 'Again' });
  const list = (await ui.get('/admin/domains')).html;
  t.notMatch(list.slice(list.indexOf('help@ours.example'), list.indexOf('help@ours.example') + 300), /not active yet/, 'the list does not mark the auto-reply as inactive');
});
