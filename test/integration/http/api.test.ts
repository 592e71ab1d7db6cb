/*
 * The JSON API over real HTTP on every database: API-key auth, errors as
 * {error:{code,message}}, 5xx details hidden, users/teams/apikeys CRUD, OpenAPI, health, metrics.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';
import type { Feature } from '../../../server/feature.js';
import { FEATURES } from '../../../server/app.js';

const boom: Feature = {
  name: 'boom',
  api: [(app) => { app.get('/boom', async () => { throw new Error('secret internal detail: password=hunter2'); }); }],
  ui: [(app) => { app.get('/boom', async () => { throw new Error('secret internal detail: password=hunter2'); }); }],
};

void eachDb(t, async (t, tdb) => {
  const { api, url, app } = await startTestApp(t, { tdb, features: [...FEATURES, boom] });
  const json = async (r: Response | Promise<Response>): Promise<any> => (await r).json();

  await t.test('API keys: missing, malformed, unknown and revoked keys get 401 JSON', async (t) => {
    for (const h of [undefined, 'Bearer', 'Bearer nope', 'Basic abc', 'Bearer pst_000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa']) {
      const res = await fetch(`${url}/api/v1/users`, { headers: h ? { authorization: h } : {} });
      t.equal(res.status, 401, String(h));
      t.equal((await json(res)).error.code, 'unauthorized');
    }
    const created = await json(api('/api/v1/apikeys', { method: 'POST', body: JSON.stringify({ name: 'temp' }) }));
    t.match(created.key, /^pst_[0-9a-f]{12}_/);
    const tampered = `${created.key.slice(0, -4)}AAAA` === created.key ? `${created.key.slice(0, -4)}BBBB` : `${created.key.slice(0, -4)}AAAA`;
    const bad = await fetch(`${url}/api/v1/teams`, { headers: { authorization: `Bearer ${tampered}` } });
    t.equal(bad.status, 401, 'the right prefix with a wrong secret');
    t.equal(bad.headers.get('www-authenticate'), 'Bearer realm="postern"');
    t.same(Object.keys((await json(bad)).error).sort(), ['code', 'message']);
    t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${created.key}` } })).status, 200);
    t.equal((await api(`/api/v1/apikeys/${created.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${created.key}` } })).status, 401, 'revoked');
    const list = await json(api('/api/v1/apikeys'));
    t.notOk(JSON.stringify(list).includes(created.key.slice(17)), 'the secret is never listed');
    const row = await tdb.db.knex('api_keys').where({ id: created.id }).first();
    t.notMatch(JSON.stringify(row), created.key.slice(17), 'only a hash is stored');
  });

  await t.test('users CRUD with validation errors naming fields', async (t) => {
    const bad = await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'bad name', password: 'short', email: 'nope' }) });
    t.equal(bad.status, 400);
    const body = await json(bad);
    t.equal(body.error.code, 'validation_failed');
    t.same(body.error.fields.map((f: any) => f.field).sort(), ['email', 'password', 'username']);
    const res = await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'agent1', password: 'long enough pw', role: 'agent', email: 'a@example.com' }) });
    t.equal(res.status, 201);
    const u = await json(res);
    t.match(u, { username: 'agent1', role: 'agent', active: true });
    t.notOk('passwordHash' in u || 'password_hash' in u, 'hash never returned');
    const hash = (await tdb.db.knex('users').where({ id: u.id }).first()).password_hash;
    t.match(hash, /^\$argon2id\$/, 'argon2id hash');
    t.equal((await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'agent1', password: 'long enough pw' }) })).status, 400, 'taken');
    const patched = await json(api(`/api/v1/users/${u.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Agent One', active: false }) }));
    t.match(patched, { name: 'Agent One', active: false });
    t.equal((await api(`/api/v1/users/${u.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await api(`/api/v1/users/${u.id}`)).status, 404);
    const admin = (await json(api('/api/v1/users?role=admin'))).items[0];
    const last = await api(`/api/v1/users/${admin.id}`, { method: 'PATCH', body: JSON.stringify({ role: 'agent' }) });
    t.equal(last.status, 409, 'the last admin cannot be demoted');
  });

  await t.test('teams with members', async (t) => {
    const admin = (await json(api('/api/v1/users?role=admin'))).items[0];
    const team = await json(api('/api/v1/teams', { method: 'POST', body: JSON.stringify({ name: 'Support', memberIds: [admin.id] }) }));
    t.equal(team.name, 'Support');
    t.same((await json(api(`/api/v1/teams/${team.id}`))).memberIds, [admin.id]);
    t.equal((await api('/api/v1/teams', { method: 'POST', body: JSON.stringify({ name: 'Support' }) })).status, 400, 'unique name');
    t.equal((await json(api('/api/v1/teams'))).items[0].memberCount, 1);
    t.equal((await api(`/api/v1/teams/${team.id}`, { method: 'DELETE' })).status, 204);
  });

  await t.test('errors: unknown route 404 JSON, 5xx hides details, bad JSON 400', async (t) => {
    const nf = await api('/api/v1/nothing-here');
    t.equal(nf.status, 404);
    t.equal((await json(nf)).error.code, 'not_found');
    const b = await api('/api/v1/boom');
    t.equal(b.status, 500);
    t.same(await json(b), { error: { code: 'internal', message: 'Internal server error' } });
    const page = await fetch(`${url}/admin/boom`);
    t.equal(page.status, 500, 'the admin UI too');
    const html = await page.text();
    t.match(html, /Internal server error/);
    t.notMatch(html, /hunter2|secret internal/, 'the UI never shows the detail either');
    const schema = await api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 5, password: 'long enough pw', role: 'boss' }) });
    t.equal(schema.status, 400, 'schema validation');
    const sb = await json(schema);
    t.equal(sb.error.code, 'validation_failed');
    t.ok(sb.error.fields.some((f: any) => f.field === 'role'), 'names the field');
    const bj = await fetch(`${url}/api/v1/teams`, { method: 'POST', headers: { authorization: `Bearer ${(await app.services.auth.createApiKey('x', null)).key}`, 'content-type': 'application/json' }, body: '{"name":' });
    t.equal(bj.status, 400);
    t.ok((await json(bj)).error.code);
  });

  await t.test('OpenAPI document lists the resources', async (t) => {
    const doc = await json(fetch(`${url}/api/docs/json`));
    t.match(doc.openapi, /^3\./);
    for (const p of ['/api/v1/users', '/api/v1/users/{id}', '/api/v1/teams', '/api/v1/apikeys', '/api/v1/jobs', '/api/v1/suppressions']) t.ok(doc.paths[p], p);
    t.equal((await fetch(`${url}/api/docs/`)).status, 200, 'the docs page');
  });

  await t.test('metrics', async (t) => {
    const res = await fetch(`${url}/metrics`);
    t.equal(res.status, 200);
    t.match(res.headers.get('content-type'), /^text\/plain/);
    const m = await res.text();
    t.match(m, /# TYPE postern_http_request_duration_seconds histogram/);
    t.match(m, /postern_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/users"/, 'labelled by route pattern');
    t.match(m, /postern_process_cpu_user_seconds_total/);
    t.match(m, /postern_process_resident_memory_bytes|postern_nodejs_heap_size_used_bytes/);
  });

  // Last: it closes the app's database.
  await t.test('healthz: 200 with the database up, 503 once it is gone', async (t) => {
    const ok = await fetch(`${url}/healthz`);
    t.equal(ok.status, 200);
    t.match(await ok.json(), { status: 'ok' });
    await app.ctx.db.close();
    const res = await fetch(`${url}/healthz`);
    t.equal(res.status, 503);
    const body = (await res.json()) as any;
    t.equal(body.status, 'error');
    t.equal(body.error.code, 'db_unavailable');
    t.notMatch(JSON.stringify(body), /pool|destroy|knex|sqlite|mysql/i, 'no driver details');
  });
});
