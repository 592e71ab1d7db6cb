/*
 * The agents' inbox as a feature: the `inbox` route hook (after filters and cases, before
 * auto-reply) for mail that came in over MX or IMAP and that no filter skipped, the inbox API
 * and folder routes, and the pages (menu: Inbound → Inbox, agents included).
 */
import type { Feature } from '../../feature.js';
import { inboxApi } from '../../http/api/inbox.js';
import { inboxUi } from '../../http/ui/inbox.js';

export const inboxFeature: Feature = {
  name: 'inbox',
  api: [inboxApi],
  ui: [inboxUi],
  menu: [{ area: 'inbound', order: 5, href: '/admin/inbox', label: 'menu.inbox' }],
  hooks: (s) => [{
    name: 'inbox',
    // A skipped message is kept for audit in the message log, never shown in an inbox.
    when: (c) => c.msg.listener !== 'submission' && !c.routing?.skip,
    run: (c) => s.inbox.route(c),
  }],
};
