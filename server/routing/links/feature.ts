/*
 * Record links and notifications as a feature: the `links` route hook (after cases, before
 * auto-reply), the notifications API and page (Overview), follow/unfollow (API and buttons on
 * record and case pages) and the links reads (a message's records, a record's emails).
 */
import type { Feature } from '../../feature.js';
import { notificationsApi } from '../../http/api/notifications.js';
import { followsApi } from '../../http/api/follows.js';
import { notificationsUi } from '../../http/ui/notifications.js';

export const linksFeature: Feature = {
  name: 'links',
  api: [notificationsApi, followsApi],
  ui: [notificationsUi],
  menu: [{ area: 'overview', order: 5, href: '/admin/notifications', label: 'menu.notifications' }],
  hooks: (s) => [{
    name: 'links',
    // Mail received over MX or fetched over IMAP that no filter skipped; mail apps submit for relay is not linked,
    // nor are bounces and complaints (the bounce step handles them: they are about our mail, not from a person).
    when: (c) => !c.routing?.skip && c.msg.listener !== 'submission' && c.kind !== 'bounce' && c.kind !== 'complaint',
    run: (c) => s.links.route(c),
  }],
};
