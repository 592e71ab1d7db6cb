/*
 * The outbound sources feature: single-email compose, templates, message types and the
 * queue's operator view (API + admin pages), and the submission-relay pipeline hook.
 */
import type { Feature } from '../../feature.js';
import { composeApi } from '../../http/api/compose.js';
import { templatesApi } from '../../http/api/templates.js';
import { messageTypesApi } from '../../http/api/messageTypes.js';
import { queueApi } from '../../http/api/queue.js';
import { composeUi } from '../../http/ui/compose.js';
import { templatesUi } from '../../http/ui/templates.js';
import { messageTypesUi } from '../../http/ui/messageTypes.js';
import { queueUi } from '../../http/ui/queue.js';

export const sourcesFeature: Feature = {
  name: 'outbound-sources',
  // Mail apps submit (listener=submission, relay recipients) is relayed out, headers kept.
  hooks: (s) => [{
    name: 'submission-relay',
    when: (c) => c.msg.listener === 'submission' && c.recipients.some((r) => r.kind === 'relay'),
    run: (c) => s.sources.submission.relay(c.msg.id),
  }],
  menu: [
    { area: 'outbound', order: 10, href: '/admin/compose', label: 'menu.compose' },
    { area: 'outbound', order: 20, href: '/admin/queue', label: 'menu.queue' },
    { area: 'outbound', order: 30, href: '/admin/templates', label: 'menu.templates' },
    { area: 'outbound', order: 40, href: '/admin/message-types', label: 'menu.messageTypes' },
  ],
  cards: [async (sv) => {
    const c = await sv.sources.queue.counts();
    return [
      { title: 'Outbound waiting', value: (c.queued ?? 0) + (c.deferred ?? 0) + (c.sending ?? 0), href: '/admin/queue?state=queued', note: `${c.deferred ?? 0} deferred` },
      { title: 'Outbound failed', value: c.failed ?? 0, href: '/admin/queue?state=failed' },
    ];
  }],
  api: [composeApi, templatesApi, messageTypesApi, queueApi],
  ui: [composeUi, templatesUi, messageTypesUi, queueUi],
};
