/*
 * Signing in to the admin UI over real HTTP, on every database: redirects when signed out,
 * the CSRF cookie and token, wrong passwords, throttling (429) and its window, session
 * cookie flags (Secure behind https), session expiry, logout, and safe `next` redirects.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sidCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('postern_sid='));

for (const kind of dbKinds()) {
  t.test(kind, async (t) => {
    await t.test('signed out: redirected to login; the login page sets the CSRF cookie', async (t) => {
      const { url } = await startTestApp(t, { kind });
      const ui = new UiClient(url);
      for (const path of ['/admin', '/admin/users', '/admin/teams', '/admin/apikeys']) {
        const r = await ui.get(path);
        t.equal(r.res.status, 303, path);
        t.equal(r.res.headers.get('location'), `/admin/login?next=${encodeURIComponent(path)}`);
      }
      const page = await new UiClient(url).get('/admin/login');
      t.equal(page.res.status, 200);
      const csrf = page.res.headers.getSetCookie().find((c) => c.startsWith('postern_csrf='));
      t.ok(csrf, 'a CSRF cookie is set');
      t.match(csrf, /HttpOnly/i);
      t.match(csrf, /SameSite=Lax/i);
      t.match(page.html, /<form method="post" action="\/admin\/login"/);
      t.match(page.html, /name="_csrf" value="[A-Za-z0-9_-]{20,}"/);
      t.match(page.html, /<label>Username <input name="username"/, 'labelled fields');
      t.equal(page.res.headers.get('cache-control'), 'no-store');
      t.equal(page.res.headers.get('x-frame-options'), 'DENY');
      t.match(page.res.headers.get('content-security-policy'), /script-src 'self'/);
    });

    await t.test('CSRF, wrong password, correct login, cookie flags, logout', async (t) => {
      const { url, tdb } = await startTestApp(t, { kind });
      const ui = new UiClient(url);
      const page = await ui.get('/admin/login');
      const csrf = UiClient.csrfOf(page.html);
      const none = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD });
      t.equal(none.res.status, 403, 'no CSRF token: refused');
      t.match(none.html, /form expired or came from another site/);
      t.notOk(sidCookie(none.res), 'and no session');
      t.equal((await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD }, 'forged')).res.status, 403, 'wrong CSRF token: refused');
      const other = new UiClient(url);
      await other.get('/admin/login');
      t.equal((await other.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD }, csrf)).res.status, 403, "another browser's token: refused");

      const wrong = await ui.post('/admin/login', { username: 'admin', password: 'not the password' }, csrf);
      t.equal(wrong.res.status, 401);
      t.match(wrong.html, /role="alert">Wrong username or password/);
      t.match(wrong.html, /name="username"[^>]*value="admin"/, 'the form is re-shown with the username');
      t.notMatch(wrong.html, /not the password/, 'but never the password');
      t.equal((await ui.post('/admin/login', { username: 'nobody', password: ADMIN_PASSWORD }, csrf)).res.status, 401, 'unknown user: the same answer');

      const ok = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD, next: '/admin/users?page=1' }, csrf);
      t.equal(ok.res.status, 303);
      t.equal(ok.res.headers.get('location'), '/admin/users?page=1', 'follows a local next');
      const cookie = sidCookie(ok.res)!;
      t.match(cookie, /HttpOnly/i);
      t.match(cookie, /SameSite=Lax/i);
      t.match(cookie, /Path=\//);
      t.notMatch(cookie, /Secure/i, 'plain http: not Secure');
      const sid = ui.cookies.get('postern_sid')!;
      const stored = await tdb.db.knex('sessions').select('id_hash');
      t.equal(stored.length, 1);
      t.not(stored[0].id_hash, sid, 'only a hash of the session id is stored');

      const dash = await ui.get('/admin');
      t.equal(dash.res.status, 200);
      t.match(dash.html, /<h1>Dashboard<\/h1>/);
      t.match(dash.html, /Administrator \(admin\)/);
      t.equal((await ui.get('/admin/login')).res.status, 303, 'the login page sends a signed-in user on');

      t.equal((await ui.post('/admin/logout', {})).res.status, 403, 'logout needs the CSRF token too');
      t.equal((await ui.get('/admin')).res.status, 200, 'so the session still works');
      const out = await ui.submit('/admin', '/admin/logout', {});
      t.equal(out.res.status, 303);
      t.equal(out.res.headers.get('location'), '/admin/login');
      t.equal((await ui.get('/admin')).res.status, 303, 'signed out');
      const stale = new UiClient(url);
      stale.cookies.set('postern_sid', sid);
      t.equal((await stale.get('/admin')).res.status, 303, 'the old session cookie no longer works');
      t.equal((await tdb.db.knex('sessions').count({ n: '*' }))[0]!.n == 0, true, 'the session row is gone');
    });

    await t.test('only local next targets are followed', async (t) => {
      const { url } = await startTestApp(t, { kind });
      for (const next of ['//evil.test/x', 'https://evil.test/admin', '/admin.evil.test', 'javascript:alert(1)']) {
        const ui = new UiClient(url);
        const r = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD, next }, UiClient.csrfOf((await ui.get('/admin/login')).html));
        t.equal(r.res.headers.get('location'), '/admin', next);
      }
    });

    await t.test('after loginMaxFailures (default 5) failures: 429, even with the right password, until the window passes', async (t) => {
      let now = Date.now();
      const { url, config } = await startTestApp(t, { kind, clock: { now: () => now } });
      t.equal(config.auth.loginMaxFailures, 5, 'the default');
      const ui = new UiClient(url);
      for (let i = 0; i < 5; i++) t.equal((await ui.login('admin', `wrong ${i}`)).res.status, 401, `failure ${i + 1}`);
      const r = await ui.login('admin', ADMIN_PASSWORD);
      t.equal(r.res.status, 429);
      t.match(r.html, /Too many failed logins/);
      t.notOk(sidCookie(r.res), 'no session');
      t.equal((await ui.login('admin', 'wrong again')).res.status, 429);
      now += 16 * 60_000;
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303, 'the window has passed');
    });

    await t.test('a configured limit, and the session expires after sessionTtlHours', async (t) => {
      let now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now }, overrides: { auth: { loginMaxFailures: 2, loginWindowMinutes: 15 }, http: { port: 0, sessionTtlHours: 1 } } });
      const ui = new UiClient(url);
      for (let i = 0; i < 2; i++) t.equal((await ui.login('admin', 'wrong')).res.status, 401);
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 429, 'after 2 failures');
      now += 16 * 60_000;
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
      t.equal((await ui.get('/admin')).res.status, 200);
      now += 61 * 60_000;
      t.equal((await ui.get('/admin')).res.status, 303, 'expired after an hour');
    });

    await t.test('the session cookie is Secure when the public URL is https', async (t) => {
      const { url } = await startTestApp(t, { kind, overrides: { publicUrl: 'https://x.test' } });
      const r = await new UiClient(url).login('admin', ADMIN_PASSWORD);
      t.equal(r.res.status, 303);
      const cookie = sidCookie(r.res)!;
      t.match(cookie, /;\s*Secure/i);
      t.match(cookie, /HttpOnly/i);
      t.match(cookie, /SameSite=Lax/i);
    });
  });
}
