/*
 * HTTP hardening over real sockets (issue #9): small body limits for anonymous routes (413
 * at once, and the server keeps answering), no large upload from anyone not signed in,
 * HSTS behind https, an optional /metrics token, and an OpenAPI document of the API only.
 */
import t from 'tap';
import { request } from 'node:http';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { UiClient } from '../../helpers/session.js';

const MB = 1024 * 1024;

/**
 * POSTs `bytes` of form data as fast as the server takes it; resolves with the status as
 * soon as a response arrives (the server may answer and close before the body is sent).
 */
function bigPost(base: string, path: string, bytes: number, o: { chunked?: boolean; cookie?: string } = {}): Promise<{ status: number; ms: number }> {
  const started = Date.now();
  const u = new URL(path, base);
  return new Promise((resolve, reject) => {
    let done = false;
    const req = request({
      agent: false, host: u.hostname, port: u.port, path: u.pathname, method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded', ...(o.chunked ? {} : { 'content-length': String(bytes) }),
        ...(o.cookie ? { cookie: o.cookie } : {}),
      },
    });
    req.on('response', (res) => {
      done = true;
      resolve({ status: res.statusCode ?? 0, ms: Date.now() - started });
      // The rest of the body is never sent: drop the connection rather than leave it open.
      req.destroy();
    });
    req.on('error', (e) => { if (!done) reject(e); });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (!done && sent < bytes) {
        sent += chunk.length;
        if (!req.write(sent === chunk.length ? Buffer.concat([Buffer.from('x='), chunk.subarray(2)]) : chunk)) { req.once('drain', pump); return; }
      }
      if (!done) req.end();
    };
    pump();
  });
}

t.test('oversize bodies to anonymous routes: 413 at once, and the server keeps answering', async (t) => {
  const { url } = await startTestApp(t);
  const targets = ['/admin/login', '/u/AAAAAAAAAAAAAAAAAAAAAAAAAA'];
  for (const path of targets) {
    const r = await bigPost(url, path, 26 * MB);
    t.equal(r.status, 413, `${path}: declared 26 MB`);
    t.ok(r.ms < 2000, `${path}: answered in ${r.ms} ms`);
    const c = await bigPost(url, path, 26 * MB, { chunked: true });
    t.equal(c.status, 413, `${path}: chunked, no length given`);
  }
  t.equal((await bigPost(url, '/admin/login', 20 * 1024)).status, 413, 'the login form takes 16 KiB at most');

  // Six at once, as in the report; /healthz must still answer promptly meanwhile.
  const started = Date.now();
  const all = Promise.all(Array.from({ length: 6 }, (_, i) => bigPost(url, targets[i % 2]!, 26 * MB, { chunked: i % 3 === 0 })));
  const h0 = Date.now();
  const health = await fetch(`${url}/healthz`);
  t.equal(health.status, 200);
  t.ok(Date.now() - h0 < 2000, 'healthz answers during the flood');
  t.same((await all).map((r) => r.status), [413, 413, 413, 413, 413, 413]);
  t.ok(Date.now() - started < 10_000, `six floods done in ${Date.now() - started} ms`);

  const page = await new UiClient(url).get('/admin/login');
  t.equal(page.res.status, 200, 'the login page still works');
});

t.test('ordinary forms take 1 MiB; a large upload needs a signed-in user before it is read', async (t) => {
  const { url } = await startTestApp(t);
  const ui = new UiClient(url);
  t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
  const cookie = [...ui.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  t.equal((await bigPost(url, '/admin/users/new', 2 * MB, { cookie })).status, 413, 'an admin form: 1 MiB at most, even signed in');
  const anon = await bigPost(url, '/admin/compose', 20 * MB);
  t.equal(anon.status, 303, 'compose without a session: sent to the login page, body unread');
  t.ok(anon.ms < 2000, `at once (${anon.ms} ms)`);
  const signed = await bigPost(url, '/admin/compose', 2 * MB, { cookie });
  t.equal(signed.status, 403, 'signed in: the upload is read (and then needs its CSRF token)');
  const api = await bigPost(url, '/api/v1/messages', 20 * MB);
  t.equal(api.status, 401, 'the API without a key: refused before the body');
});

t.test('HSTS only when the public URL is https', async (t) => {
  const plain = await startTestApp(t);
  t.equal((await fetch(`${plain.url}/healthz`)).headers.get('strict-transport-security'), null, 'plain http: none');
  const tls = await startTestApp(t, { overrides: { publicUrl: 'https://mail.example.test' } });
  for (const path of ['/healthz', '/admin/login', '/api/v1/users']) {
    t.match((await fetch(`${tls.url}${path}`)).headers.get('strict-transport-security'), /^max-age=\d{7,}/, path);
  }
});

t.test('/metrics: open by default, or behind metrics.token', async (t) => {
  const open = await startTestApp(t);
  const r0 = await fetch(`${open.url}/metrics`);
  t.equal(r0.status, 200);
  t.match(await r0.text(), /postern_http_request_duration_seconds/);

  const token = 'metrics-token-0123456789';
  const { url } = await startTestApp(t, { overrides: { metrics: { token } } });
  for (const h of [undefined, 'Bearer wrong-token-0123456789', `Basic ${token}`, `Bearer ${token}x`, token]) {
    const r = await fetch(`${url}/metrics`, { headers: h ? { authorization: h } : {} });
    t.equal(r.status, 401, `${h ?? 'no header'}: refused`);
    t.equal(r.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    t.same(await r.json(), { error: { code: 'unauthorized', message: 'The metrics token is required (Authorization: Bearer …)' } });
  }
  const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(ok.status, 200);
  t.match(await ok.text(), /postern_/);
});

t.test('the OpenAPI document lists API routes only', async (t) => {
  const { url } = await startTestApp(t);
  const doc = (await (await fetch(`${url}/api/docs/json`)).json()) as { paths: Record<string, unknown> };
  const paths = Object.keys(doc.paths);
  t.ok(paths.includes('/api/v1/users'), 'API routes are there');
  t.same(paths.filter((p) => !p.startsWith('/api/v1/')), [], 'nothing else (no /admin pages, no public links)');
});
