/* The suppression feature: the service, the blocked-addresses API and pages, the policy. */
import type { Feature } from '../feature.js';
import { suppressionService } from './service.js';
import { suppressionsApi } from '../http/api/suppressions.js';
import { suppressionsUi } from '../http/ui/suppressions.js';
import { addNav } from '../http/ui/render.js';
import { addDashboardCards } from '../http/ui/dashboard.js';
import { optOutRoutes } from '../http/public/optout.js';

export const suppressionFeature: Feature = {
  name: 'suppression',
  setup(s) {
    s.suppressions = suppressionService(s.ctx);
    addNav({ href: '/admin/suppressions', label: 'Blocked addresses' }, '/admin/jobs');
    addDashboardCards(async (sv) => {
      const page = await sv.suppressions.repo.list({ perPage: 1, filters: { blocked: true } });
      return [{ title: 'Blocked addresses', value: page.total, href: '/admin/suppressions' }];
    });
  },
  api: [suppressionsApi],
  ui: [suppressionsUi],
  publicRoutes: [optOutRoutes],
};
