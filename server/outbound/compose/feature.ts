/*
 * Single-email compose as a feature: the compose page and /api/v1/send (with preview).
 */
import type { Feature } from '../../feature.js';
import { composeApi } from '../../http/api/compose.js';
import { composeUi } from '../../http/ui/compose.js';

export const composeFeature: Feature = {
  name: 'outbound-compose',
  menu: [{ area: 'outbound', order: 10, href: '/admin/compose', label: 'menu.compose' }],
  api: [composeApi],
  ui: [composeUi],
};
