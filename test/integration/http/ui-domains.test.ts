/*
 * The domains page keeps a domain's catch-all: its select lists every mailbox of the
 * domain (not the first page of the mailbox list), and saving the row never clears the
 * catch-all unless the admin picked "no catch-all".
 */
import t from 'tap';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

t.test('catch-all survives saving a domain with many mailboxes', async (t) => {
  const { api, url } = await startTestApp(t);
  const post = async (path: string, body: unknown, method = 'POST') => (await api(path, { method, body: JSON.stringify(body) })).json() as Promise<{ id: number; catchAllMailboxId: number | null }>;
  const d = await post('/api/v1/domains', { name: 'many.example' });
  const ids: number[] = [];
  for (let i = 1; i <= 30; i++) ids.push((await post('/api/v1/mailboxes', { address: `box${String(i).padStart(2, '0')}@many.example`, name: `Box ${i}` })).id);
  const last = ids[ids.length - 1]!;
  t.equal((await post(`/api/v1/domains/${d.id}`, { catchAllMailboxId: last }, 'PATCH')).catchAllMailboxId, last);
  const catchAll = async () => ((await (await api('/api/v1/domains')).json()) as { items: Array<{ id: number; catchAllMailboxId: number | null }> }).items.find((x) => x.id === d.id)?.catchAllMailboxId;

  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  // What a browser submits: the selected option of the row's select.
  const selected = (html: string) => {
    const form = html.slice(html.indexOf(`action="/admin/domains/${d.id}"`));
    const select = form.slice(0, form.indexOf('</select>'));
    return { value: /<option value="(\d*)"[^>]* selected>/.exec(select)?.[1] ?? '', options: (select.match(/<option /g) ?? []).length };
  };
  for (const path of ['/admin/domains', '/admin/domains?q=box01', '/admin/domains?perPage=5&page=2']) {
    const page = await ui.get(path);
    const s = selected(page.html);
    t.equal(s.value, String(last), `${path}: the catch-all is selected`);
    t.equal(s.options, 31, `${path}: every mailbox of the domain and "no catch-all"`);
  }

  const page = await ui.get('/admin/domains');
  const csrf = UiClient.csrfOf(page.html);
  const save = await ui.post(`/admin/domains/${d.id}`, { catchAll: selected(page.html).value, active: 'on', action: 'save' }, csrf);
  t.equal(save.res.status, 303);
  t.equal(await catchAll(), last, 'saving the row as shown keeps the catch-all');

  await ui.post(`/admin/domains/${d.id}`, { active: 'on', action: 'save' }, csrf);
  t.equal(await catchAll(), last, 'a form without the catch-all field leaves it alone');

  await ui.post(`/admin/domains/${d.id}`, { catchAll: String(ids[0]), active: 'on', action: 'save' }, csrf);
  t.equal(await catchAll(), ids[0], 'choosing another mailbox sets it');

  await ui.post(`/admin/domains/${d.id}`, { catchAll: '', active: 'on', action: 'save' }, csrf);
  t.equal(await catchAll(), null, '"no catch-all" clears it: the admin chose so');
});
