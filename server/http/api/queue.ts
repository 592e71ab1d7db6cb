/*
 * /api/v1/queue: the outbound queue, one row per recipient. Filter by state, account,
 * source, message type, recipient and date; a row with its message and every attempt with
 * the upstream's reply; retry now, cancel, and bulk "retry failed only".
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { queueFiltersFrom } from '../../outbound/queueAdmin/service.js';
import { outboundScope, type Principal } from '../../auth/access.js';

export const QueueFilterQuery = Type.Object({
  state: Type.Optional(Type.String()), accountId: Type.Optional(Type.Integer({ minimum: 1 })), source: Type.Optional(Type.String({ maxLength: 16 })),
  messageTypeId: Type.Optional(Type.Integer({ minimum: 1 })), messageId: Type.Optional(Type.Integer({ minimum: 1 })),
  recipient: Type.Optional(Type.String({ maxLength: 320, description: 'exact address' })),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'part of a recipient address' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'created at or after: YYYY-MM-DD, ISO date-time or epoch ms' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'created before (a YYYY-MM-DD date includes that day)' })),
});
const Row = Type.Object({
  id: Type.Integer(), state: Type.String(), runAt: Ms('due at (epoch ms)'), attempts: Type.Integer(), messageId: Type.Integer(),
  accountId: Nullable(Type.Integer()), accountName: Nullable(Type.String()), messageTypeId: Nullable(Type.Integer()), messageTypeName: Nullable(Type.String()),
  source: Type.String(), recipient: Type.String(), rcptKind: Type.String(), uniqueKey: Type.String(), subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()),
  smtpMessageId: Nullable(Type.String()), sentAt: Nullable(Ms()), upstreamResponse: Nullable(Type.String()), upstreamQueueId: Nullable(Type.String()),
  suppressedReason: Nullable(Type.String()), lastError: Nullable(Type.String()), createdAt: Ms(), updatedAt: Ms(),
});
const Attempt = Type.Object({
  id: Type.Integer(), at: Ms(), result: Type.String(), code: Nullable(Type.Integer()), response: Nullable(Type.String()), durationMs: Nullable(Type.Integer()),
});
const Detail = Type.Intersect([Row, Type.Object({
  attemptLog: Type.Array(Attempt, { description: 'every attempt with the upstream reply, oldest first' }),
  message: Type.Optional(Type.Object({
    id: Type.Integer(), source: Type.String(), fromAddr: Type.String(), fromName: Type.String(), replyTo: Nullable(Type.String()), subject: Type.String(),
    html: Nullable(Type.String()), text: Nullable(Type.String()), inboundId: Nullable(Type.Integer()), sendAt: Nullable(Ms()), createdAt: Ms(),
    attachments: Type.Array(Type.Object({ id: Type.Integer(), filename: Type.String(), contentType: Type.String(), size: Type.Integer() })),
  })),
})]);
/** The message of a queue row as db/repos/outbound/admin.ts reads it (its row is untyped). */
interface MessageRow {
  id: number; source: string; from_addr: string; from_name: string; reply_to: string | null; subject: string; html: string | null; text: string | null;
  inbound_id: number | null; send_at: number | null; created_at: number; attachments: Array<{ id: number; filename: string; content_type: string; size: number }>;
}
/** One row with its attempts and message, camelCase at every level. */
function detailOut({ attempt_log, message, ...row }: Awaited<ReturnType<Services['queueAdmin']['get']>>) {
  const m: MessageRow | undefined = message;
  return {
    ...camelKeys(row), attemptLog: attempt_log.map((a) => camelKeys(a)),
    message: m && { ...camelKeys(m), attachments: m.attachments.map((a) => camelKeys(a)) },
  };
}

export function queueApi(app: Api, s: Services) {
  const tags = ['queue'];
  const q = s.queueAdmin;
  const access = s.access;
  // The rows this key's user may see and act on (auth/access.ts); others answer 404.
  const scopeOf = async (req: { principal?: Principal }) => outboundScope(await access.scopeOf(req.principal!));
  app.get('/queue', { schema: { tags, summary: 'Outbound queue rows (one per recipient)', querystring: Type.Intersect([ListQuery, QueueFilterQuery]), response: { 200: pageOf(Row), ...errors(400) } } },
    async (req) => {
      const { sort, dir, q: search, page, perPage, ...f } = req.query;
      return camelPage(await q.list(listArgs({ sort, dir, page, perPage }), { ...queueFiltersFrom({ ...f, q: search }), scope: await scopeOf(req) }));
    });
  app.get('/queue/counts', { schema: { tags, summary: 'Rows per state (same filters, state ignored)', querystring: QueueFilterQuery, response: { 200: Type.Record(Type.String(), Type.Integer()) } } },
    async (req) => q.counts({ ...queueFiltersFrom({ ...req.query, state: undefined }), scope: await scopeOf(req) }));
  app.post('/queue/retry-failed', { schema: { tags, summary: 'Retry failed rows only (narrowed by the same filters; the state filter is ignored)', body: Type.Union([QueueFilterQuery, Type.Null()], { description: 'filters (JSON object; may be empty)' }), response: { 200: Type.Object({ retried: Type.Integer() }), ...errors(400) } } },
    async (req) => ({ retried: await q.retryFailed({ ...queueFiltersFrom({ ...(req.body ?? {}), state: undefined }), scope: await scopeOf(req) }) }));
  app.get('/queue/:id', { schema: { tags, summary: 'One row with its message and every attempt (upstream replies)', params: IdParams, response: { 200: Detail, ...errors(404) } } },
    async (req) => detailOut(await q.get(req.params.id, await scopeOf(req))));
  app.post('/queue/:id/retry', { schema: { tags, summary: 'Failed or deferred → queued, due now', params: IdParams, response: { 200: Detail, ...errors(404, 409) } } },
    async (req) => detailOut(await q.retry(req.params.id, await scopeOf(req))));
  app.post('/queue/:id/cancel', { schema: { tags, summary: 'Queued or deferred → canceled', params: IdParams, response: { 200: Detail, ...errors(404, 409) } } },
    async (req) => detailOut(await q.cancel(req.params.id, await scopeOf(req))));
}
