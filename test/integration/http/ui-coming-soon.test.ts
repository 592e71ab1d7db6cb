/*
 * The admin UI says what is not built yet: the {optOutUrl} placeholder is marked as coming.
 * The mailbox options "create cases" (routing/cases) and "auto-reply" are built: no longer
 * marked, and saving a mailbox stores them.
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
  t.notMatch(options, COMING, 'the mailbox options are built: not marked as coming');
  t.notMatch(options, /no effect yet/i);

  for (const path of ['/admin/templates/new', '/admin/templates']) {
    const html = (await ui.get(path)).html;
    const hint = html.slice(html.indexOf('{optOutUrl}'), html.indexOf('{optOutUrl}') + 200);
    t.match(hint, COMING, `${path}: {optOutUrl} is marked as coming`);
  }

  const created = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', { address: 'help@ours.example', name: 'Help', kind: 'group', createCases: 'on', autoReply: 'on', autoReplySubject: 'Thanks', autoReplyBody: 'We got it', active: 'on' });
  t.equal(created.res.status, 303);
  const box = ((await (await api('/api/v1/mailboxes')).json()) as { items: Array<{ address: string }> }).items.find((m) => m.address === 'help@ours.example');
  t.match(box, { createCases: true, assignment: 'round-robin', reopen: 'reopen', autoReply: { subject: 'Thanks', text: 'We got it' } }, 'the settings are stored');
  const list = (await ui.get('/admin/domains')).html;
  t.match(list.slice(list.indexOf('help@ours.example')), /creates cases, auto-reply<\/td>/, 'the list shows them without a "not active" marker');
});
