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
    t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${created.key}` } })).status, 200);
    t.equal((await api(`/api/v1/apikeys/${created.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await fetch(`${url}/api/v1/users`, { headers: { authorization: `Bearer ${created.key}` } })).status, 401, 'revoked');
    const list = await json(api('/api/v1/apikeys'));
    t.notOk(JSON.stringify(list).includes(created.key.split('_')[2]), 'the secret is never listed');
    const row = await tdb.db.knex('api_keys').where({ id: created.id }).first();
    t.notMatch(JSON.stringify(row), created.key.split('_')[2], 'only a hash is stored');
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
    t.notOk('password_hash' in u, 'hash never returned');
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
    t.equal((await json(api('/api/v1/teams'))).items[0].member_count, 1);
    t.equal((await api(`/api/v1/teams/${team.id}`, { method: 'DELETE' })).status, 204);
  });

  await t.test('errors: unknown route 404 JSON, 5xx hides details, bad JSON 400', async (t) => {
    const nf = await api('/api/v1/nothing-here');
    t.equal(nf.status, 404);
    t.equal((await json(nf)).error.code, 'not_found');
    const b = await api('/api/v1/boom');
    t.equal(b.status, 500);
    t.same(await json(b), { error: { code: 'internal', message: 'Internal server error' } });
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

  await t.test('metrics and health', async (t) => {
    const m = await (await fetch(`${url}/metrics`)).text();
    t.match(m, /postern_http_request_duration_seconds_bucket/);
    t.match(m, /postern_process_cpu_user_seconds_total/);
    const h = await fetch(`${url}/healthz`);
    t.equal(h.status, 200);
  });
});

t.test('healthz answers 503 when the database is gone', async (t) => {
  const { url, app } = await startTestApp(t);
  await app.ctx.db.knex.destroy();
  const res = await fetch(`${url}/healthz`);
  t.equal(res.status, 503);
  t.equal(((await res.json()) as any).status, 'error');
});
