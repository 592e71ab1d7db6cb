/*
 * Signing in to the admin UI over real HTTP, on every database: redirects when signed out,
 * the CSRF cookie and token, wrong passwords, throttling (a growing delay: 429 + Retry-After)
 * per user+address and per address with proxy-forwarded addresses, session
 * cookie flags (Secure behind https), session expiry, logout, and safe `next` redirects.
 */
import t from 'tap';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const sidCookie = (res: Response) => res.headers.getSetCookie().find((c) => c.startsWith('postern_sid='));
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');

/** A sign-in through the form with an X-Forwarded-For header, as a proxy would send it. */
async function loginFrom(url: string, xff: string, username: string, password: string): Promise<Response> {
  const page = await fetch(`${url}/admin/login`, { headers: { 'x-forwarded-for': xff } });
  const csrf = UiClient.csrfOf(await page.text());
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams({ username, password, _csrf: csrf }),
    headers: { 'x-forwarded-for': xff, cookie: cookiesOf(page), 'content-type': 'application/x-www-form-urlencoded' },
  });
  await res.text();
  return res;
}

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

    await t.test('the CSRF token is tied to the session and rotated at login and logout', async (t) => {
      const { url } = await startTestApp(t, { kind });
      const ui = new UiClient(url);
      const before = await ui.get('/admin/login');
      const seedBefore = ui.cookies.get('postern_csrf');
      const tokenBefore = UiClient.csrfOf(before.html);
      const ok = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD }, tokenBefore);
      t.equal(ok.res.status, 303);
      t.ok(ok.res.headers.getSetCookie().some((c) => c.startsWith('postern_csrf=')), 'login sets a new CSRF cookie');
      t.not(ui.cookies.get('postern_csrf'), seedBefore, 'rotated');
      const token = UiClient.csrfOf((await ui.get('/admin')).html);
      t.not(token, tokenBefore);
      t.equal((await ui.post('/admin/logout', {}, tokenBefore)).res.status, 403, 'the token from before the login no longer works');

      // A second browser that somehow holds the same CSRF cookie (set by a sibling subdomain,
      // say) still cannot use this session's token: it is bound to the session.
      const other = new UiClient(url);
      t.equal((await other.login('admin', ADMIN_PASSWORD)).res.status, 303);
      other.cookies.set('postern_csrf', ui.cookies.get('postern_csrf')!);
      t.equal((await other.post('/admin/logout', {}, token)).res.status, 403, "another session's token: refused");
      t.equal((await ui.post('/admin/logout', {}, token)).res.status, 303, 'its own session: accepted');
      t.not(ui.cookies.get('postern_csrf'), undefined);
      t.equal((await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD }, token)).res.status, 403, 'and not after logout');
    });

    await t.test('only local next targets are followed', async (t) => {
      const { url } = await startTestApp(t, { kind });
      for (const next of ['//evil.test/x', 'https://evil.test/admin', '/admin.evil.test', 'javascript:alert(1)']) {
        const ui = new UiClient(url);
        const r = await ui.post('/admin/login', { username: 'admin', password: ADMIN_PASSWORD, next }, UiClient.csrfOf((await ui.get('/admin/login')).html));
        t.equal(r.res.headers.get('location'), '/admin', next);
      }
    });

    await t.test('after loginMaxFailures (default 5) failures: a doubling delay answered 429 + Retry-After; the right password works once it has run', async (t) => {
      let now = Date.now();
      const { url, config } = await startTestApp(t, { kind, clock: { now: () => now } });
      t.equal(config.auth.loginMaxFailures, 5, 'the default');
      const ui = new UiClient(url);
      for (let i = 0; i < 5; i++) t.equal((await ui.login('admin', `wrong ${i}`)).res.status, 401, `failure ${i + 1}`);
      const r = await ui.login('admin', ADMIN_PASSWORD);
      t.equal(r.res.status, 429, 'the delay is running: even the right password waits');
      t.equal(r.res.headers.get('retry-after'), '1');
      t.match(r.html, /Too many failed logins: try again in 1 second</);
      t.notOk(sidCookie(r.res), 'no session');
      t.equal((await ui.login('admin', 'wrong again')).res.status, 429, 'a refused attempt is not checked');
      now += 1000;
      t.equal((await ui.login('admin', 'wrong 6')).res.status, 401, 'after the delay: checked again');
      const r2 = await ui.login('admin', ADMIN_PASSWORD);
      t.equal(r2.res.status, 429);
      t.equal(r2.res.headers.get('retry-after'), '2', 'the delay doubled');
      now += 2000;
      const ok = await ui.login('admin', ADMIN_PASSWORD);
      t.equal(ok.res.status, 303, 'the right password after the delay logs in');
      t.ok(sidCookie(ok.res));
      for (let i = 0; i < 4; i++) t.equal((await new UiClient(url).login('admin', 'wrong')).res.status, 401, 'a success starts the user+address count over');
    });

    await t.test('the delay is capped at loginWindowMinutes (default 15)', async (t) => {
      let now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now } });
      const ui = new UiClient(url);
      let last: Response | undefined;
      for (let i = 0; i < 20; i++) {
        const r = await ui.login('admin', 'wrong');
        if (r.res.status === 429) { const w = Number(r.res.headers.get('retry-after')); if (!(w > 0)) { t.fail('429 without Retry-After'); return; } now += w * 1000; i--; continue; }
        t.equal(r.res.status, 401);
        last = r.res;
      }
      t.ok(last);
      const r = await ui.login('admin', ADMIN_PASSWORD);
      t.equal(r.res.status, 429);
      t.equal(Number(r.res.headers.get('retry-after')), 15 * 60, 'capped');
      now += 15 * 60_000;
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
    });

    await t.test('parallel guesses cannot slip past the delay while a password is checked', async (t) => {
      const now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now } });
      for (let i = 0; i < 4; i++) t.equal((await new UiClient(url).login('admin', 'wrong')).res.status, 401);
      const clients = await Promise.all(Array.from({ length: 8 }, async () => {
        const ui = new UiClient(url);
        return { ui, csrf: UiClient.csrfOf((await ui.get('/admin/login')).html) };
      }));
      const codes = (await Promise.all(clients.map(({ ui, csrf }) => ui.post('/admin/login', { username: 'admin', password: 'guess' }, csrf)))).map((r) => r.res.status);
      t.same(codes.sort(), [401, 429, 429, 429, 429, 429, 429, 429], 'one guess was checked, the rest waited');
    });

    await t.test('addresses behind a trusted proxy: made-up usernames slow only their own address, and not for long', async (t) => {
      let now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now }, overrides: { http: { port: 0, trustProxy: 1 } } });
      // The test plays the proxy: it appends the client's address as the last X-Forwarded-For
      // entry; whatever the client put before it (rotating, spoofed) must not count.
      let spoof = 0;
      const from = (ip: string) => `198.51.100.${++spoof}, ${ip}`;
      for (let i = 0; i < 20; i++) t.equal((await loginFrom(url, from('203.0.113.66'), `nobody${i}`, 'guess')).status, 401, `made-up user ${i}`);
      // Keep going: every further failure waits for the running delay, which doubles up to a minute.
      let maxWait = 0;
      for (let i = 20; i < 30;) {
        const r = await loginFrom(url, from('203.0.113.66'), `nobody${i}`, 'guess');
        if (r.status === 429) { const w = Number(r.headers.get('retry-after')); if (!(w > 0)) { t.fail('429 without Retry-After'); return; } maxWait = Math.max(maxWait, w); now += w * 1000; continue; }
        t.equal(r.status, 401);
        i++;
      }
      t.equal(maxWait, 60, 'an address waits a minute at most');
      t.equal((await loginFrom(url, from('192.0.2.10'), 'admin', ADMIN_PASSWORD)).status, 303, 'the admin at another address: not slowed at all');
      const same = await loginFrom(url, from('203.0.113.66'), 'admin', ADMIN_PASSWORD);
      t.equal(same.status, 429, 'the admin behind the same address waits for the running delay');
      t.ok(Number(same.headers.get('retry-after')) <= 60);
      now += Number(same.headers.get('retry-after')) * 1000;
      t.equal((await loginFrom(url, from('203.0.113.66'), 'admin', ADMIN_PASSWORD)).status, 303, '…and then signs in');

      for (let i = 0; i < 5; i++) t.equal((await loginFrom(url, from('203.0.113.77'), 'admin', `wrong ${i}`)).status, 401);
      t.equal((await loginFrom(url, from('203.0.113.77'), 'admin', ADMIN_PASSWORD)).status, 429, 'rotating the spoofed part does not reset the count');
      t.equal((await loginFrom(url, from('192.0.2.10'), 'admin', ADMIN_PASSWORD)).status, 303, 'failures for admin elsewhere do not slow the admin here');
    });

    await t.test('without trustProxy, X-Forwarded-For is ignored', async (t) => {
      const now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now } });
      for (let i = 0; i < 5; i++) t.equal((await loginFrom(url, `10.9.9.${i}`, 'admin', 'wrong')).status, 401);
      t.equal((await loginFrom(url, '10.9.9.99', 'admin', ADMIN_PASSWORD)).status, 429, 'a made-up forwarded address is not a new client');
    });

    await t.test('trusted proxy addresses: X-Forwarded-For counts only from them', async (t) => {
      const now = Date.now();
      const { url } = await startTestApp(t, { kind, clock: { now: () => now }, overrides: { http: { port: 0, trustProxy: ['127.0.0.0/8', '10.0.0.0/8'] } } });
      // Loopback and 10.x are proxies: the client is the last entry outside them.
      for (let i = 0; i < 5; i++) t.equal((await loginFrom(url, `198.51.100.${i}, 203.0.113.5, 10.1.1.1`, 'admin', 'wrong')).status, 401);
      t.equal((await loginFrom(url, '198.51.100.200, 203.0.113.5', 'admin', ADMIN_PASSWORD)).status, 429, 'the same client through one proxy fewer');
      t.equal((await loginFrom(url, '203.0.113.6, 10.1.1.1', 'admin', ADMIN_PASSWORD)).status, 303, 'another client');
    });

    await t.test('a configured number of free failures, and the session expires after sessionTtlHours', async (t) => {
      let now = Date.now();
      const overrides = { auth: { loginMaxFailures: 2, loginWindowMinutes: 15 }, http: { port: 0, sessionTtlHours: 1 } };
      const { url } = await startTestApp(t, { kind, clock: { now: () => now }, overrides });
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
