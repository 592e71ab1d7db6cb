/*
 * /api/v1/follows: follow (PUT) and unfollow (DELETE) a record or case `{targetType, targetId}`,
 * and list what the caller follows; the record links they rest on: a message's linked records
 * (/inbound/{id}/links) and a record's messages (/records/{type}/{id}/emails). Agents see only
 * the cases and messages of their mailboxes.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors, IdParams, Ms, Nullable } from './schemas.js';
import { inboundScope, mailboxIdsOf, type Principal } from '../../auth/access.js';
import { notFound } from '../../errors.js';
import { TYPE_OF_PLURAL } from '../../records/types.js';
import { userOf, UserIdField } from './notifications.js';

const TargetType = Type.Union([Type.Literal('account'), Type.Literal('contact'), Type.Literal('lead'), Type.Literal('case')]);
const Target = Type.Object({ targetType: TargetType, targetId: Type.Integer({ minimum: 1 }), userId: UserIdField }, { additionalProperties: false });
const LinkedMessage = Type.Object({
  inboundId: Type.Integer(), role: Type.String(), subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()), kind: Nullable(Type.String()), receivedAt: Ms(),
});
const Following = Type.Object({ targetType: Type.String(), targetId: Type.Integer(), following: Type.Boolean() });

export function followsApi(app: Api, s: Services) {
  const tags = ['follows'];
  const scopeOf = async (req: { principal?: Principal }) => s.access.scopeOf(req.principal!);
  app.get('/follows', { schema: { tags, summary: 'What the caller follows', querystring: Type.Object({ userId: UserIdField }),
    response: { 200: Type.Object({ items: Type.Array(Type.Object({ targetType: Type.String(), targetId: Type.Integer(), auto: Type.Boolean({ description: 'followed by a case assignment' }), since: Ms() })) }), ...errors(400, 403) } } },
  async (req) => ({ items: await s.follows.ofUser(userOf(req.principal, req.query.userId)) }));
  app.put('/follows', { schema: { tags, summary: 'Follow a record or case: its mail notifies you', body: Target, response: { 200: Following, ...errors(400, 403, 404) } } }, async (req) => {
    const { targetType, targetId, userId } = req.body;
    const r = await s.follows.follow(userOf(req.principal, userId), targetType, targetId, mailboxIdsOf(await scopeOf(req)));
    return { targetType, targetId, ...r };
  });
  app.delete('/follows', { schema: { tags, summary: 'Unfollow a record or case (a later case assignment does not follow it again)', body: Target, response: { 200: Following, ...errors(400, 403, 404) } } }, async (req) => {
    const { targetType, targetId, userId } = req.body;
    const r = await s.follows.unfollow(userOf(req.principal, userId), targetType, targetId, mailboxIdsOf(await scopeOf(req)));
    return { targetType, targetId, ...r };
  });

  app.get('/inbound/:id/links', {
    schema: { tags: ['inbound'], summary: 'The records a message is linked to (by its From/To/Cc addresses, and a linked contact\'s account)', params: IdParams,
      response: { 200: Type.Object({ items: Type.Array(Type.Object({ recordType: Type.String(), recordId: Type.Integer(), role: Type.String({ description: 'from | to | cc | account-of-contact' }), name: Type.String() })) }), ...errors(404) } },
  }, async (req) => {
    if (!(await s.inboundPipeline.repo.get(req.params.id, inboundScope(await scopeOf(req))))) throw notFound('Message');
    return { items: await s.links.ofMessage(req.params.id) };
  });
  app.get('/records/:type/:id/emails', {
    schema: { tags: ['records'], summary: 'The inbound messages linked to a record, newest first',
      params: Type.Object({ type: Type.Union([Type.Literal('accounts'), Type.Literal('contacts'), Type.Literal('leads')]), id: Type.Integer({ minimum: 1 }) }),
      querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1 })), perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })) }),
      response: { 200: Type.Object({ items: Type.Array(LinkedMessage), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }), ...errors(404) } },
  }, async (req) => {
    const type = TYPE_OF_PLURAL[req.params.type]!;
    await s.records.get(type, req.params.id);
    return s.links.messagesOf(type, req.params.id, { ...req.query, mailboxIds: mailboxIdsOf(await scopeOf(req)) });
  });
}
