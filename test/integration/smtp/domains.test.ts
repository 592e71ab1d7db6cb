/* Domains and mailboxes through the API and the admin pages; config-declared ones exist after start. */
import t from 'tap';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

t.test('domains and mailboxes', async (t) => {
  const { api, url } = await startTestApp(t, { overrides: { domains: ['Config.Example'], mailboxes: [{ address: 'sales@config.example', name: 'Sales' }, { address: 'help@other.example', name: 'Help' }] } });
  const json = async (r: Promise<Response>): Promise<any> => (await r).json();
  const domains = await json(api('/api/v1/domains'));
  t.same(domains.items.map((d: any) => d.name).sort(), ['config.example', 'other.example'], 'declared in config, created at start');
  t.equal((await json(api('/api/v1/mailboxes?q=sales'))).items[0].name, 'Sales');

  const bad = await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'x@unknown.example' }) });
  t.equal(bad.status, 400);
  t.match((await bad.json() as any).error.fields[0], { field: 'address', message: /not a local domain/ });
  t.equal((await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'not a domain' }) })).status, 400);
  t.equal((await api('/api/v1/domains', { method: 'POST', body: JSON.stringify({ name: 'config.example' }) })).status, 400, 'duplicate');
  const personal = await api('/api/v1/mailboxes', { method: 'POST', body: JSON.stringify({ address: 'me@config.example', kind: 'personal' }) });
  t.equal(personal.status, 400, 'a personal mailbox needs a user');
  const dom = domains.items.find((d: any) => d.name === 'config.example');
  t.equal((await api(`/api/v1/domains/${dom.id}`, { method: 'DELETE' })).status, 409, 'not while it has mailboxes');

  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);
  const page = await ui.get('/admin/domains');
  t.equal(page.res.status, 200);
  t.match(page.html, /sales@config.example/);
  const badForm = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', { address: 'zz@nowhere.example', kind: 'group', active: 'on' });
  t.equal(badForm.res.status, 400);
  t.match(badForm.html, /not a local domain/);
  t.match(badForm.html, /value="zz@nowhere.example"/);
  const ok = await ui.submit('/admin/mailboxes/new', '/admin/mailboxes/new', { address: 'team@config.example', name: 'Team', kind: 'group', createCases: 'on', active: 'on' });
  t.equal(ok.res.status, 303);
  t.match((await json(api('/api/v1/mailboxes?q=team'))).items[0], { address: 'team@config.example', createCases: true });
  const addDomain = await ui.submit('/admin/domains', '/admin/domains', { name: 'bounce.config.example', kind: 'bounce' });
  t.equal(addDomain.res.status, 303);
  t.match((await ui.get('/admin/domains')).html, /bounce \(VERP\)/);
});
