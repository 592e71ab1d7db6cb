/*
 * The teams and API-keys pages over real HTTP, on every database: list sort / search /
 * pages, create / edit / delete teams with members, forms re-shown with field errors, agents
 * viewing teams read-only, API keys created (shown once), used and revoked, forged forms.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const teamRows = (html: string) => [...html.matchAll(/<td><a href="\/admin\/teams\/\d+">([^<]+)<\/a><\/td>\s*<td>[^<]*<\/td>\s*<td>(\d+)<\/td>/g)].map((m) => ({ name: m[1], members: Number(m[2]) }));
const keyRows = (html: string) => [...html.matchAll(/<td>([^<]+)<\/td>\s*<td><code>pst_[0-9a-f]{12}_…<\/code><\/td>/g)].map((m) => m[1]);
const pad = (i: number) => String(i).padStart(2, '0');

for (const kind of dbKinds()) {
  t.test(kind, async (t) => {
    // One second per clock reading, so rows never share a created_at.
    let now = Date.UTC(2025, 0, 1);
    const { url, api } = await startTestApp(t, { kind, clock: { now: () => (now += 1000) } });
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();
    const neo = await json(api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'neo', name: 'Neo', password: 'long enough pw', role: 'agent' }) }));
    const adminId = (await json(api('/api/v1/users?q=admin'))).items[0].id;
    const ui = new UiClient(url);
    t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
    const agent = new UiClient(url);
    t.equal((await agent.login('neo', 'long enough pw')).res.status, 303);

    await t.test('teams list: pages, sort by name and created, search, member counts', async (t) => {
      // Created in reverse name order, so "created" and "name" sort differently.
      for (let i = 28; i >= 1; i--) {
        await api('/api/v1/teams', { method: 'POST', body: JSON.stringify({ name: `team-${pad(i)}`, description: i === 7 ? 'the lucky one' : '', memberIds: i <= 2 ? [adminId, neo.id] : [] }) });
      }
      const p1 = await ui.get('/admin/teams');
      t.match(p1.html, /28 in all · page 1 of 2/);
      const first = teamRows(p1.html);
      t.equal(first.length, 25);
      t.same(first.slice(0, 3), [{ name: 'team-01', members: 2 }, { name: 'team-02', members: 2 }, { name: 'team-03', members: 0 }], 'by name, with member counts');
      t.same(teamRows((await ui.get('/admin/teams?page=2')).html).map((r) => r.name), ['team-26', 'team-27', 'team-28']);
      t.same(teamRows((await ui.get('/admin/teams?sort=created_at')).html).slice(0, 2).map((r) => r.name), ['team-28', 'team-27'], 'oldest first');
      const newest = await ui.get('/admin/teams?sort=created_at&dir=desc');
      t.same(teamRows(newest.html).slice(0, 2).map((r) => r.name), ['team-01', 'team-02'], 'newest first');
      t.match(newest.html, /aria-sort="descending"/);
      t.same(teamRows((await ui.get('/admin/teams?sort=name&dir=desc&page=2')).html).map((r) => r.name), ['team-03', 'team-02', 'team-01']);
      t.match((await ui.get('/admin/teams?q=team-1')).html, /10 in all/, 'search by name');
      t.same(teamRows((await ui.get('/admin/teams?q=lucky')).html).map((r) => r.name), ['team-07'], 'search by description');
      t.match(p1.html, /href="\/admin\/teams\/new"/, 'admins see "New team"');
    });

    await t.test('teams: create and edit re-shown with field errors, flash, delete', async (t) => {
      const form = await ui.get('/admin/teams/new');
      t.match(form.html, new RegExp(`name="memberIds" value="${neo.id}"`), 'members are checkboxes of users');
      const empty = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: '  ', description: 'kept', memberIds: [String(neo.id)] });
      t.equal(empty.res.status, 400);
      t.match(empty.html, /id="err-name">is required/);
      t.match(empty.html, /name="description" value="kept"/);
      t.match(empty.html, new RegExp(`value="${neo.id}" checked`), 'chosen members stay checked');
      const created = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'Sales', description: 'the sales desk', memberIds: [String(adminId), String(neo.id)] });
      t.equal(created.res.status, 303);
      const list = await ui.get('/admin/teams?q=Sales');
      t.match(list.html, /class="flash ok" role="status">Team Sales created/);
      t.same(teamRows(list.html), [{ name: 'Sales', members: 2 }]);
      const dup = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'Sales', memberIds: [String(neo.id)] });
      t.equal(dup.res.status, 400);
      t.match(dup.html, /id="err-name">is taken/);

      const team = (await json(api('/api/v1/teams?q=Sales'))).items[0];
      const edit = await ui.get(`/admin/teams/${team.id}`);
      t.match(edit.html, new RegExp(`value="${adminId}" checked`));
      t.match(edit.html, /data-confirm="Delete team Sales\?"/, 'delete asks first');
      const taken = await ui.submit(`/admin/teams/${team.id}`, `/admin/teams/${team.id}`, { name: 'team-01', description: '' });
      t.equal(taken.res.status, 400);
      t.match(taken.html, /id="err-name">is taken/);
      t.match(taken.html, /name="name" required value="team-01"/, 'the edit form keeps what was typed');
      const saved = await ui.submit(`/admin/teams/${team.id}`, `/admin/teams/${team.id}`, { name: 'Sales EU', description: 'Europe', memberIds: [String(neo.id)] });
      t.equal(saved.res.status, 303);
      t.match((await ui.get('/admin/teams')).html, /Team saved/);
      t.match(await json(api(`/api/v1/teams/${team.id}`)), { name: 'Sales EU', description: 'Europe', memberIds: [neo.id] });

      t.equal((await ui.post(`/admin/teams/${team.id}/delete`, {}, 'forged')).res.status, 403, 'forged delete');
      t.equal((await api(`/api/v1/teams/${team.id}`)).status, 200, 'changes nothing');
      const del = await ui.submit(`/admin/teams/${team.id}`, `/admin/teams/${team.id}/delete`, {});
      t.equal(del.res.status, 303);
      t.match((await ui.get('/admin/teams')).html, /Team deleted/);
      t.equal((await api(`/api/v1/teams/${team.id}`)).status, 404);
      t.equal((await ui.get(`/admin/teams/${team.id}`)).res.status, 404);
      t.equal((await ui.get('/admin/teams/abc')).res.status, 404, 'a bad id is a missing page');
    });

    await t.test('agents view teams read-only', async (t) => {
      const team = (await json(api('/api/v1/teams?q=team-01'))).items[0];
      const list = await agent.get('/admin/teams');
      t.equal(list.res.status, 200);
      t.notMatch(list.html, /href="\/admin\/teams\/new"/);
      const view = await agent.get(`/admin/teams/${team.id}`);
      t.equal(view.res.status, 200);
      t.match(view.html, /Only admins can change teams/);
      t.match(view.html, /name="name" required disabled/);
      t.notMatch(view.html, /<button type="submit">Save<\/button>/);
      t.notMatch(view.html, /Delete team/);
      t.equal((await agent.get('/admin/teams/new')).res.status, 403);
      const csrf = UiClient.csrfOf(view.html);
      t.equal((await agent.post(`/admin/teams/${team.id}`, { name: 'hijacked' }, csrf)).res.status, 403);
      t.equal((await agent.post(`/admin/teams/${team.id}/delete`, {}, csrf)).res.status, 403);
      t.equal((await json(api(`/api/v1/teams/${team.id}`))).name, 'team-01', 'unchanged');
    });

    await t.test('API keys: admins only; created once, used, revoked', async (t) => {
      t.equal((await agent.get('/admin/apikeys')).res.status, 403, 'agents may not');
      t.notMatch((await agent.get('/admin')).html, /href="\/admin\/apikeys"/);
      const page = await ui.get('/admin/apikeys');
      t.equal(page.res.status, 200);
      t.match(page.html, /href="\/admin\/apikeys"[^>]*aria-current="page"/, 'the navigation marks the area');
      t.same(keyRows(page.html), ['test']);

      const empty = await ui.submit('/admin/apikeys', '/admin/apikeys', { name: '' });
      t.equal(empty.res.status, 400);
      t.match(empty.html, /id="err-name">is required/);
      const made = await ui.submit('/admin/apikeys', '/admin/apikeys', { name: 'crm' });
      t.equal(made.res.status, 200);
      t.match(made.html, /<div class="secret-once" role="status">/);
      t.match(made.html, /shown only this once/);
      const key = /<code class="key">(pst_[^<]+)<\/code>/.exec(made.html)?.[1];
      t.ok(key, 'the new key is shown');
      const secret = key!.slice('pst_'.length + 13);
      t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } })).status, 200, 'and works');
      const after = await ui.get('/admin/apikeys');
      t.notMatch(after.html, secret, 'never shown again');
      t.notMatch(after.html, /secret-once/);
      t.match(after.html, new RegExp(`<code>pst_${key!.split('_')[1]}_…</code>`), 'the prefix identifies it');
      // Dates in the user's locale and time zone (the default: en-US, UTC).
      const at = String.raw`Jan 1, 2025, \d{1,2}:\d\d\s[AP]M`;
      t.match(after.html, new RegExp(String.raw`<td>crm</td>\s*<td><code>[^<]+</code></td>\s*<td>${at}</td>\s*<td>${at}</td>`), 'created and last used');

      const id = (await json(api('/api/v1/apikeys?q=crm'))).items[0].id;
      t.match(after.html, new RegExp(`action="/admin/apikeys/${id}/revoke"[^>]*data-confirm=`), 'revoke asks first');
      t.equal((await ui.post(`/admin/apikeys/${id}/revoke`, {}, 'forged')).res.status, 403, 'forged revoke');
      t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } })).status, 200, 'changes nothing');
      const rev = await ui.submit('/admin/apikeys', `/admin/apikeys/${id}/revoke`, {});
      t.equal(rev.res.status, 303);
      const revoked = await ui.get('/admin/apikeys');
      t.match(revoked.html, /API key revoked/);
      t.match(revoked.html, /<span class="badge">revoked Jan 1, 2025, /);
      t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${key}` } })).status, 401, 'a revoked key stops working');
      t.equal((await ui.submit('/admin/apikeys', `/admin/apikeys/${id}/revoke`, {})).res.status, 404, 'revoking twice');
    });

    await t.test('API keys list: sort and pages', async (t) => {
      for (let i = 0; i < 30; i++) await api('/api/v1/apikeys', { method: 'POST', body: JSON.stringify({ name: `key-${pad(i)}` }) });
      const p1 = await ui.get('/admin/apikeys');
      t.match(p1.html, /32 in all · page 1 of 2/);
      t.same(keyRows(p1.html).slice(0, 2), ['key-29', 'key-28'], 'newest first by default');
      t.same(keyRows((await ui.get('/admin/apikeys?page=2')).html), ['key-04', 'key-03', 'key-02', 'key-01', 'key-00', 'crm', 'test']);
      t.same(keyRows((await ui.get('/admin/apikeys?sort=name&dir=asc')).html).slice(0, 2), ['crm', 'key-00']);
      t.same(keyRows((await ui.get('/admin/apikeys?sort=name&dir=desc')).html).slice(0, 1), ['test']);
    });
  });
}
