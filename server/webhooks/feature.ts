/*
 * Webhooks as a feature: endpoints API and pages under Administration, the delivery queue
 * (swept and gauged), the worker under the worker role, the history purge job, a dashboard
 * card, and the `message.received` pipeline hook (mail that came in over MX or IMAP, not bounces;
 * it runs after the routing hooks, so it carries the case and skips what a filter skipped).
 */
import type { Feature } from '../feature.js';
import { WEBHOOK_QUEUE } from '../db/repos/webhooks/deliveries.js';
import { webhooksApi } from '../http/api/webhooks.js';
import { webhooksUi } from '../http/ui/webhooks.js';

export const webhooksFeature: Feature = {
  name: 'webhooks',
  api: [webhooksApi],
  ui: [webhooksUi],
  menu: [{ area: 'administration', order: 60, href: '/admin/webhooks', label: 'menu.webhooks', adminOnly: true }],
  cards: [async (s) => {
    const n = await s.webhooks.failingCount();
    return n ? [{ title: 'Webhooks failing', value: n, href: '/admin/webhooks' }] : [];
  }],
  queues: [{ name: 'webhooks', spec: WEBHOOK_QUEUE }],
  jobs: [{
    name: 'webhook-history-purge', description: 'Forget webhook attempts and finished deliveries older than the history setting (days)',
    cron: '23 3 * * *', run: (s) => s.webhooks.purge(),
  }],
  hooks: (s) => [{
    name: 'webhooks-received',
    // Mail a filter skipped is kept for audit only: not routed, so not announced either.
    when: (c) => c.msg.listener !== 'submission' && c.kind !== 'bounce' && c.kind !== 'complaint' && !c.routing?.skip,
    // Recorded in the route step only when it queued deliveries: otherwise the message was not routed by it.
    run: async (c) => (await s.webhooks.received(c.msg, c.fields, c.routing)) || undefined,
  }],
  start: { worker: (s) => s.webhooks.start() },
};
