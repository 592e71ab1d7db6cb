/*
 * The admin UI over real HTTP: login with CSRF and throttling, cookie flags, logout, guards,
 * list pages (sort, filter, pages), forms re-shown with field errors, flash messages,
 * users / teams / API keys pages, and forged forms changing nothing.
 */
import t from 'tap';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

t.test('login, CSRF, cookies, throttling, logout', async (t) => {
  const { url } = await startTestApp(t);
  const ui = new UiClient(url);
  const home = await ui.get('/admin');
  t.equal(home.res.status, 303, 'signed out: redirected');
  t.match(home.res.headers.get('location'), /^\/admin\/login\?next=/);
  const page = await ui.get('/admin/login');
  t.ok(ui.cookies.get('postern_csrf'), 'a CSRF cookie is set');
  t.equal((await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD })).res.status, 403, 'no CSRF token: refused');
  t.equal((await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD }, 'forged')).res.status, 403, 'wrong CSRF token: refused');
  const csrf = UiClient.csrfOf(page.html);
  const wrong = await ui.post('/admin/login', { username: 'admin', password: 'nope' }, csrf);
  t.equal(wrong.res.status, 401);
  t.match(wrong.html, /Wrong username or password/);
  t.match(wrong.html, /value="admin"/, 'the username is kept');
  const ok = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD, next: '/admin/users' }, csrf);
  t.equal(ok.res.status, 303);
  t.equal(ok.res.headers.get('location'), '/admin/users', 'follows a local next');
  const cookie = ok.res.headers.getSetCookie().find((c) => c.startsWith('postern_sid='))!;
  t.match(cookie, /HttpOnly/i);
  t.match(cookie, /SameSite=Lax/i);
  t.notMatch(cookie, /Secure/i, 'plain http: not Secure');
  const dash = await ui.get('/admin');
  t.equal(dash.res.status, 200);
  t.match(dash.html, /Dashboard/);
  t.match(dash.res.headers.get('content-security-policy'), /default-src 'self'/);
  const sid = ui.cookies.get('postern_sid');
  t.equal((await ui.submit('/admin', '/admin/logout', {})).res.status, 303);
  const stale = new UiClient(url);
  stale.cookies.set('postern_sid', sid!);
  t.equal((await stale.get('/admin')).res.status, 303, 'the old session no longer works');
});

t.test('an off-site next is ignored', async (t) => {
  const { url } = await startTestApp(t);
  const ui = new UiClient(url);
  const page = await ui.get('/admin/login');
  const r = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD, next: '//evil.test/x' }, UiClient.csrfOf(page.html));
  t.equal(r.res.headers.get('location'), '/admin');
});

t.test('repeated failures get 429, even with the right password', async (t) => {
  const { url } = await startTestApp(t, { overrides: { auth: { loginMaxFailures: 3, loginWindowMinutes: 15 } } });
  const ui = new UiClient(url);
  for (let i = 0; i < 3; i++) t.equal((await ui.login('admin', 'wrong')).res.status, 401);
  const r = await ui.login('admin', ADMIN_PASSWORD);
  t.equal(r.res.status, 429);
  t.match(r.html, /Too many failed logins/);
});

t.test('session cookie is Secure when served over https', async (t) => {
  const { url } = await startTestApp(t, { overrides: { publicUrl: 'https://postern.example' } });
  const ui = new UiClient(url);
  const r = await ui.login('admin', ADMIN_PASSWORD);
  t.match(r.res.headers.getSetCookie().find((c) => c.startsWith('postern_sid='))!, /Secure/i);
});

t.test('users, teams and API keys pages', async (t) => {
  const { url, api } = await startTestApp(t);
  for (let i = 0; i < 30; i++) {
    await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: `user${String(i).padStart(2, '0')}`, password: 'long enough pw', role: i % 2 ? 'agent' : 'admin' }) });
  }
  const ui = new UiClient(url);
  await ui.login('admin', ADMIN_PASSWORD);

  const p2 = await ui.get('/admin/users?page=2');
  t.match(p2.html, /31 in all · page 2 of 2/);
  const desc = await ui.get('/admin/users?sort=username&dir=desc');
  t.ok(desc.html.indexOf('user29') < desc.html.indexOf('user28'), 'sorted descending');
  t.match(desc.html, /aria-sort="descending"/);
  const agents = await ui.get('/admin/users?role=agent&perPage=100');
  t.notMatch(agents.html, />user00</, 'filtered by role');
  t.match(agents.html, />user01</);
  const search = await ui.get('/admin/users?q=user1');
  t.match(search.html, /10 in all/);

  const bad = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'neo', email: 'not-an-email', password: 'long enough pw', role: 'agent', active: 'on' });
  t.equal(bad.res.status, 400);
  t.match(bad.html, /id="err-email">is not an email address/);
  t.match(bad.html, /value="neo"/);
  const good = await ui.submit('/admin/users/new', '/admin/users/new', { username: 'neo', email: 'neo@example.com', password: 'long enough pw', role: 'agent', active: 'on' });
  t.equal(good.res.status, 303);
  t.match((await ui.get('/admin/users')).html, /User neo created/, 'flash message');

  // Last-admin protection through the UI: demote every admin but the one we are.
  const admins = ((await (await api('/api/v1/users?role=admin&perPage=100')).json()) as any).items;
  for (const a of admins) if (a.username !== 'admin') await api(`/api/v1/users/${a.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'agent' }) });
  const me = admins.find((a: any) => a.username === 'admin');
  const del = await ui.submit(`/admin/users/${me.id}`, `/admin/users/${me.id}/delete`, {});
  t.equal(del.res.status, 303);
  t.match((await ui.get('/admin/users')).html, /last active admin/);

  const team = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'Sales', description: 'the sales desk', memberIds: [String(me.id)] });
  t.equal(team.res.status, 303);
  const teams = await ui.get('/admin/teams');
  t.match(teams.html, /Sales/);
  const dup = await ui.submit('/admin/teams/new', '/admin/teams/new', { name: 'Sales' });
  t.equal(dup.res.status, 400);
  t.match(dup.html, /is taken/);

  const key = await ui.submit('/admin/apikeys', '/admin/apikeys', { name: 'crm' });
  t.equal(key.res.status, 200);
  const shown = /<code class="key">(pst_[^<]+)<\/code>/.exec(key.html)?.[1];
  t.ok(shown, 'the new key is shown once');
  t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${shown}` } })).status, 200, 'and works');
  t.notMatch((await ui.get('/admin/apikeys')).html, new RegExp(shown!), 'never shown again');

  // An agent may not manage users.
  const agent = new UiClient(url);
  await agent.login('neo', 'long enough pw');
  t.equal((await agent.get('/admin/users')).res.status, 403);
  t.equal((await agent.get('/admin/teams')).res.status, 200, 'agents may view teams');
  t.notMatch((await agent.get('/admin')).html, /href="\/admin\/users"/, 'and do not see admin-only navigation');

  // A forged form changes nothing.
  const forged = await ui.post('/admin/users/new', { username: 'mallory', password: 'long enough pw' }, 'forged');
  t.equal(forged.res.status, 403);
  t.equal((await api('/api/v1/users?q=mallory')).status, 200);
  t.equal(((await (await api('/api/v1/users?q=mallory')).json()) as any).total, 0);
});
