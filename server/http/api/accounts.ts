/* /api/v1/accounts (upstream SMTP accounts: CRUD, health, test connection, resume), /api/v1/dkim and /api/v1/sandbox. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors } from './schemas.js';
import { toPublic } from '../../outbound/accounts/service.js';
import { notFound } from '../../errors.js';

const N = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
const Account = Type.Object({
  id: Type.Integer(), name: Type.String(), kind: Type.String(), host: Type.String(), port: Type.Integer(), security: Type.String(), username: N(Type.String()),
  has_password: Type.Boolean(), verify_cert: Type.Boolean(), allowed_from: Type.Array(Type.String()), from_name: Type.String(), message_type_id: N(Type.Integer()),
  rate_per_second: N(Type.Integer()), rate_per_hour: N(Type.Integer()), rate_per_day: N(Type.Integer()), max_connections: Type.Integer(), active: Type.Boolean(),
  is_default: Type.Boolean(), paused_at: N(Type.Integer()), paused_reason: N(Type.String()), last_success_at: N(Type.Integer()), last_error: N(Type.String()), last_error_at: N(Type.Integer()),
});
const Input = Type.Object({
  name: Type.String({ maxLength: 100 }), kind: Type.Optional(Type.Union([Type.Literal('smtp'), Type.Literal('sandbox')])), host: Type.Optional(Type.String({ maxLength: 253 })),
  port: Type.Optional(Type.Integer()), security: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')])),
  username: Type.Optional(N(Type.String({ maxLength: 255 }))), password: Type.Optional(N(Type.String({ maxLength: 1000, description: 'write-only' }))),
  verifyCert: Type.Optional(Type.Boolean()), allowedFrom: Type.Optional(Type.Array(Type.String())), fromName: Type.Optional(Type.String({ maxLength: 200 })),
  messageTypeId: Type.Optional(N(Type.Integer())), ratePerSecond: Type.Optional(N(Type.Integer())), ratePerHour: Type.Optional(N(Type.Integer())),
  ratePerDay: Type.Optional(N(Type.Integer())), maxConnections: Type.Optional(Type.Integer()), active: Type.Optional(Type.Boolean()), isDefault: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export function accountsApi(app: Api, s: Services) {
  const tags = ['accounts'];
  app.get('/accounts', { schema: { tags, summary: 'Upstream accounts', querystring: ListQuery, response: { 200: pageOf(Account) } } }, async (req) => {
    const p = await s.accounts.repo.list(req.query); return { ...p, items: p.items.map(toPublic) };
  });
  app.post('/accounts', { schema: { tags, summary: 'Add an upstream SMTP account', body: Input, response: { 201: Account, ...errors(400) } } }, async (req, reply) => { reply.status(201); return s.accounts.create(req.body); });
  app.get('/accounts/:id', { schema: { tags, summary: 'One account with its health', params: IdParams, response: { 200: Type.Intersect([Account, Type.Object({ health: Type.Unknown() })]), ...errors(404) } } },
    async (req) => { const a = await s.accounts.get(req.params.id); return { ...toPublic(a), health: await s.accounts.health(a) }; });
  app.patch('/accounts/:id', { schema: { tags, summary: 'Change an account (password is write-only)', params: IdParams, body: Type.Partial(Input), response: { 200: Account, ...errors(400, 404) } } }, async (req) => s.accounts.update(req.params.id, req.body));
  app.post('/accounts/:id/test', { schema: { tags, summary: 'Test connection: names the failed stage (DNS, TCP, TLS, AUTH)', params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean(), stage: Type.String(), message: Type.String() }) } } }, async (req) => s.accounts.testConnection(req.params.id));
  app.post('/accounts/:id/resume', { schema: { tags, summary: 'Resume a paused account', params: IdParams, response: { 200: Account, ...errors(404) } } }, async (req) => { await s.accounts.resume(req.params.id); return toPublic(await s.accounts.get(req.params.id)); });

  app.get('/dkim', { schema: { tags: ['dkim'], summary: 'DKIM keys with their DNS records' } }, async () => ({ items: await s.dkim.list() }));
  app.post('/dkim', { schema: { tags: ['dkim'], summary: 'Generate (or rotate) the key of a From domain', body: Type.Object({ domain: Type.String(), selector: Type.Optional(Type.String()) }), response: { 201: Type.Unknown(), ...errors(400) } } },
    async (req, reply) => { reply.status(201); return s.dkim.generate(req.body.domain, req.body.selector); });

  app.get('/sandbox', { schema: { tags: ['sandbox'], summary: 'Messages the sandbox account stored instead of sending', querystring: ListQuery } }, async (req) => s.sandbox.list(req.query));
  app.get('/sandbox/:id/raw', { schema: { tags: ['sandbox'], summary: 'One stored message as .eml', params: IdParams } }, async (req, reply) => {
    const m = await s.sandbox.get(req.params.id); if (!m) throw notFound('Sandbox message');
    reply.type('message/rfc822'); return m.raw;
  });
}
