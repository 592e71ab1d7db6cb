/* The dashboard: a summary of what Postern is doing, with links into each area. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser } from './session.js';

export type DashboardCard = { title: string; value: string | number; href?: string; note?: string };
/** A feature's summary cards (declared in its feature.ts, shown once per app). */
export type CardSource = (s: Services) => Promise<DashboardCard[]>;

export function dashboardUi(app: FastifyInstance, s: Services) {
  app.get('/', { preHandler: requireUser }, async (req, reply) => {
    const { t } = tr(req);
    const cards: DashboardCard[] = [
      { title: t('dashboard.users'), value: await s.auth.users.count(), href: req.user?.role === 'admin' ? '/admin/users' : undefined },
    ];
    for (const src of req.server.adminShell.cards) cards.push(...(await src(s)));
    return render(req, reply, 'pages/dashboard.eta', { title: t('dashboard.title'), cards, node: s.ctx.nodeId, roles: s.ctx.config.roles });
  });
}
