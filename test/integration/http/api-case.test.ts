/*
 * One API convention, on every database: every property name and query parameter of the
 * /api/v1 routes in the OpenAPI document is camelCase (no `_`), the JSON the routes answer
 * has no snake_case key at any depth, and `sort` takes a camelCase field name.
 */
import t from 'tap';
import { eachDb } from '../../helpers/db.js';
import { startTestApp } from '../../helpers/app.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Property names (and required entries) of a JSON Schema, at any depth, with where they were found. */
function schemaNames(s: Json, at: string, out: Array<[string, string]>) {
  if (Array.isArray(s)) { s.forEach((x, i) => schemaNames(x, `${at}[${i}]`, out)); return; }
  if (!s || typeof s !== 'object') return;
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)) for (const name of Object.keys(v)) out.push([name, `${at}.properties`]);
    if (k === 'required' && Array.isArray(v)) for (const name of v) if (typeof name === 'string') out.push([name, `${at}.required`]);
    schemaNames(v, `${at}.${k}`, out);
  }
}

/** Keys of a JSON value at any depth. */
function jsonKeys(v: unknown, at: string, out: Array<[string, string]>) {
  if (Array.isArray(v)) { v.forEach((x, i) => jsonKeys(x, `${at}[${i}]`, out)); return; }
  if (!v || typeof v !== 'object') return;
  for (const [k, x] of Object.entries(v)) { out.push([k, at]); jsonKeys(x, `${at}.${k}`, out); }
}

void eachDb(t, async (t, tdb) => {
  let now = Date.now();
  const { url, api } = await startTestApp(t, { tdb, clock: { now: () => now } });
  const json = async (r: Response | Promise<Response>) => (await r).json() as Promise<{ [k: string]: Json }>;
  const post = (path: string, body: unknown) => api(path, { method: 'POST', body: JSON.stringify(body) });

  await t.test('the OpenAPI document shows only camelCase names for /api/v1', async (t) => {
    const doc = await json(fetch(`${url}/api/docs/json`));
    const paths = Object.entries(doc.paths as Record<string, Record<string, Json>>).filter(([p]) => p.startsWith('/api/v1/'));
    t.ok(paths.length >= 40, `${paths.length} paths`);
    const names: Array<[string, string]> = [];
    let bodies = 0, responses = 0, params = 0;
    for (const [path, ops] of paths) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op || typeof op !== 'object' || Array.isArray(op)) continue;
        const where = `${method.toUpperCase()} ${path}`;
        for (const p of (op.parameters ?? []) as Array<{ name: string; in: string; schema?: Json }>) {
          params++;
          names.push([p.name, `${where} ${p.in} parameter`]);
          if (p.schema) schemaNames(p.schema, `${where} ${p.in} ${p.name}`, names);
        }
        if (op.requestBody) { bodies++; schemaNames(op.requestBody, `${where} body`, names); }
        if (op.responses) { responses++; schemaNames(op.responses, `${where} responses`, names); }
      }
    }
    schemaNames((doc.components ?? {}) as Json, 'components', names);
    t.ok(bodies >= 20 && responses >= 40 && params >= 40, `walked ${bodies} request bodies, ${responses} response sets, ${params} parameters`);
    for (const expected of ['createdAt', 'perPage', 'verifyCert', 'hasPassword', 'messageTypeId', 'attemptLog', 'bounceCount']) {
      t.ok(names.some(([n]) => n === expected), `${expected} is in the document`);
    }
    const snake = names.filter(([n]) => n.includes('_'));
    t.same(snake.map(([n, at]) => `${n} (${at})`), [], 'no property or parameter name contains "_"');
  });

  await t.test('the routes answer camelCase JSON at every depth', async (t) => {
    // A little of everything, so the lists and details have rows to show.
    const domain = await json(post('/api/v1/domains', { name: 'case.example' }));
    const mailbox = await json(post('/api/v1/mailboxes', { address: 'help@case.example', autoReply: { subject: 'Thanks', text: 'We got it' } }));
    t.match(mailbox, { domainId: domain.id, createCases: false, autoReply: { subject: 'Thanks', text: 'We got it' } });
    const tpl = await json(post('/api/v1/templates', { name: 'Case', subject: 'Hi', html: '<p>Hi</p>', isDefault: true }));
    t.match(tpl, { isDefault: true, createdAt: Number });
    const type = await json(post('/api/v1/message-types', { name: 'case' }));
    const cred = await json(post('/api/v1/smtp-credentials', { name: 'crm', allowedSenders: ['case.example'], ratePerMinute: 30 }));
    const acct = await json(post('/api/v1/accounts', { name: 'Relay', host: 'smtp.case.example', port: 587, security: 'starttls', username: 'u', password: 'p', verifyCert: false, allowedFrom: ['case.example'] }));
    t.match(acct, { hasPassword: true, verifyCert: false, allowedFrom: ['case.example'], maxConnections: Number, isDefault: false });
    await post('/api/v1/suppressions', { address: 'gone@else.example', note: 'case' });
    const team = await json(post('/api/v1/teams', { name: 'Case team' }));
    const sent = await json(post('/api/v1/messages', { from: 'news@case.example', to: ['a@else.example'], subject: 'Hello', text: 'Hi', messageTypeId: type.id }));
    t.equal((await api('/api/v1/dkim')).status, 200);
    const queueRow = (await json(api(`/api/v1/queue?messageId=${sent.messageId}`))).items as Array<{ id: number }>;
    t.equal(queueRow.length, 1);

    const routes = [
      '/api/v1/users', '/api/v1/users/1', '/api/v1/teams', `/api/v1/teams/${team.id}`, '/api/v1/apikeys', '/api/v1/jobs', '/api/v1/jobs/lease-sweeper',
      '/api/v1/templates', `/api/v1/templates/${tpl.id}`, '/api/v1/message-types', `/api/v1/message-types/${type.id}`,
      '/api/v1/smtp-credentials', '/api/v1/accounts', `/api/v1/accounts/${acct.id}`, '/api/v1/dkim', '/api/v1/sandbox',
      '/api/v1/suppressions', '/api/v1/suppressions/unmatched', '/api/v1/suppressions/groups?by=reason', '/api/v1/bounce-policy',
      '/api/v1/domains', `/api/v1/domains/${domain.id}`, '/api/v1/mailboxes', `/api/v1/mailboxes/${mailbox.id}`,
      '/api/v1/queue', '/api/v1/queue/counts', `/api/v1/queue/${queueRow[0]!.id}`, '/api/v1/inbound',
    ];
    const keys: Array<[string, string]> = [];
    for (const r of routes) {
      const res = await api(r);
      t.equal(res.status, 200, r);
      jsonKeys(await res.json(), r, keys);
    }
    jsonKeys([domain, mailbox, tpl, type, cred, acct, team, sent], 'POST answers', keys);
    t.same(keys.filter(([k]) => k.includes('_')).map(([k, at]) => `${k} (${at})`), [], 'no key contains "_"');
    t.ok(keys.some(([k]) => k === 'attemptLog') && keys.some(([k]) => k === 'createdAt'), 'nested and flat camelCase keys were seen');
  });

  await t.test('sort takes the camelCase field name', async (t) => {
    for (const name of ['b-type', 'a-type', 'c-type']) { now += 1000; await post('/api/v1/message-types', { name }); }
    const names = async (q: string) => ((await json(api(`/api/v1/message-types?${q}`))).items as Array<{ name: string }>).map((x) => x.name);
    const byName = await names('sort=name&dir=asc');
    t.same(byName, [...byName].sort(), 'by name');
    const newest = await names('sort=createdAt&dir=desc&perPage=3');
    const oldest = await names('sort=createdAt&dir=asc&perPage=200');
    t.same(newest, ['c-type', 'a-type', 'b-type'], 'by createdAt, newest first');
    t.same(oldest.slice(-3), ['b-type', 'a-type', 'c-type'], 'by createdAt, oldest first');
    t.same(await names('sort=created_at&dir=desc&perPage=200'), await names('dir=desc&perPage=200'), 'a snake_case sort is not a field: the default order');
  });

  await t.test('times are epoch ms, ISO 8601 accepted too', async (t) => {
    const total = async (q: string) => (await json(api(`/api/v1/inbound?${q}`))).total;
    for (const q of ['from=0', `to=${now}`, 'from=2024-01-01T00:00:00Z', 'to=2024-01-02']) t.equal(await total(q), 0, q);
    const bad = await api('/api/v1/inbound?from=yesterday-ish');
    t.equal(bad.status, 400);
    t.match(await bad.json(), { error: { code: 'validation_failed', fields: [{ field: 'from' }] } });
  });
});
