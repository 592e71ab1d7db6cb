/*
 * /api/v1/cases: email-to-case — list (filters status, mailbox, assignedUserId, q), one case
 * with its message stream, and PATCH {status, assignedUserId, priority}. Agents see the cases
 * of their mailboxes only (auth/access.ts); others answer 404 like absent ones.
 * POST /cases/{id}/replies sends a reply from the case (routing/cases/reply.ts); GET shows it in `stream`.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs } from './schemas.js';
import { mailboxIdsOf, type Principal } from '../../auth/access.js';
import type { CaseRow } from '../../db/repos/cases/cases.js';
import { storedAddresses } from '../../routing/cases/reply.js';

const Status = Type.Union([Type.Literal('new'), Type.Literal('assigned'), Type.Literal('pending'), Type.Literal('closed')]);
const Priority = Type.Union([Type.Literal('low'), Type.Literal('normal'), Type.Literal('high'), Type.Literal('urgent')]);
export const CaseSchema = Type.Object({
  id: Type.Integer(), number: Type.Integer(), subject: Type.String(), status: Type.String(), priority: Type.String(), mailboxId: Nullable(Type.Integer()),
  mailboxIds: Type.Array(Type.Integer(), { description: 'every mailbox that sees the case' }), teamId: Nullable(Type.Integer()), assignedUserId: Nullable(Type.Integer()),
  accountId: Nullable(Type.Integer()), contactId: Nullable(Type.Integer()), leadId: Nullable(Type.Integer()), fromAddr: Type.String(),
  parentCaseId: Nullable(Type.Integer({ description: 'the closed case this one follows (reopen policy "new after N days")' })),
  followUpOf: Nullable(Type.Integer({ description: 'a recent case of the same sender: possibly a follow-up' })), closedAt: Nullable(Ms()), createdAt: Ms(), updatedAt: Ms(),
});
const Message = Type.Object({
  inboundId: Type.Integer(), rung: Type.String({ description: 'reply-address | references | subject-tag | new' }), reopened: Type.Boolean(), at: Ms(),
  subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()), kind: Nullable(Type.String()), messageId: Nullable(Type.String()),
});
// The case's stream: messages in and replies out, in time order.
const StreamItem = Type.Object({
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]), at: Ms(),
  inboundId: Nullable(Type.Integer({ description: 'in: the inbound message' })), outboundMessageId: Nullable(Type.Integer({ description: 'out: the queued outbound message' })),
  messageId: Nullable(Type.String()), subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()),
  to: Type.Optional(Type.Array(Type.String())), cc: Type.Optional(Type.Array(Type.String())), userId: Type.Optional(Nullable(Type.Integer({ description: 'out: the agent who replied' }))),
  state: Type.Optional(Nullable(Type.String({ description: 'out: delivery state (queued, sent, deferred, failed…)' }))),
  rung: Type.Optional(Type.String()), kind: Type.Optional(Nullable(Type.String())),
});
const ReplyBody = Type.Object({
  text: Type.String({ maxLength: 5 * 1024 * 1024, description: 'the reply (plain text)' }), html: Type.Optional(Nullable(Type.String({ maxLength: 5 * 1024 * 1024 }))),
  to: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100, description: 'default: the case\'s customer (the last sender)' })),
  cc: Type.Optional(Type.Array(Type.String({ maxLength: 320 }), { maxItems: 100 })),
  idempotencyKey: Type.Optional(Type.String({ maxLength: 100, description: 'repeating a request with the same key sends nothing new and answers the first reply' })),
}, { additionalProperties: false });
const Filters = Type.Object({
  status: Type.Optional(Status), mailbox: Type.Optional(Type.Integer({ minimum: 1, description: 'mailbox id' })), assignedUserId: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const caseOut = (c: CaseRow) => ({
  id: c.id, number: c.number, subject: c.subject, status: c.status, priority: c.priority, mailboxId: c.mailbox_id, mailboxIds: c.mailboxIds ?? (c.mailbox_id ? [c.mailbox_id] : []),
  teamId: c.team_id, assignedUserId: c.assigned_user_id, accountId: c.account_id, contactId: c.contact_id, leadId: c.lead_id, fromAddr: c.from_addr,
  parentCaseId: c.parent_case_id, followUpOf: c.follow_up_of, closedAt: c.closed_at, createdAt: c.created_at, updatedAt: c.updated_at,
});

export function casesApi(app: Api, s: Services) {
  const tags = ['cases'];
  const scopeOf = async (req: { principal?: Principal }) => mailboxIdsOf(await s.access.scopeOf(req.principal!));
  app.get('/cases', { schema: { tags, summary: 'Cases (email-to-case), newest first', querystring: Type.Intersect([ListQuery, Filters]), response: { 200: pageOf(CaseSchema) } } }, async (req) => {
    const { status, mailbox, assignedUserId, ...q } = req.query;
    const p = await s.cases.list({ ...listArgs(q), mailboxId: mailbox, scopeMailboxIds: await scopeOf(req), filters: { status, assigned_user_id: assignedUserId } });
    return { items: p.items.map(caseOut), total: p.total, page: p.page, perPage: p.perPage };
  });
  const WithMessages = Type.Intersect([CaseSchema, Type.Object({ messages: Type.Array(Message), stream: Type.Array(StreamItem) })]);
  app.get('/cases/:id', { schema: { tags, summary: 'One case with its messages', params: IdParams, response: { 200: WithMessages, ...errors(404) } } },
    async (req) => {
      const c = await s.cases.get(req.params.id, await scopeOf(req));
      const stream = await s.caseReplies.stream(c.id, c.messages);
      return {
        ...caseOut(c),
        stream: stream.map((x) => (x.direction === 'in'
          ? { direction: x.direction, at: x.at, inboundId: x.message.inbound_id, outboundMessageId: null, messageId: x.message.message_id, subject: x.message.subject,
            fromAddr: x.message.from_addr, rung: x.message.rung, kind: x.message.kind }
          : { direction: x.direction, at: x.at, inboundId: null, outboundMessageId: x.reply.outbound_message_id, messageId: x.reply.message_id, subject: x.reply.subject,
            fromAddr: x.reply.from_addr, to: storedAddresses(x.reply.to_addrs), cc: storedAddresses(x.reply.cc_addrs), userId: x.reply.user_id, state: x.reply.state ?? null })),
        messages: c.messages.map((m) => ({
          inboundId: m.inbound_id, rung: m.rung, reopened: m.reopened, at: m.at, subject: m.subject, fromAddr: m.from_addr, kind: m.kind, messageId: m.message_id,
        })),
      };
    });
  app.patch('/cases/:id', {
    schema: { tags, summary: 'Change status, assignee or priority', params: IdParams,
      body: Type.Object({
        status: Type.Optional(Status), assignedUserId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))), priority: Type.Optional(Priority),
      }, { additionalProperties: false }),
      response: { 200: CaseSchema, ...errors(400, 404) } },
  }, async (req) => caseOut(await s.cases.update(req.params.id, req.body, await scopeOf(req))));
  app.post('/cases/:id/replies', {
    schema: { tags, summary: 'Reply from the case: From the mailbox, Reply-To the signed case address, threaded; the case goes to pending', params: IdParams, body: ReplyBody,
      response: {
        201: Type.Object({
          messageId: Type.String({ description: 'ours, without angle brackets' }), outboundMessageId: Type.Integer(), replyId: Type.Integer(), status: Type.String(),
          to: Type.Array(Type.String()), cc: Type.Array(Type.String()),
          repeated: Type.Optional(Type.Boolean({ description: 'true: the idempotency key was used before; this is that reply' })),
        }),
        ...errors(400, 404),
      } },
  }, async (req, reply) => {
    const r = await s.caseReplies.reply(req.params.id, { ...req.body, principal: req.principal ?? { role: 'admin', userId: null } });
    reply.status(201);
    return r;
  });
}
