/*
 * The users pages over real HTTP, on every database: list sort / filter / search / pages,
 * the form re-shown with field errors, flash messages, last-admin protection, the agent
 * role's limits, forged forms changing nothing, and bad ids answering 404.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

/** Usernames of the rows of a users list page, in order. */
const rows = (html: string) => [...html.matchAll(/<td><a href="\/admin\/users\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);

for (const kind of dbKinds()) {
  t.test(kind, async (t) => {
    const { url, api } = await startTestApp(t, { kind });
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();
    for (let i = 0; i < 30; i++) {
      const r = await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: `user${String(i).padStart(2, '0')}`, name: `Person ${i}`, password: 'long enough pw', role: i % 2 ? 'agent' : 'admin', active: i % 5 !== 0 }) });
      if (r.status !== 201) throw new Error(await r.text());
    }
    const ui = new UiClient(url);
    t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);

    await t.test('list: pages, sort both ways, filters, search', async (t) => {
      const p1 = await ui.get('/admin/users');
      t.equal(p1.res.status, 200);
      t.match(p1.html, /31 in all · page 1 of 2/);
      t.same(rows(p1.html).slice(0, 2), ['admin', 'user00'], 'sorted by username by default');
      t.equal(rows(p1.html).length, 25);
      t.match(p1.html, /<a href="\/admin\/users\?page=2" rel="next">/);
      const p2 = await ui.get('/admin/users?page=2');
      t.match(p2.html, /31 in all · page 2 of 2/);
      t.same(rows(p2.html), ['user24', 'user25', 'user26', 'user27', 'user28', 'user29']);
      t.match(p2.html, /rel="prev"/);
      t.notMatch(p2.html, /rel="next"/);
      const desc = await ui.get('/admin/users?sort=username&dir=desc');
      t.same(rows(desc.html).slice(0, 3), ['user29', 'user28', 'user27'], 'sorted descending');
      t.match(desc.html, /aria-sort="descending"><a href="\/admin\/users\?sort=username&amp;dir=asc&amp;page=1">/, 'the header link flips the direction');
      const desc2 = await ui.get('/admin/users?sort=username&dir=desc&page=2');
      t.same(rows(desc2.html).slice(-2), ['user00', 'admin'], 'page 2 of the descending order');
      t.same(rows((await ui.get('/admin/users?sort=password_hash')).html).slice(0, 1), ['admin'], 'an unknown sort column falls back to the default');

      const agents = await ui.get('/admin/users?role=agent&perPage=100');
      t.match(agents.html, /15 in all/);
      t.notOk(rows(agents.html).includes('user00'), 'filtered by role');
      // The option's value is the role, whatever the label says in the user's language.
      t.match(agents.html, /<option value="agent" selected>agent<\/option>/, 'the filter stays selected');
      const inactive = await ui.get('/admin/users?active=false');
      t.same(rows(inactive.html), ['user00', 'user05', 'user10', 'user15', 'user20', 'user25']);
      const search = await ui.get('/admin/users?q=user1');
      t.match(search.html, /10 in all/);
      t.match(search.html, /name="q" value="user1"/);
      const kept = await ui.get('/admin/users?q=user&role=agent&perPage=5');
      t.match(kept.html, /15 in all · page 1 of 3/);
      t.match(kept.html, /href="\/admin\/users\?q=user&amp;role=agent&amp;perPage=5&amp;page=2" rel="next"/, 'paging keeps the filters');
      t.match((await ui.get('/admin/users?q=%25')).html, /0 in all/, 'LIKE wildcards are searched literally');
    });

    await t.test('the form is re-shown with field errors; a save shows a flash once', async (t) => {
      const bad = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'neo', email: 'not-an-email', password: 'long enough pw', role: 'agent', active: 'on' });
      t.equal(bad.res.status, 400);
      t.match(bad.html, /id="err-email">is not an email address/);
      t.match(bad.html, /role="alert">Some fields are not valid/);
      t.match(bad.html, /name="username" required value="neo"/, 'values are kept');
      t.match(bad.html, /value="not-an-email"/);
      t.notMatch(bad.html, /long enough pw/, 'the password is never echoed');
      const several = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'x', password: 'short', role: 'agent' });
      t.match(several.html, /id="err-username">/);
      t.match(several.html, /id="err-password">must be at least 10 characters/);
      const taken = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'user01', password: 'long enough pw', role: 'agent' });
      t.match(taken.html, /id="err-username">is taken/);

      const good = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'neo', name: 'Thomas Anderson', email: 'neo@example.com', password: 'long enough pw', role: 'agent', active: 'on' });
      t.equal(good.res.status, 303);
      t.equal(good.res.headers.get('location'), '/admin/users');
      const list = await ui.get('/admin/users');
      t.match(list.html, /class="flash ok" role="status">User neo created/, 'flash message');
      t.notMatch((await ui.get('/admin/users')).html, /User neo created/, 'shown only once');
      const neo = (await json(api('/api/v1/users?q=neo'))).items[0];
      t.match(neo, { username: 'neo', name: 'Thomas Anderson', role: 'agent', active: true });

      const edit = await ui.submit(`/admin/users/${neo.id}`, `/admin/users/${neo.id}`, { username: 'neo', name: 'Neo', email: 'neo@example.com', role: 'agent', active: 'on' });
      t.equal(edit.res.status, 303);
      t.match((await ui.get('/admin/users')).html, /User saved/);
      t.equal((await json(api(`/api/v1/users/${neo.id}`))).name, 'Neo');
      const agent = new UiClient(url);
      t.equal((await agent.login('neo', 'long enough pw')).res.status, 303, 'an empty password field keeps the password');
    });

    await t.test('last-admin protection shows a message and changes nothing', async (t) => {
      const admins = (await json(api('/api/v1/users?role=admin&perPage=100'))).items;
      for (const a of admins) if (a.username !== 'admin') await api(`/api/v1/users/${a.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'agent' }) });
      const me = admins.find((a: any) => a.username === 'admin');
      const off = await ui.submit(`/admin/users/${me.id}`, `/admin/users/${me.id}`, { username: 'admin', name: 'Administrator', role: 'admin' });
      t.equal(off.res.status, 409, 'deactivating the only admin');
      t.match(off.html, /role="alert">This is the last active admin/);
      const demote = await ui.submit(`/admin/users/${me.id}`, `/admin/users/${me.id}`, { username: 'admin', name: 'Administrator', role: 'agent', active: 'on' });
      t.equal(demote.res.status, 409, 'demoting the only admin');
      const del = await ui.submit(`/admin/users/${me.id}`, `/admin/users/${me.id}/delete`, {});
      t.equal(del.res.status, 303);
      t.match((await ui.get('/admin/users')).html, /class="flash error" role="status">This is the last active admin/);
      t.match(await json(api(`/api/v1/users/${me.id}`)), { role: 'admin', active: true }, 'still an active admin');
    });

    await t.test('an agent cannot manage users', async (t) => {
      const agent = new UiClient(url);
      await agent.login('neo', 'long enough pw');
      const dash = await agent.get('/admin');
      t.equal(dash.res.status, 200);
      t.notMatch(dash.html, /href="\/admin\/users"/, 'no admin-only navigation');
      t.match(dash.html, /href="\/admin\/teams"/);
      for (const p of ['/admin/users', '/admin/users/new', '/admin/users/1']) t.equal((await agent.get(p)).res.status, 403, p);
      const csrf = UiClient.csrfOf(dash.html);
      t.equal((await agent.post('/admin/users/new', { username: 'sneaky', password: 'long enough pw', role: 'admin', active: 'on' }, csrf)).res.status, 403);
      t.equal((await json(api('/api/v1/users?q=sneaky'))).total, 0);
    });

    await t.test('forged forms and bad ids', async (t) => {
      const forged = await ui.post('/admin/users/new', { username: 'mallory', password: 'long enough pw', role: 'admin', active: 'on' }, 'forged');
      t.equal(forged.res.status, 403);
      t.equal((await json(api('/api/v1/users?q=mallory'))).total, 0, 'nothing created');
      const victim = (await json(api('/api/v1/users?q=user03'))).items[0];
      t.equal((await ui.post(`/admin/users/${victim.id}/delete`, {}, 'forged')).res.status, 403);
      t.equal((await ui.post(`/admin/users/${victim.id}/delete`, {})).res.status, 403, 'no token at all');
      t.equal((await api(`/api/v1/users/${victim.id}`)).status, 200, 'nothing deleted');
      for (const p of ['/admin/users/abc', '/admin/users/0', '/admin/users/1e3', '/admin/users/99999']) t.equal((await ui.get(p)).res.status, 404, p);
    });
  });
}
