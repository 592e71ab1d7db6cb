/*
 * The admin UI says what is not built yet: the mailbox options "create cases" and
 * "auto-reply" and the {optOutUrl} placeholder are marked as coming, not as working, and
 * saving a mailbox keeps those stored settings as they were.
 */
import t from 'tap';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const COMING = /coming soon — not active yet/i;

t.test('features that are not built are marked as coming', async (t) => {
  const { api, url } = await startTestApp(t, { overrides: { domains: ['ours.example'] } });
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);

  const form = (await ui.get('/admin/mailboxes/new')).html;
  const options = form.slice(form.indexOf('name="createCases"') - 400, form.indexOf('name="autoReplyBody"'));
  t.match(options, COMING, 'the mailbox form marks the options as coming');
  t.match(options, /no effect yet/i, 'and says plainly they do nothing now');

  for (const path of ['/admin/templates/new', '/admin/templates']) {
    const html = (await ui.get(path)).html;
    const hint = html.slice(html.indexOf('{optOutUrl}'), html.indexOf('{optOutUrl}') + 200);
    t.match(hint, COMING, `${path}: {optOutUrl} is marked as coming`);
  }

  const created = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', { address: 'help@ours.example', name: 'Help', kind: 'group', createCases: 'on', autoReply: 'on', autoReplySubject: 'Thanks', autoReplyBody: 'We got it', active: 'on' });
  t.equal(created.res.status, 303);
  const box = ((await (await api('/api/v1/mailboxes')).json()) as { items: Array<{ address: string }> }).items.find((m) => m.address === 'help@ours.example');
  t.match(box, { createCases: true, autoReply: true }, 'the settings are stored for when the features land');
  const list = (await ui.get('/admin/domains')).html;
  t.match(list.slice(list.indexOf('help@ours.example')), /creates cases, auto-reply <span class="muted">\(not active yet\)/, 'the list does not present them as working');
});
