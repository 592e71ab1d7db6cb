/* Target lists as a feature: their API and admin pages, a menu entry under Outbound. */
import type { Feature } from '../feature.js';
import { targetListsApi } from '../http/api/targetLists.js';
import { targetListsUi } from '../http/ui/targetLists.js';

export const targetListsFeature: Feature = {
  name: 'target-lists',
  menu: [{ area: 'crm', order: 40, href: '/admin/target-lists', label: 'menu.targetLists' }],
  api: [targetListsApi],
  ui: [targetListsUi],
};
