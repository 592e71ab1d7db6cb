/*
 * Email filters as a feature: the API and pages (menu: Inbound, agents see their personal
 * mailboxes' filters), and the first route hook (filters → cases → auto-reply), which runs on
 * mail that came in (not on submitted mail being relayed out).
 */
import type { Feature } from '../../feature.js';
import { filtersApi } from '../../http/api/filters.js';
import { filtersUi } from '../../http/ui/filters.js';

export const filtersFeature: Feature = {
  name: 'filters',
  api: [filtersApi],
  ui: [filtersUi],
  menu: [{ area: 'inbound', order: 25, href: '/admin/filters', label: 'menu.filters' }],
  hooks: (s) => [{
    name: 'filters',
    when: (c) => c.msg.listener !== 'submission',
    run: (c) => s.filters.route(c),
  }],
};
