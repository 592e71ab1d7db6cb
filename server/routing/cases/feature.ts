/*
 * Email-to-case as a feature: the `cases` route hook (after filters, before auto-reply), the RCPT
 * resolver for signed case reply addresses (registered at bootstrap), the cases API and pages
 * under the Inbound menu area.
 */
import type { Feature } from '../../feature.js';
import { casesApi } from '../../http/api/cases.js';
import { casesUi } from '../../http/ui/cases.js';

export const casesFeature: Feature = {
  name: 'cases',
  api: [casesApi],
  ui: [casesUi],
  menu: [{ area: 'inbound', order: 15, href: '/admin/cases', label: 'menu.cases' }],
  hooks: (s) => [{
    name: 'cases',
    // Mail received over MX or fetched over IMAP; mail apps submit for relay is not a case.
    when: (c) => !c.routing?.skip && c.msg.listener !== 'submission',
    run: (c) => s.cases.route(c),
  }],
  async bootstrap(s) { s.directory.addResolver(s.cases.rcptResolver); },
};
