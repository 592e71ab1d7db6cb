/*
 * Templates and message types as a feature: their API and admin pages.
 */
import type { Feature } from '../../feature.js';
import { templatesApi } from '../../http/api/templates.js';
import { messageTypesApi } from '../../http/api/messageTypes.js';
import { templatesUi } from '../../http/ui/templates.js';
import { messageTypesUi } from '../../http/ui/messageTypes.js';

export const templatesFeature: Feature = {
  name: 'outbound-templates',
  menu: [
    { area: 'outbound', order: 30, href: '/admin/templates', label: 'menu.templates' },
    { area: 'outbound', order: 40, href: '/admin/message-types', label: 'menu.messageTypes' },
  ],
  api: [templatesApi, messageTypesApi],
  ui: [templatesUi, messageTypesUi],
};
