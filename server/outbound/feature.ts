/*
 * Outbound delivery as a feature: upstream accounts (with the sandbox), DKIM keys, the
 * delivery worker under the worker role, its lease sweeper and queue gauge, API and pages.
 */
import type { Feature } from '../feature.js';
import { accountsService } from './accounts/service.js';
import { dkimService } from './dkim/service.js';
import { createDeliveryWorker, OUTBOUND_QUEUE } from './queue/worker.js';
import { sandboxRepo } from '../db/repos/outboundQueue.js';
import { sweep, countByState } from '../db/queue.js';
import { accountsApi } from '../http/api/accounts.js';
import { accountsUi } from '../http/ui/accounts.js';
import { addNav } from '../http/ui/render.js';

export const outboundFeature: Feature = {
  name: 'outbound',
  setup(s) {
    s.accounts = accountsService(s);
    s.dkim = dkimService(s);
    s.sandbox = sandboxRepo(s.ctx.db);
    s.delivery = createDeliveryWorker(s, s.accounts);
    s.scheduler.addSweeper('outbound', (now) => sweep(s.ctx.db, OUTBOUND_QUEUE, now));
    s.metrics.addQueue('outbound', async () => Object.entries(await countByState(s.ctx.db, 'outbound_queue')).map(([state, value]) => ({ labels: { state }, value })));
    addNav({ href: '/admin/accounts', label: 'Upstream accounts', adminOnly: true }, '/admin/suppressions');
  },
  async bootstrap(s) { await s.accounts.bootstrap(); },
  api: [accountsApi],
  ui: [accountsUi],
  start: { async worker(s) { return s.delivery.start(); } },
};
