/*
 * /api/v1/messages: send a single email (To/CC/BCC, HTML/text, template, attachments as
 * base64, scheduled send, idempotency key) and /api/v1/messages/preview, which returns the
 * message as the recipient will see it without queueing anything.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors, Nullable, Ms } from './schemas.js';
import { senders, type Principal } from '../../auth/access.js';
import { BODY_LIMITS } from '../limits.js';

const Addresses = Type.Union([Type.Array(Type.String({ maxLength: 400 }), { maxItems: 200 }), Type.String({ maxLength: 20_000 })]);
export const ComposeBody = Type.Object({
  accountId: Type.Optional(Type.Integer({ minimum: 1, description: 'Upstream account; the default account when omitted' })),
  from: Type.String({ maxLength: 400, description: 'address or "Name <address>"; must be allowed by the account' }),
  fromName: Type.Optional(Type.String({ maxLength: 200 })),
  replyTo: Type.Optional(Type.String({ maxLength: 400 })),
  to: Type.Optional(Addresses), cc: Type.Optional(Addresses), bcc: Type.Optional(Addresses),
  subject: Type.Optional(Type.String({ maxLength: 2000 })),
  html: Type.Optional(Type.String()), text: Type.Optional(Type.String({ description: 'generated from html when absent' })),
  templateId: Type.Optional(Type.Integer({ minimum: 1, description: 'subject and bodies from this template unless given; the default template is used when no subject or body is given' })),
  data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'placeholder values, e.g. {"Person":{"firstName":"Ann"}}' })),
  attachments: Type.Optional(Type.Array(Type.Object({
    filename: Type.String({ maxLength: 255 }), contentType: Type.Optional(Type.String({ maxLength: 255 })), contentBase64: Type.String(),
  }), { maxItems: 50 })),
  sendAt: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.String({ maxLength: 40 }), Type.Null()], { description: 'epoch ms or ISO date-time; later sends wait in the queue' })),
  messageTypeId: Type.Optional(Type.Integer({ minimum: 1, description: "defaults to the account's message type" })),
  idempotencyKey: Type.Optional(Type.String({ maxLength: 100, description: 'repeating a request with the same key queues nothing new' })),
});
const Rcpt = Type.Object({ address: Type.String(), kind: Type.String() });
const Sent = Type.Object({
  messageId: Type.Integer(), queued: Type.Integer(), suppressed: Type.Integer(), duplicates: Type.Integer(),
  sendAt: Nullable(Ms()), recipients: Type.Array(Rcpt),
});
const Preview = Type.Object({
  from: Type.String(), fromName: Type.String(), replyTo: Nullable(Type.String()),
  to: Type.Array(Type.String()), cc: Type.Array(Type.String()), bcc: Type.Array(Type.String()),
  subject: Type.String(), html: Nullable(Type.String()), text: Type.String(), sendAt: Nullable(Ms()),
  attachments: Type.Array(Type.Object({ filename: Type.String(), contentType: Type.String(), size: Type.Integer() })), source: Type.String(),
});

export function composeApi(app: Api, s: Services) {
  const tags = ['messages'];
  const access = s.access;
  // An agent's key sends only from its mailboxes' addresses (auth/access.ts); a forged From is a 403.
  const limitOf = async (req: { principal?: Principal }) => senders(await access.scopeOf(req.principal!));
  app.post('/messages', { bodyLimit: BODY_LIMITS.upload, schema: { tags, summary: 'Send a single email (queued; one queue row per recipient)', body: ComposeBody, response: { 202: Sent, ...errors(400, 403, 409) } } },
    async (req, reply) => {
      const r = await s.compose.send(req.body, { apiKeyId: req.apiKey?.id ?? null, userId: req.principal?.userId ?? null, senders: await limitOf(req) });
      reply.status(202);
      return r;
    });
  app.post('/messages/preview', { bodyLimit: BODY_LIMITS.upload, schema: { tags, summary: 'The message as the recipient will see it; nothing is queued', body: ComposeBody, response: { 200: Preview, ...errors(400, 403) } } },
    async (req) => s.compose.preview(req.body, await limitOf(req)));
}
