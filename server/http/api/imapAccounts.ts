/* /api/v1/imap-accounts: IMAP accounts (list, create, read with sync status, change, remove), "test connection" by stage, and the sync toggle. Passwords are write-only. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import type { Principal } from '../../auth/access.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import type { FolderRow } from '../../db/repos/imap/sync.js';

const Security = Type.Union([Type.Literal('tls'), Type.Literal('starttls'), Type.Literal('none')]);
const Folder = Type.Object({
  name: Type.String(), uidvalidity: Nullable(Type.String()), state: Type.String(), lastSyncAt: Nullable(Ms()), fetched: Type.Integer(), duplicates: Type.Integer(),
  failed: Type.Integer(), lastError: Nullable(Type.String()),
});
const Account = Type.Object({
  id: Type.Integer(), name: Type.String(), kind: Type.String({ description: 'group | personal' }), userId: Nullable(Type.Integer()), host: Type.String(), port: Type.Integer(),
  security: Type.String(), username: Type.String(), hasPassword: Type.Boolean({ description: 'the password is write-only' }), folders: Type.Array(Type.String()),
  verifyCert: Type.Boolean(),
  mailboxAddress: Nullable(Type.String({ description: 'group: one of our mailboxes; its settings (createCases, autoReply, teams, assignment) route this account\'s mail' })), smtpAccountId: Nullable(Type.Integer()), smtpHost: Nullable(Type.String()), smtpPort: Nullable(Type.Integer()),
  smtpSecurity: Nullable(Type.String()), smtpUsername: Nullable(Type.String()), hasSmtpPassword: Type.Boolean(), useForIntegration: Type.Boolean(), active: Type.Boolean(),
  syncEnabled: Type.Boolean(), maxAgeDays: Nullable(Type.Integer()),
  state: Type.String({ description: 'connecting | syncing | idle | auth_error | connect_error | disabled | stalled' }), lastSyncAt: Nullable(Ms()), lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Ms()), syncNode: Nullable(Type.String({ description: 'the node holding the sync lease' })), createdAt: Ms(), updatedAt: Ms(),
});
const Detail = Type.Intersect([Account, Type.Object({ folderStatus: Type.Array(Folder) })]);
const Input = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }), kind: Type.Union([Type.Literal('group'), Type.Literal('personal')]),
  host: Type.String({ minLength: 1, maxLength: 253 }), port: Type.Integer({ minimum: 1, maximum: 65535 }), security: Security,
  username: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1000, description: 'write-only; sealed at rest' }),
  folders: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 191 }), { minItems: 1, maxItems: 20, description: 'default ["INBOX"]' })),
  verifyCert: Type.Optional(Type.Boolean()), mailboxAddress: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
  userId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'owner of a personal account (default: the key\'s user)' }))), active: Type.Optional(Type.Boolean()),
  smtpAccountId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  smtpHost: Type.Optional(Nullable(Type.String({ maxLength: 253 }))), smtpPort: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 65535 }))),
  smtpSecurity: Type.Optional(Nullable(Security)), smtpUsername: Type.Optional(Nullable(Type.String({ maxLength: 320 }))),
  smtpPassword: Type.Optional(Nullable(Type.String({ maxLength: 1000, description: 'write-only' }))), useForIntegration: Type.Optional(Type.Boolean()),
  syncEnabled: Type.Optional(Type.Boolean()), maxAgeDays: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 36500, description: 'first sync: only mail younger than this' }))),
}, { additionalProperties: false });
const TestResult = Type.Object({
  ok: Type.Boolean(), stage: Type.String({ description: 'the stage that failed (dns, tcp, tls, login, select), or ok' }), message: Type.String({ description: 'the server\'s own words' }),
  smtp: Nullable(Type.Object({ ok: Type.Boolean(), stage: Type.String(), message: Type.String() })),
});
const Query = Type.Intersect([ListQuery, Type.Object({ kind: Type.Optional(Type.String({ maxLength: 16 })), state: Type.Optional(Type.String({ maxLength: 16 })) })]);

const folder = (f: FolderRow) => ({
  name: f.name, uidvalidity: f.uidvalidity, state: f.state, lastSyncAt: f.last_sync_at, fetched: f.fetched, duplicates: f.duplicates, failed: f.failed, lastError: f.last_error,
});

export function imapAccountsApi(app: Api, s: Services) {
  const tags = ['imap'];
  const actor = (req: { principal?: Principal }): Principal => req.principal ?? { role: 'admin', userId: null };
  const detail = async (id: number, p: Principal) => ({ ...camelKeys(s.imap.publicOf(await s.imap.get(id, p))), folderStatus: (await s.imap.folders(id, p)).map(folder) });

  app.get('/imap-accounts', { schema: { tags, summary: 'IMAP accounts (an agent sees its own personal ones)', querystring: Query, response: { 200: pageOf(Account) } } }, async (req) => {
    const { kind, state, ...q } = req.query;
    const page = await s.imap.list({ ...listArgs(q), filters: { kind, state } }, actor(req));
    return { items: page.items.map((a) => camelKeys(s.imap.publicOf(a))), total: page.total, page: page.page, perPage: page.perPage };
  });
  app.post('/imap-accounts', { schema: { tags, summary: 'Add an IMAP account (group: admins; personal: its owner or an admin)', body: Input, response: { 201: Account, ...errors(400, 403) } } },
    async (req, reply) => { reply.status(201); return camelKeys(await s.imap.create(req.body, actor(req))); });
  app.get('/imap-accounts/:id', { schema: { tags, summary: 'One IMAP account with its sync state per folder', params: IdParams, response: { 200: Detail, ...errors(404) } } },
    async (req) => detail(req.params.id, actor(req)));
  app.patch('/imap-accounts/:id', { schema: { tags, summary: 'Change an IMAP account (an absent password keeps the stored one)', params: IdParams, body: Type.Partial(Input), response: { 200: Account, ...errors(400, 403, 404) } } },
    async (req) => camelKeys(await s.imap.update(req.params.id, req.body, actor(req))));
  app.delete('/imap-accounts/:id', { schema: { tags, summary: 'Remove an IMAP account (mail already fetched stays)', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await s.imap.remove(req.params.id, actor(req));
    return reply.status(204).send(null);
  });
  app.post('/imap-accounts/:id/test', { schema: { tags, summary: 'Test the connection stage by stage (dns, tcp, tls, login, select) and the sending side', params: IdParams, response: { 200: TestResult, ...errors(404) } } },
    async (req) => s.imap.testConnection(req.params.id, actor(req)));
}
