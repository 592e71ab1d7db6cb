/* /api/v1/accounts (upstream SMTP accounts: CRUD, health, test connection, resume), /api/v1/dkim and /api/v1/sandbox. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, mapPage, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { toPublic } from '../../outbound/accounts/service.js';
import { notFound } from '../../errors.js';

const Account = Type.Object({
  id: Type.Integer(), name: Type.String(), kind: Type.String(), host: Type.String(), port: Type.Integer(), security: Type.String(), username: Nullable(Type.String()),
  hasPassword: Type.Boolean(), verifyCert: Type.Boolean(), allowedFrom: Type.Array(Type.String()), fromName: Type.String(), messageTypeId: Nullable(Type.Integer()),
  ratePerSecond: Nullable(Type.Integer()), ratePerHour: Nullable(Type.Integer()), ratePerDay: Nullable(Type.Integer()), maxConnections: Type.Integer(), active: Type.Boolean(),
  isDefault: Type.Boolean(), pausedAt: Nullable(Ms()), pausedReason: Nullable(Type.String()), slowUntil: Nullable(Ms('sending slowly until (epoch ms)')),
  lastSuccessAt: Nullable(Ms()), lastError: Nullable(Type.String()), lastErrorAt: Nullable(Ms()), createdAt: Ms(), updatedAt: Ms(),
  managedBy: Nullable(Type.Object({ imapAccountId: Type.Integer() }, { description: 'the IMAP account whose own SMTP side this is: read-only here (PATCH answers 409), change it there' })),
});
const Health = Type.Object({
  sentThisHour: Type.Integer(), sentToday: Type.Integer(), limitHour: Nullable(Type.Integer()), limitDay: Nullable(Type.Integer()), paused: Type.Boolean(),
  pausedReason: Nullable(Type.String()), lastSuccessAt: Nullable(Ms()), lastError: Nullable(Type.String()), lastErrorAt: Nullable(Ms()), slowUntil: Nullable(Ms()),
});
const DkimKey = Type.Object({
  id: Type.Integer(), domain: Type.String(), selector: Type.String(), active: Type.Boolean(), dnsName: Type.String(), dnsValue: Type.String({ description: 'the TXT record to publish' }),
  createdAt: Ms(), retiredAt: Nullable(Ms()),
});
const SandboxMail = Type.Object({
  id: Type.Integer(), queueId: Type.Integer(), accountId: Nullable(Type.Integer()), recipient: Type.String(), subject: Nullable(Type.String()), createdAt: Ms(),
});
const Input = Type.Object({
  name: Type.String({ maxLength: 100 }), kind: Type.Optional(Type.Union([Type.Literal('smtp'), Type.Literal('sandbox')])), host: Type.Optional(Type.String({ maxLength: 253 })),
  port: Type.Optional(Type.Integer()), security: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('starttls'), Type.Literal('tls')])),
  username: Type.Optional(Nullable(Type.String({ maxLength: 255 }))), password: Type.Optional(Nullable(Type.String({ maxLength: 1000, description: 'write-only' }))),
  verifyCert: Type.Optional(Type.Boolean()), allowedFrom: Type.Optional(Type.Array(Type.String())), fromName: Type.Optional(Type.String({ maxLength: 200 })),
  messageTypeId: Type.Optional(Nullable(Type.Integer())), ratePerSecond: Type.Optional(Nullable(Type.Integer())), ratePerHour: Type.Optional(Nullable(Type.Integer())),
  ratePerDay: Type.Optional(Nullable(Type.Integer())), maxConnections: Type.Optional(Type.Integer()), active: Type.Optional(Type.Boolean()),
  isDefault: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

export function accountsApi(app: Api, s: Services) {
  const tags = ['accounts'];
  app.get('/accounts', { schema: { tags, summary: 'Upstream accounts', querystring: ListQuery, response: { 200: pageOf(Account) } } }, async (req) =>
    mapPage(await s.accounts.repo.list(listArgs(req.query)), (a) => camelKeys(toPublic(a))));
  app.post('/accounts', { schema: { tags, summary: 'Add an upstream SMTP account', body: Input, response: { 201: Account, ...errors(400) } } }, async (req, reply) => { reply.status(201); return camelKeys(await s.accounts.create(req.body)); });
  app.get('/accounts/:id', { schema: { tags, summary: 'One account with its health', params: IdParams, response: { 200: Type.Intersect([Account, Type.Object({ health: Health })]), ...errors(404) } } },
    async (req) => { const a = await s.accounts.get(req.params.id); return { ...camelKeys(toPublic(a)), health: await s.accounts.health(a) }; });
  app.patch('/accounts/:id', { schema: { tags, summary: 'Change an account (password is write-only; an IMAP account\'s own SMTP side is 409)', params: IdParams, body: Type.Partial(Input), response: { 200: Account, ...errors(400, 404, 409) } } }, async (req) => camelKeys(await s.accounts.update(req.params.id, req.body)));
  app.post('/accounts/:id/test', { schema: { tags, summary: 'Test connection: names the failed stage (DNS, TCP, TLS, AUTH)', params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean(), stage: Type.String(), message: Type.String() }) } } }, async (req) => s.accounts.testConnection(req.params.id));
  app.post('/accounts/:id/resume', { schema: { tags, summary: 'Resume a paused account', params: IdParams, response: { 200: Account, ...errors(404) } } }, async (req) => { await s.accounts.resume(req.params.id); return camelKeys(toPublic(await s.accounts.get(req.params.id))); });

  app.get('/dkim', { schema: { tags: ['dkim'], summary: 'DKIM keys with their DNS records', response: { 200: Type.Object({ items: Type.Array(DkimKey) }) } } },
    async () => ({ items: (await s.dkim.list()).map((k) => camelKeys(k)) }));
  app.post('/dkim', { schema: { tags: ['dkim'], summary: 'Generate (or rotate) the key of a From domain', body: Type.Object({ domain: Type.String(), selector: Type.Optional(Type.String()) }), response: { 201: DkimKey, ...errors(400) } } },
    async (req, reply) => { reply.status(201); return camelKeys(await s.dkim.generate(req.body.domain, req.body.selector)); });

  app.get('/sandbox', { schema: { tags: ['sandbox'], summary: 'Messages the sandbox account stored instead of sending', querystring: ListQuery, response: { 200: pageOf(SandboxMail) } } },
    async (req) => camelPage(await s.sandbox.list(listArgs(req.query))));
  app.get('/sandbox/:id/raw', { schema: { tags: ['sandbox'], summary: 'One stored message as .eml', params: IdParams } }, async (req, reply) => {
    const m = await s.sandbox.get(req.params.id); if (!m) throw notFound('Sandbox message');
    reply.type('message/rfc822'); return m.raw;
  });
}
