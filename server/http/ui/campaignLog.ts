/*
 * The campaign log in the admin UI, for a campaign (/admin/campaigns/:id/log) and for one mass
 * email (/admin/mass-emails/:id/log): tabs by action, a link select for clicks, people only or
 * machines too (with their class and rule), search by address, pages. The bulk actions take the
 * whole filtered selection (the filter travels as hidden fields): fill a target list, mark the
 * contacts as former employees, export CSV (streamed). "Resend to non-openers" makes a draft.
 * Also the stats section (counts, rates and two SVG charts) of the campaign and mass email pages.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin } from './session.js';
import { str, firstValues, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import type { LogFilter, LogItem } from '../../db/repos/tracking/log.js';
import type { MessageKey, Messages } from '../../i18n/catalog.js';
import { hourlyData, hourlyChart, hourlyRows, outcomes, outcomeBar, statsSummary, HOUR_SERIES, OUTCOMES, type HourSeries, type OutcomeKey } from './charts.js';
import { trackingUrlsOf } from './trackingUrls.js';

/** The tabs of the log page, in order. */
export const LOG_TABS = ['sent', 'returned', 'opened', 'clicked', 'opted_out', 'not_opened'] as const;
type Tab = (typeof LOG_TABS)[number];
const PLURAL: Record<string, string> = { account: 'accounts', contact: 'contacts', lead: 'leads' };

/** The filter of the page as its parameters (query string or hidden fields) say. */
export interface LogParams { action: Tab; link: string; machines: boolean }
export function logParams(q: Record<string, string | undefined>): LogParams {
  const action = (LOG_TABS as readonly string[]).includes(q.action ?? '') ? q.action as Tab : 'sent';
  const link = action === 'clicked' && /^[ua]\d{1,9}$/.test(q.link ?? '') ? q.link! : '';
  return { action, link, machines: q.machines === '1' };
}
const filterOf = (scope: 'c' | 'm', id: number, p: LogParams): LogFilter => ({
  ...(scope === 'c' ? { campaignId: id } : { massEmailId: id }), action: p.action, link: p.link || undefined, human: !p.machines,
});
/** The query string of a filter (tabs, CSV link, pager), without empty values. */
const qsOf = (p: Partial<LogParams> & Record<string, unknown>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '' && v !== false) u.set(k, v === true ? '1' : String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
};

/** The links a click can be filtered by: the campaign's tracking URLs and the tracked links seen in the counters. */
async function linkChoices(s: Services, campaignId: number, counters: Record<string, number>, t: Messages['t']) {
  const urls = (await trackingUrlsOf(s, campaignId, counters)).map((u) => ({ value: `u${u.id}`, label: u.name }));
  const tracked = [...new Set(Object.keys(counters).map((k) => /^click(?:_machine)?:a(\d+)$/.exec(k)?.[1]).filter((x): x is string => x !== undefined))]
    .map(Number).sort((a, b) => a - b).map((i) => ({ value: `a${i}`, label: t('tracking.log.trackedLink', { n: i + 1 }) }));
  return [...urls, ...tracked];
}

/** The stats section of a campaign ('c') or mass email ('m') page: counts, rates and the two charts. */
export async function statsSection(s: Services, req: FastifyRequest, scope: 'c' | 'm', id: number) {
  const counters = await s.tracking.stats(scope, id);
  const i = tr(req);
  const { t, fmt } = i;
  const num = (n: number) => fmt.number(n);
  const series = Object.fromEntries(HOUR_SERIES.map((k) => [k, t(`tracking.series.${k}` as MessageKey)])) as Record<HourSeries, string>;
  const hourly = hourlyData(counters);
  const total = (k: HourSeries) => (hourly ? hourly.series[k].reduce((a, b) => a + b, 0) : 0);
  const hourlySvg = hourly ? hourlyChart(hourly, {
    id: `chart-hourly-${scope}${id}`, title: t('tracking.chart.hourlyTitle'), labels: series, time: (ms) => fmt.dateTime(ms), num,
    desc: t('tracking.chart.hourlyDesc', {
      from: fmt.dateTime(hourly.startHour * 3_600_000), to: fmt.dateTime((hourly.startHour + hourly.hours) * 3_600_000),
      opened: num(total('opened')), clicked: num(total('clicked')), openedMachine: num(total('opened_machine')), clickedMachine: num(total('clicked_machine')),
    }),
  }) : '';
  const oc = outcomes(counters);
  const partLabels = Object.fromEntries(OUTCOMES.map((k) => [k, t(`tracking.outcome.${k}` as MessageKey)])) as Record<OutcomeKey, string>;
  const value = (k: OutcomeKey) => oc.parts.find((p) => p.key === k)!.value;
  const outcomeSvg = oc.sent > 0 ? outcomeBar(oc, {
    id: `chart-outcomes-${scope}${id}`, title: t('tracking.chart.outcomesTitle'), labels: partLabels, num,
    desc: t('tracking.chart.outcomesDesc', {
      sent: num(oc.sent), clicked: num(value('clicked')), opened: num(value('opened')), bounced: num(value('bounced')), optedOut: num(value('opted_out')), notOpened: num(value('not_opened')),
    }),
  }) : '';
  return {
    summary: statsSummary(counters), hourlySvg, hourlyRows: hourly ? hourlyRows(hourly) : [], truncated: hourly?.truncated ?? false, series, seriesKeys: HOUR_SERIES,
    outcomeSvg, outcomes: oc, outcomeLabels: partLabels, logUrl: scope === 'c' ? `/admin/campaigns/${id}/log` : `/admin/mass-emails/${id}/log`,
  };
}

export function campaignLogUi(app: FastifyInstance, s: Services) {
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  /** The campaign (and mass email) a log URL is about, and the page's own path. */
  const scopeOf = async (req: FastifyRequest, scope: 'c' | 'm') => {
    const id = idOf(req);
    if (scope === 'c') { const campaign = await s.campaigns.getCampaign(id); return { scope, id, campaign, me: null, base: `/admin/campaigns/${id}` }; }
    const me = await s.campaigns.getMassEmail(id);
    return { scope, id, campaign: await s.campaigns.getCampaign(me.campaign_id), me, base: `/admin/mass-emails/${id}` };
  };

  const page = async (req: FastifyRequest, reply: FastifyReply, scope: 'c' | 'm') => {
    const x = await scopeOf(req, scope);
    const query = firstValues(req.query);
    const p = logParams(query);
    const lq = listQueryFrom(query);
    const { t } = tr(req);
    const [items, counters, lists] = await Promise.all([
      s.tracking.listLog(filterOf(scope, x.id, p), lq), s.tracking.stats(scope, x.id), s.targetLists.all(),
    ]);
    const links = await linkChoices(s, x.campaign.id, counters, t);
    const linkLabel = Object.fromEntries(links.map((l) => [l.value, l.label]));
    const kept = { action: p.action, link: p.link, machines: p.machines ? '1' : '', q: query.q ?? '', sort: query.sort ?? '', dir: query.dir ?? '' };
    const logBase = `${x.base}/log`;
    return render(req, reply, 'pages/campaigns/log.eta', {
      title: t('tracking.log.title', { name: x.me ? x.me.name : x.campaign.name }), ...x, params: p, query: kept, page: items,
      rows: items.items.map((r: LogItem) => ({ ...r, recordHref: r.record_type && r.record_id && PLURAL[r.record_type] ? `/admin/records/${PLURAL[r.record_type]}/${r.record_id}` : '', linkLabel: linkLabel[r.link] ?? r.link })),
      links: listLinks(logBase, kept, items), tabs: LOG_TABS.map((a) => ({ action: a, href: `${logBase}${qsOf({ action: a, machines: p.machines })}` })),
      linkChoices: links, logBase, csvHref: `${logBase}.csv${qsOf({ action: p.action, link: p.link, machines: p.machines })}`,
      staticLists: lists.filter((l) => l.kind === 'static'), canResend: scope === 'm',
    });
  };
  const csv = async (req: FastifyRequest, reply: FastifyReply, scope: 'c' | 'm') => {
    const x = await scopeOf(req, scope);
    const p = logParams(firstValues(req.query));
    const name = `${scope === 'c' ? 'campaign' : 'mass-email'}-${x.id}-${p.action}.csv`;
    reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`);
    return reply.send(s.campaignLog.exportCsv(filterOf(scope, x.id, p)));
  };
  const bulk = (scope: 'c' | 'm') => {
    app.post(`/${scope === 'c' ? 'campaigns' : 'mass-emails'}/:id/log/target-list`, { preHandler: requireAdmin }, async (req, reply) => {
      const x = await scopeOf(req, scope);
      const b = req.body as Body;
      const p = logParams(bodyQuery(b));
      const listId = /^\d+$/.test(str(b, 'listId')) ? Number(str(b, 'listId')) : undefined;
      const newName = str(b, 'newName').trim() || undefined;
      const { t, fmt } = tr(req);
      return formAction(reply, {
        act: () => s.campaignLog.toList(filterOf(scope, x.id, p), newName ? { newName } : { listId }),
        done: (r) => ({ to: `/admin/target-lists/${r.listId}`, flash: t(r.created ? 'tracking.log.flash.listCreated' : 'tracking.log.flash.listFilled', { name: r.name, n: fmt.number(r.added) }) }),
        retry: (fe) => back(reply, `${x.base}/log${qsOf({ ...p })}`, Object.values(fe.errors).join('; ') || fe.error),
      });
    });
    app.post(`/${scope === 'c' ? 'campaigns' : 'mass-emails'}/:id/log/former-employee`, { preHandler: requireAdmin }, async (req, reply) => {
      const x = await scopeOf(req, scope);
      const p = logParams(bodyQuery(req.body as Body));
      const { t, fmt } = tr(req);
      const to = `${x.base}/log${qsOf({ ...p })}`;
      return formAction(reply, {
        act: () => s.campaignLog.markFormerEmployees(filterOf(scope, x.id, p)),
        done: (n) => ({ to, flash: t('tracking.log.flash.formerEmployees', { n: fmt.number(n) }) }),
        retry: (fe) => back(reply, to, fe.error),
      });
    });
  };

  app.get('/campaigns/:id/log', { preHandler: requireUser }, async (req, reply) => page(req, reply, 'c'));
  app.get('/mass-emails/:id/log', { preHandler: requireUser }, async (req, reply) => page(req, reply, 'm'));
  app.get('/campaigns/:id/log.csv', { preHandler: requireUser }, async (req, reply) => csv(req, reply, 'c'));
  app.get('/mass-emails/:id/log.csv', { preHandler: requireUser }, async (req, reply) => csv(req, reply, 'm'));
  bulk('c');
  bulk('m');
  app.post('/mass-emails/:id/resend-non-openers', { preHandler: requireAdmin }, async (req, reply) => {
    const me = await s.campaigns.getMassEmail(idOf(req));
    const { t, fmt } = tr(req);
    return formAction(reply, {
      act: () => s.campaignLog.resendToNonOpeners(me.id, req.user?.id ?? null),
      done: (r) => ({ to: `/admin/mass-emails/${r.massEmail.id}`, flash: t('tracking.resend.flash', { name: r.massEmail.name, n: fmt.number(r.recipients) }) }),
      retry: (fe) => back(reply, `/admin/mass-emails/${me.id}`, fe.error),
    });
  });
}

/** The filter fields a bulk form carries. */
const bodyQuery = (b: Body) => ({ action: str(b, 'action'), link: str(b, 'link'), machines: str(b, 'machines') });
