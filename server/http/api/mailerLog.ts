/* /api/v1/mailer-log (the filtered log, newest first, paged), /api/v1/mailer-log/export (CSV or NDJSON, streamed), /api/v1/mailer-log-settings (retention). */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, errors, Nullable, Ms, TimeIn, listArgs, mapPage } from './schemas.js';
import { MAILER_LOG_LEVELS, MAILER_LOG_SOURCES } from '../../operations/types.js';
import { toApi } from '../../operations/mailerLogEntry.js';

const Filter = Type.Object({
  level: Type.Optional(Type.Union(MAILER_LOG_LEVELS.map((l) => Type.Literal(l)))),
  source: Type.Optional(Type.Union(MAILER_LOG_SOURCES.map((l) => Type.Literal(l)))),
  accountId: Type.Optional(Type.Integer({ minimum: 1, description: 'the upstream account' })),
  mailboxId: Type.Optional(Type.Integer({ minimum: 1 })),
  massEmailId: Type.Optional(Type.Integer({ minimum: 1 })),
  from: Type.Optional(TimeIn('entries at or after this time')),
  to: Type.Optional(TimeIn('entries before this time')),
  q: Type.Optional(Type.String({ maxLength: 200, description: 'words in the message, event, address or reply' })),
});
const Entry = Type.Object({
  id: Type.Integer(), at: Ms(), time: Type.String({ description: 'ISO 8601 (UTC)' }), level: Type.String(), source: Type.String(), event: Type.String(), message: Type.String(),
  reply: Nullable(Type.String({ description: 'the remote reply (upstream answer, or our SMTP refusal)' })), accountId: Nullable(Type.Integer()), mailboxId: Nullable(Type.Integer()),
  address: Nullable(Type.String()), inboundId: Nullable(Type.Integer()), queueId: Nullable(Type.Integer()), massEmailId: Nullable(Type.Integer()),
});
const Settings = Type.Object({ retentionDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'days entries are kept (the purge job runs daily)' }) });

export function mailerLogApi(app: Api, s: Services) {
  const tags = ['mailer log'];
  app.get('/mailer-log', {
    schema: { tags, summary: 'The mailer log, newest first: account trouble, deferred and failed deliveries, inbound refusals, job failures, mass email states',
      querystring: Type.Intersect([ListQuery, Filter]),
      response: { 200: Type.Object({ items: Type.Array(Entry), total: Type.Integer({ description: 'counted up to 100,000 (then capped is true)' }), capped: Type.Optional(Type.Boolean()), page: Type.Integer(), perPage: Type.Integer() }), ...errors(400) } },
  }, async (req) => {
    const { sort, dir, page, perPage, ...f } = req.query;
    const p = await s.mailerLog.list(s.mailerLog.filter(f), listArgs({ sort, dir, page, perPage }));
    return { ...mapPage(p, toApi), ...(p.capped ? { capped: true } : {}) };
  });
  app.get('/mailer-log/export', {
    schema: { tags, summary: 'The filtered mailer log as CSV or NDJSON, streamed in id order', querystring: Type.Intersect([Filter, Type.Object({ format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson')]) })]) },
  }, async (req, reply) => {
    const { format, ...q } = req.query;
    const f = s.mailerLog.filter(q);
    if (format === 'csv') {
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="mailer-log.csv"');
      return reply.send(s.mailerLog.exportCsv(f));
    }
    reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="mailer-log.ndjson"');
    return reply.send(s.mailerLog.exportNdjson(f));
  });
  app.get('/mailer-log-settings', { schema: { tags, summary: 'How long the mailer log is kept', response: { 200: Settings } } }, async () => s.mailerLog.settings());
  app.put('/mailer-log-settings', { schema: { tags, summary: 'Change how many days the mailer log is kept', body: Settings, response: { 200: Settings, ...errors(400) } } },
    async (req) => s.mailerLog.setSettings(req.body));
}
