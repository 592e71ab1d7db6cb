/* Records as a feature: the records API (bulk upsert, lists, CRUD, opt-out) and the pages, three menu entries under Outbound. */
import type { Feature } from '../feature.js';
import { recordsApi } from '../http/api/records.js';
import { recordsUi } from '../http/ui/records.js';
import { recordsCsvApi } from '../http/api/recordsCsv.js';
import { recordsImportUi } from '../http/ui/recordsImport.js';

export const recordsFeature: Feature = {
  name: 'records',
  api: [recordsApi, recordsCsvApi],
  ui: [recordsUi, recordsImportUi],
  menu: [
    { area: 'crm', order: 10, href: '/admin/records/accounts', label: 'menu.recordAccounts' },
    { area: 'crm', order: 20, href: '/admin/records/contacts', label: 'menu.recordContacts' },
    { area: 'crm', order: 30, href: '/admin/records/leads', label: 'menu.recordLeads' },
    { area: 'crm', order: 50, href: '/admin/records/import', label: 'menu.recordImport', adminOnly: true },
  ],
};
