/*
 * /api/v1/inbound: stored inbound messages — list with filters (the stable
 * `?messageId=<Message-ID>` lookup among them), one message with its recipients and
 * pipeline steps, the raw .eml, reprocess, and retry of an unprocessable (`failed`) message.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, TimeIn, timeOf, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { notFound, conflict } from '../../errors.js';
import { inboundScope, type Principal } from '../../auth/access.js';

export const InboundSchema = Type.Object({
  id: Type.Integer(), state: Type.String(), listener: Type.String(), mailFrom: Type.String(), rcptTo: Type.Array(Type.String()), remoteIp: Type.String(),
  tls: Type.Boolean(), size: Type.Integer(), messageId: Nullable(Type.String()), subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()), kind: Nullable(Type.String()),
  spf: Nullable(Type.String()), dkim: Nullable(Type.String()), dmarc: Nullable(Type.String()), parseError: Nullable(Type.String()), receivedAt: Ms(), processedAt: Nullable(Ms()),
  attempts: Type.Integer({ description: 'pipeline runs so far' }),
  caseId: Type.Optional(Nullable(Type.Integer({ description: 'the case the message joined or opened (email-to-case), null when none' }))),
  threadRung: Type.Optional(Nullable(Type.String({ description: 'what joined it: reply-address | references | subject-tag | new' }))),
});
const Filters = Type.Object({
  messageId: Type.Optional(Type.String({ description: 'exact Message-ID, with or without <>' })), address: Type.Optional(Type.String({ description: 'any recipient' })),
  state: Type.Optional(Type.String()), kind: Type.Optional(Type.String()), sender: Type.Optional(Type.String()), listener: Type.Optional(Type.String()),
  spf: Type.Optional(Type.String()), dkim: Type.Optional(Type.String()), dmarc: Type.Optional(Type.String()),
  from: Type.Optional(TimeIn('received at or after')), to: Type.Optional(TimeIn('received before')),
});

export function inboundApi(app: Api, s: Services) {
  const tags = ['inbound'];
  const repo = s.inboundPipeline.repo;
  const store = s.inboundView;
  const access = s.access;
  // What this key's user may read (auth/access.ts); out-of-scope messages answer 404 like absent ones.
  const scopeOf = async (req: { principal?: Principal }) => inboundScope(await access.scopeOf(req.principal!));
  app.get('/inbound', { schema: { tags, summary: 'Inbound messages', querystring: Type.Intersect([ListQuery, Filters]), response: { 200: pageOf(InboundSchema) } } }, async (req) => {
    const { messageId, address, state, kind, sender, listener, spf, dkim, dmarc, from, to, ...q } = req.query;
    const filters = { state, kind, listener, from_addr: sender?.toLowerCase(), spf, dkim, dmarc };
    const page = camelPage(await repo.list({ ...listArgs(q), scope: await scopeOf(req), messageId, address, from: timeOf(from, 'from'), to: timeOf(to, 'to'), filters }));
    const cases = await s.cases.ofInbounds(page.items.map((m) => m.id));
    return { ...page, items: page.items.map((m) => ({ ...m, caseId: cases.get(m.id)?.caseId ?? null, threadRung: cases.get(m.id)?.rung ?? null })) };
  });
  app.get('/inbound/:id', { schema: { tags, summary: 'One message with recipients and pipeline steps', params: IdParams, response: { 200: Type.Intersect([InboundSchema, Type.Object({ recipients: Type.Array(Type.Object({ address: Type.String(), kind: Type.String(), mailboxId: Nullable(Type.Integer()), targetId: Nullable(Type.Integer()) })), steps: Type.Array(Type.Object({ step: Type.String(), status: Type.String(), result: Type.Unknown(), at: Ms() })) })]), ...errors(404) } } },
    async (req) => {
      const m = await repo.get(req.params.id, await scopeOf(req));
      if (!m) throw notFound('Message');
      return { ...camelKeys(m), recipients: (await store.recipients(m.id)).map((r) => camelKeys(r)), steps: await repo.steps(m.id) };
    });
  app.get('/inbound/:id/raw', { schema: { tags, summary: 'The message as received (.eml)', params: IdParams } }, async (req, reply) => {
    if (!(await repo.get(req.params.id, await scopeOf(req)))) throw notFound('Message');
    reply.type('message/rfc822').header('content-disposition', `attachment; filename="inbound-${req.params.id}.eml"`);
    return store.readRaw(req.params.id);
  });
  app.post('/inbound/:id/reprocess', { schema: { tags, summary: 'Run the pipeline again from the first step', params: IdParams, response: { 202: Type.Object({ id: Type.Integer(), state: Type.String() }), ...errors(404, 409) } } }, async (req, reply) => {
    if (!(await repo.get(req.params.id, await scopeOf(req)))) throw notFound('Message');
    if (!(await repo.reprocess(req.params.id, s.ctx.clock.now()))) throw conflict('The message is being processed right now');
    reply.status(202);
    return { id: req.params.id, state: 'received' };
  });
  app.post('/inbound/:id/retry', { schema: { tags, summary: 'Retry an unprocessable (failed) message: attempts reset, resumes at the first step without a result', params: IdParams, response: { 202: Type.Object({ id: Type.Integer(), state: Type.String() }), ...errors(404, 409) } } }, async (req, reply) => {
    if (!(await repo.get(req.params.id, await scopeOf(req)))) throw notFound('Message');
    if (!(await repo.retry(req.params.id, s.ctx.clock.now()))) throw conflict('Only an unprocessable (failed) message can be retried');
    reply.status(202);
    return { id: req.params.id, state: 'received' };
  });
}
