/*
 * The outbound queue's operator view as a feature: API, pages and the dashboard cards.
 */
import type { Feature } from '../../feature.js';
import { queueApi } from '../../http/api/queue.js';
import { queueUi } from '../../http/ui/queue.js';

export const queueAdminFeature: Feature = {
  name: 'outbound-queue-admin',
  menu: [{ area: 'outbound', order: 20, href: '/admin/queue', label: 'menu.queue' }],
  cards: [async (s) => {
    const c = await s.queueAdmin.counts();
    return [
      {
        title: 'Outbound waiting', value: (c.queued ?? 0) + (c.deferred ?? 0) + (c.sending ?? 0), href: '/admin/queue?state=queued',
        note: `${c.deferred ?? 0} deferred`,
      },
      { title: 'Outbound failed', value: c.failed ?? 0, href: '/admin/queue?state=failed' },
    ];
  }],
  api: [queueApi],
  ui: [queueUi],
};
