/*
 * IMAP accounts as a feature: the accounts API and pages under Inbound (group accounts for
 * admins, personal ones for their owners), and the sync supervisor under the worker role
 * (one node holds each account's connection through a lease in the database).
 */
import type { Feature } from '../feature.js';
import { imapAccountsApi } from '../http/api/imapAccounts.js';
import { imapAccountsUi } from '../http/ui/imapAccounts.js';

export const imapFeature: Feature = {
  name: 'imap',
  api: [imapAccountsApi],
  ui: [imapAccountsUi],
  menu: [{ area: 'inbound', order: 40, href: '/admin/imap-accounts', label: 'menu.imapAccounts' }],
  start: { worker: (s) => s.imap.start() },
};
