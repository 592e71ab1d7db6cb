/*
 * /api/v1/inbound: stored inbound messages — list with filters (the stable
 * `?messageId=<Message-ID>` lookup among them), one message with its recipients and
 * pipeline steps, the raw .eml, and reprocess.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors } from './schemas.js';
import { notFound, conflict } from '../../errors.js';
import { inboundStoreRepo } from '../../db/repos/inboundStore.js';
import { inboundScope, type Principal } from '../../auth/access.js';

const N = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
export const InboundSchema = Type.Object({
  id: Type.Integer(), state: Type.String(), listener: Type.String(), mail_from: Type.String(), rcpt_to: Type.Array(Type.String()), remote_ip: Type.String(),
  tls: Type.Boolean(), size: Type.Integer(), message_id: N(Type.String()), subject: N(Type.String()), from_addr: N(Type.String()), kind: N(Type.String()),
  spf: N(Type.String()), dkim: N(Type.String()), dmarc: N(Type.String()), parse_error: N(Type.String()), received_at: Type.Integer(), processed_at: N(Type.Integer()),
});
const Filters = Type.Object({
  messageId: Type.Optional(Type.String({ description: 'exact Message-ID, with or without <>' })), address: Type.Optional(Type.String({ description: 'any recipient' })),
  state: Type.Optional(Type.String()), kind: Type.Optional(Type.String()), sender: Type.Optional(Type.String()), listener: Type.Optional(Type.String()),
  spf: Type.Optional(Type.String()), dkim: Type.Optional(Type.String()), dmarc: Type.Optional(Type.String()),
  from: Type.Optional(Type.Integer({ description: 'received at or after (epoch ms)' })), to: Type.Optional(Type.Integer({ description: 'received before (epoch ms)' })),
});

export function inboundApi(app: Api, s: Services) {
  const tags = ['inbound'];
  const repo = s.inboundPipeline.repo;
  const store = inboundStoreRepo(s.ctx.db);
  const access = s.access;
  // What this key's user may read (auth/access.ts); out-of-scope messages answer 404 like absent ones.
  const scopeOf = async (req: { principal?: Principal }) => inboundScope(await access.scopeOf(req.principal!));
  app.get('/inbound', { schema: { tags, summary: 'Inbound messages', querystring: Type.Intersect([ListQuery, Filters]), response: { 200: pageOf(InboundSchema) } } }, async (req) => {
    const { messageId, address, state, kind, sender, listener, spf, dkim, dmarc, from, to, ...q } = req.query;
    return repo.list({ ...q, scope: await scopeOf(req), messageId, address, from, to, filters: { state, kind, listener, from_addr: sender?.toLowerCase(), spf, dkim, dmarc } });
  });
  app.get('/inbound/:id', { schema: { tags, summary: 'One message with recipients and pipeline steps', params: IdParams, response: { 200: Type.Intersect([InboundSchema, Type.Object({ recipients: Type.Array(Type.Object({ address: Type.String(), kind: Type.String(), mailbox_id: N(Type.Integer()), target_id: N(Type.Integer()) })), steps: Type.Array(Type.Object({ step: Type.String(), status: Type.String(), result: Type.Unknown(), at: Type.Integer() })) })]), ...errors(404) } } },
    async (req) => {
      const m = await repo.get(req.params.id, await scopeOf(req));
      if (!m) throw notFound('Message');
      return { ...m, recipients: await store.recipients(m.id), steps: await repo.steps(m.id) };
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
}
