/*
 * Outbound delivery as a feature: upstream accounts (with the sandbox), DKIM keys, the
 * delivery worker under the worker role, its lease sweeper and queue gauge, API and pages.
 */
import type { Feature } from '../feature.js';
import { OUTBOUND_QUEUE } from './queue/worker.js';
import { accountsApi } from '../http/api/accounts.js';
import { accountsUi } from '../http/ui/accounts.js';

export const outboundFeature: Feature = {
  name: 'outbound',
  queues: [{ name: 'outbound', spec: OUTBOUND_QUEUE }],
  menu: [{ area: 'outbound', order: 50, href: '/admin/accounts', label: 'menu.accounts', adminOnly: true }],
  async bootstrap(s) { await s.accounts.bootstrap(); },
  api: [accountsApi],
  ui: [accountsUi],
  start: { async worker(s) { return s.delivery.start(); } },
};
