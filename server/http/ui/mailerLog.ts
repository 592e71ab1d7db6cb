/*
 * The mailer log page (admins): filters (level, source, upstream account, time range in UTC,
 * text), newest first with pages, downloads of the filtered log as CSV and NDJSON (streamed),
 * and the retention setting. A bad filter value is shown, and the rest of the filter applies.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireAdmin } from './session.js';
import { str, firstValues, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { MAILER_LOG_LEVELS, MAILER_LOG_SOURCES } from '../../operations/types.js';
import { filterFrom } from '../../operations/mailerLogEntry.js';

const FILTER_FIELDS = ['level', 'source', 'accountId', 'from', 'to', 'q'] as const;
const qs = (p: Record<string, string>) => { const u = new URLSearchParams(Object.entries(p).filter(([, v]) => v !== '')).toString(); return u ? `?${u}` : ''; };

export function mailerLogUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  /** The page's filter fields as given, and the filter they make (fields that are not valid are left out, and named). */
  const filterOf = (req: FastifyRequest) => {
    const query = firstValues(req.query);
    const kept = Object.fromEntries(FILTER_FIELDS.map((k) => [k, (query[k] ?? '').slice(0, 200)])) as Record<(typeof FILTER_FIELDS)[number], string>;
    const { filter, errors } = filterFrom(kept);
    return { query, kept, filter, errors };
  };

  app.get('/mailer-log', pre, async (req, reply) => {
    const { query, kept, filter, errors } = filterOf(req);
    const lq = listQueryFrom(query);
    const [page, accounts, settings] = await Promise.all([
      s.mailerLog.list(filter, { sort: lq.sort, dir: lq.dir, page: lq.page, perPage: lq.perPage }), s.accounts.senderAccounts(), s.mailerLog.settings(),
    ]);
    const names = new Map(accounts.map((a) => [a.id, a.name]));
    const { t } = tr(req);
    return render(req, reply, 'pages/operations/mailer-log.eta', {
      title: t('mailerLog.title'), page, query: { ...kept, sort: query.sort ?? '', dir: query.dir ?? '' }, links: listLinks('/admin/mailer-log', { ...kept, sort: query.sort, dir: query.dir }, page),
      rows: page.items.map((r) => ({ ...r, accountName: r.account_id ? names.get(r.account_id) ?? `#${r.account_id}` : '' })),
      levels: MAILER_LOG_LEVELS, sources: MAILER_LOG_SOURCES, accounts, settings, filterErrors: errors.map((e) => e.field),
      csvHref: `/admin/mailer-log.csv${qs(kept)}`, ndjsonHref: `/admin/mailer-log.ndjson${qs(kept)}`,
    });
  });
  const download = (format: 'csv' | 'ndjson') => async (req: FastifyRequest, reply: FastifyReply) => {
    const { filter } = filterOf(req);
    if (format === 'csv') {
      reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="mailer-log.csv"');
      return reply.send(s.mailerLog.exportCsv(filter));
    }
    reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="mailer-log.ndjson"');
    return reply.send(s.mailerLog.exportNdjson(filter));
  };
  app.get('/mailer-log.csv', pre, download('csv'));
  app.get('/mailer-log.ndjson', pre, download('ndjson'));
  app.post('/mailer-log/settings', pre, async (req, reply) => {
    const v = str(req.body as Body, 'retentionDays').trim();
    return formAction(reply, {
      act: () => s.mailerLog.setSettings({ retentionDays: /^\d+$/.test(v) ? Number(v) : NaN }),
      done: (r) => ({ to: '/admin/mailer-log', flash: tr(req).t('mailerLog.flash.settingsSaved', { days: r.retentionDays }) }),
      retry: (fe) => back(reply, '/admin/mailer-log', Object.values(fe.errors)[0] ?? fe.error),
    });
  });
}
