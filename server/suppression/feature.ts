/* The suppression feature: the blocked-addresses API and pages, the opt-out pages, the dashboard card. */
import type { Feature } from '../feature.js';
import { suppressionsApi } from '../http/api/suppressions.js';
import { suppressionsUi } from '../http/ui/suppressions.js';
import { optOutRoutes } from '../http/public/optout.js';

export const suppressionFeature: Feature = {
  name: 'suppression',
  menu: [{ area: 'deliverability', order: 10, href: '/admin/suppressions', label: 'menu.suppressions' }],
  cards: [async (sv) => {
    const page = await sv.suppressions.repo.list({ perPage: 1, filters: { blocked: true } });
    return [{ title: 'Blocked addresses', value: page.total, href: '/admin/suppressions' }];
  }],
  api: [suppressionsApi],
  ui: [suppressionsUi],
  publicRoutes: [optOutRoutes],
};
