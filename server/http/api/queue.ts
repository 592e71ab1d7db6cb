/*
 * /api/v1/queue: the outbound queue, one row per recipient. Filter by state, account,
 * source, message type, recipient and date; a row with its message and every attempt with
 * the upstream's reply; retry now, cancel, and bulk "retry failed only".
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors } from './schemas.js';
import { queueFiltersFrom } from '../../outbound/sources/service.js';
import { outboundScope, type Principal } from '../../auth/access.js';

const N = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);
export const QueueFilterQuery = Type.Object({
  state: Type.Optional(Type.String()), accountId: Type.Optional(Type.Integer({ minimum: 1 })), source: Type.Optional(Type.String({ maxLength: 16 })),
  messageTypeId: Type.Optional(Type.Integer({ minimum: 1 })), messageId: Type.Optional(Type.Integer({ minimum: 1 })),
  recipient: Type.Optional(Type.String({ maxLength: 320, description: 'exact address' })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'part of a recipient address' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'created at or after: YYYY-MM-DD, ISO date-time or epoch ms' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'created before (a YYYY-MM-DD date includes that day)' })),
});
const Row = Type.Object({
  id: Type.Integer(), state: Type.String(), run_at: Type.Integer(), attempts: Type.Integer(), message_id: Type.Integer(),
  account_id: N(Type.Integer()), account_name: N(Type.String()), message_type_id: N(Type.Integer()), message_type_name: N(Type.String()),
  source: Type.String(), recipient: Type.String(), rcpt_kind: Type.String(), unique_key: Type.String(), subject: N(Type.String()), from_addr: N(Type.String()),
  smtp_message_id: N(Type.String()), sent_at: N(Type.Integer()), upstream_response: N(Type.String()), upstream_queue_id: N(Type.String()),
  suppressed_reason: N(Type.String()), last_error: N(Type.String()), created_at: Type.Integer(), updated_at: Type.Integer(),
});
const Attempt = Type.Object({ id: Type.Integer(), at: Type.Integer(), result: Type.String(), code: N(Type.Integer()), response: N(Type.String()), duration_ms: N(Type.Integer()) });
const Detail = Type.Intersect([Row, Type.Object({
  attempt_log: Type.Array(Attempt, { description: 'every attempt with the upstream reply, oldest first' }),
  message: Type.Optional(Type.Object({
    id: Type.Integer(), source: Type.String(), from_addr: Type.String(), from_name: Type.String(), reply_to: N(Type.String()), subject: Type.String(),
    html: N(Type.String()), text: N(Type.String()), inbound_id: N(Type.Integer()), send_at: N(Type.Integer()), created_at: Type.Integer(),
    attachments: Type.Array(Type.Object({ id: Type.Integer(), filename: Type.String(), content_type: Type.String(), size: Type.Integer() })),
  })),
})]);

export function queueApi(app: Api, s: Services) {
  const tags = ['queue'];
  const q = s.sources.queue;
  const access = s.access;
  // The rows this key's user may see and act on (auth/access.ts); others answer 404.
  const scopeOf = async (req: { principal?: Principal }) => outboundScope(await access.scopeOf(req.principal!));
  app.get('/queue', { schema: { tags, summary: 'Outbound queue rows (one per recipient)', querystring: Type.Intersect([ListQuery, QueueFilterQuery]), response: { 200: pageOf(Row), ...errors(400) } } },
    async (req) => {
      const { sort, dir, q: search, page, perPage, ...f } = req.query;
      return q.list({ sort, dir, page, perPage }, { ...queueFiltersFrom({ ...f, q: search }), scope: await scopeOf(req) });
    });
  app.get('/queue/counts', { schema: { tags, summary: 'Rows per state (same filters, state ignored)', querystring: QueueFilterQuery, response: { 200: Type.Record(Type.String(), Type.Integer()) } } },
    async (req) => q.counts({ ...queueFiltersFrom({ ...req.query, state: undefined }), scope: await scopeOf(req) }));
  app.post('/queue/retry-failed', { schema: { tags, summary: 'Retry failed rows only (narrowed by the same filters; the state filter is ignored)', body: Type.Union([QueueFilterQuery, Type.Null()], { description: 'filters (JSON object; may be empty)' }), response: { 200: Type.Object({ retried: Type.Integer() }), ...errors(400) } } },
    async (req) => ({ retried: await q.retryFailed({ ...queueFiltersFrom({ ...(req.body ?? {}), state: undefined }), scope: await scopeOf(req) }) }));
  app.get('/queue/:id', { schema: { tags, summary: 'One row with its message and every attempt (upstream replies)', params: IdParams, response: { 200: Detail, ...errors(404) } } },
    async (req) => q.get(req.params.id, await scopeOf(req)));
  app.post('/queue/:id/retry', { schema: { tags, summary: 'Failed or deferred → queued, due now', params: IdParams, response: { 200: Detail, ...errors(404, 409) } } },
    async (req) => q.retry(req.params.id, await scopeOf(req)));
  app.post('/queue/:id/cancel', { schema: { tags, summary: 'Queued or deferred → canceled', params: IdParams, response: { 200: Detail, ...errors(404, 409) } } },
    async (req) => q.cancel(req.params.id, await scopeOf(req)));
}
