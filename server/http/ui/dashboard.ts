/*
 * The dashboard: the features' summary cards, then mail in and out over 24 hours (hourly) or
 * 30 days (daily) as an inline SVG chart with a table, outcome shares, bounce and complaint
 * rates against the bulk sender thresholds, failing sources, running mass emails and alerts.
 * The numbers come from the hourly counters (status service); this file only draws them.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser } from './session.js';
import { mailChart } from '../../status/chart.js';
import { SERIES, type SeriesKey } from '../../status/logic.js';

export type DashboardCard = { title: string; value: string | number; href?: string; note?: string };
/** A feature's summary cards (declared in its feature.ts, shown once per app). */
export type CardSource = (s: Services) => Promise<DashboardCard[]>;

export function dashboardUi(app: FastifyInstance, s: Services) {
  app.get('/', { preHandler: requireUser }, async (req, reply) => {
    const { t, fmt } = tr(req);
    const cards: DashboardCard[] = [
      { title: t('dashboard.users'), value: await s.auth.users.count(), href: req.user?.role === 'admin' ? '/admin/users' : undefined },
    ];
    for (const src of req.server.adminShell.cards) cards.push(...(await src(s)));
    const range = (req.query as { range?: string }).range === '30d' ? '30d' : '24h';
    const stats = await s.status.dashboard(range);
    const labels = Object.fromEntries(SERIES.map((k) => [k, t(`dashboard.series.${k}`)])) as Record<SeriesKey, string>;
    const time = (ms: number) => (range === '24h' ? fmt.dateTime(ms) : fmt.date(ms));
    const sum = (k: SeriesKey) => stats.series.series[k].reduce((a, b) => a + b, 0);
    const chart = mailChart({ starts: stats.series.starts, series: stats.series.series }, {
      id: 'mail-chart', title: t(range === '24h' ? 'dashboard.chart.title24h' : 'dashboard.chart.title30d'),
      desc: SERIES.map((k) => `${labels[k]}: ${fmt.number(sum(k))}`).join(', '), labels, time, num: (n) => fmt.number(n),
    });
    const rows = stats.series.starts.map((at, i) => ({ at, ...Object.fromEntries(SERIES.map((k) => [k, stats.series.series[k][i]!])) }))
      .filter((r) => SERIES.some((k) => (r as Record<string, number>)[k]! > 0));
    return render(req, reply, 'pages/dashboard.eta', {
      title: t('dashboard.title'), cards, node: s.ctx.nodeId, roles: s.ctx.config.roles, range, stats, chart, rows, series: SERIES, labels,
    });
  });
}
