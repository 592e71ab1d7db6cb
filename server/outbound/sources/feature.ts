/*
 * The outbound sources feature: single-email compose, templates, message types and the
 * queue's operator view (API + admin pages), and the submission-relay pipeline hook.
 */
import type { Feature } from '../../feature.js';
import { sourcesService } from './service.js';
import { enqueue } from '../enqueue.js';
import { composeApi } from '../../http/api/compose.js';
import { templatesApi } from '../../http/api/templates.js';
import { messageTypesApi } from '../../http/api/messageTypes.js';
import { queueApi } from '../../http/api/queue.js';
import { composeUi } from '../../http/ui/compose.js';
import { templatesUi } from '../../http/ui/templates.js';
import { messageTypesUi } from '../../http/ui/messageTypes.js';
import { queueUi } from '../../http/ui/queue.js';
import { addNav } from '../../http/ui/render.js';
import { addDashboardCards } from '../../http/ui/dashboard.js';

let cardsAdded = false; // the card list is module-wide: add ours once per process

export const sourcesFeature: Feature = {
  name: 'outbound-sources',
  async setup(s) {
    s.sources = sourcesService(s, enqueue);
    // Mail apps submit (listener=submission, relay recipients) is relayed out, headers kept.
    s.inboundPipeline?.addHook({
      name: 'submission-relay',
      when: (c) => c.msg.listener === 'submission' && c.recipients.some((r) => r.kind === 'relay'),
      run: (c) => s.sources.submission.relay(c.msg.id),
    });
    addNav({ href: '/admin/compose', label: 'Compose' }, '/admin/jobs');
    addNav({ href: '/admin/queue', label: 'Outbound queue' }, '/admin/jobs');
    addNav({ href: '/admin/templates', label: 'Templates' }, '/admin/jobs');
    addNav({ href: '/admin/message-types', label: 'Message types' }, '/admin/jobs');
    if (!cardsAdded) {
      cardsAdded = true;
      addDashboardCards(async (sv) => {
        const c = await sv.sources.queue.counts();
        return [
          { title: 'Outbound waiting', value: (c.queued ?? 0) + (c.deferred ?? 0) + (c.sending ?? 0), href: '/admin/queue?state=queued', note: `${c.deferred ?? 0} deferred` },
          { title: 'Outbound failed', value: c.failed ?? 0, href: '/admin/queue?state=failed' },
        ];
      });
    }
  },
  api: [composeApi, templatesApi, messageTypesApi, queueApi],
  ui: [composeUi, templatesUi, messageTypesUi, queueUi],
};
