/*
 * The error mapping on a bare Fastify instance (inject, no socket): AppErrors keep their
 * code and status, schema failures name fields, anything else is a 500 whose detail never
 * reaches the client; API paths answer JSON, admin pages answer HTML.
 */
import t from 'tap';
import Fastify from 'fastify';
import { installErrorHandlers } from '../../../server/http/errors.js';
import { AppError, invalid, notFound } from '../../../server/errors.js';

async function build() {
  const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: true } } });
  installErrorHandlers(app);
  const routes: Record<string, () => never> = {
    notfound: () => { throw notFound('Team'); },
    invalid: () => { throw invalid([{ field: 'name', message: 'is taken' }]); },
    limited: () => { throw new AppError('rate_limited', 'slow down'); },
    storage: () => { throw new AppError('storage_failed', 'disk full at /var/lib/secret'); },
    plain: () => { throw new Error('password=hunter2'); },
    teapot: () => { throw Object.assign(new Error('short and stout'), { statusCode: 418 }); },
    five: () => { throw Object.assign(new Error('upstream said: token abc'), { statusCode: 502 }); },
  };
  for (const [name, fn] of Object.entries(routes)) {
    app.get(`/api/v1/${name}`, fn);
    app.get(`/admin/${name}`, fn);
  }
  app.post('/api/v1/typed', { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, n: { type: 'integer' } } } } }, async () => ({ ok: true }));
  return app;
}

t.test('API errors are {error:{code,message}}; 5xx details hidden', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const cases: Array<[string, number, Record<string, unknown>]> = [
    ['notfound', 404, { code: 'not_found', message: 'Team not found' }],
    ['invalid', 400, { code: 'validation_failed', message: 'Some fields are not valid', fields: [{ field: 'name', message: 'is taken' }] }],
    ['limited', 429, { code: 'rate_limited', message: 'slow down' }],
    ['storage', 503, { code: 'storage_failed', message: 'Service temporarily unavailable' }],
    ['plain', 500, { code: 'internal', message: 'Internal server error' }],
    ['teapot', 418, { code: 'bad_request', message: 'short and stout' }],
    ['five', 500, { code: 'internal', message: 'Internal server error' }],
  ];
  for (const [name, status, error] of cases) {
    const r = await app.inject({ url: `/api/v1/${name}` });
    t.equal(r.statusCode, status, name);
    t.match(r.headers['content-type'], /application\/json/);
    t.same(r.json(), { error }, name);
  }
  const v = await app.inject({ method: 'POST', url: '/api/v1/typed', payload: { n: 'x' } });
  t.equal(v.statusCode, 400);
  t.equal(v.json().error.code, 'validation_failed');
  t.same(v.json().error.fields.map((f: { field: string }) => f.field).sort(), ['n', 'name']);
  const nf = await app.inject({ url: '/api/v1/nope?x=1' });
  t.equal(nf.statusCode, 404);
  t.same(nf.json(), { error: { code: 'not_found', message: 'No route GET /api/v1/nope' } });
});

t.test('admin pages get an HTML error page, escaped, with the same rule for 5xx', async (t) => {
  const app = await build();
  t.teardown(() => app.close());
  const nf = await app.inject({ url: '/admin/notfound' });
  t.equal(nf.statusCode, 404);
  t.match(nf.headers['content-type'], /text\/html/);
  t.match(nf.body, /<h1>404<\/h1><p>Team not found<\/p>/);
  const plain = await app.inject({ url: '/admin/plain' });
  t.equal(plain.statusCode, 500);
  t.notMatch(plain.body, /hunter2/);
  t.match(plain.body, /Internal server error/);
  const missing = await app.inject({ url: '/admin/<script>' });
  t.equal(missing.statusCode, 404);
  t.notMatch(missing.body, /<script>/);
  const asJson = await app.inject({ url: '/admin/notfound', headers: { accept: 'application/json' } });
  t.same(asJson.json(), { error: { code: 'not_found', message: 'Team not found' } }, 'a JSON client gets JSON anywhere');
});
