/*
 * People and keys as a feature: users, teams and API keys (API and pages), and each user's
 * own settings page (locale, time zone). The login page and the session live in the UI shell.
 */
import type { Feature } from '../feature.js';
import { usersApi } from '../http/api/users.js';
import { teamsApi } from '../http/api/teams.js';
import { apiKeysApi } from '../http/api/apikeys.js';
import { usersUi } from '../http/ui/users.js';
import { teamsUi } from '../http/ui/teams.js';
import { apiKeysUi } from '../http/ui/apikeys.js';
import { settingsUi } from '../http/ui/settings.js';

export const adminFeature: Feature = {
  name: 'admin',
  api: [usersApi, teamsApi, apiKeysApi],
  ui: [usersUi, teamsUi, apiKeysUi, settingsUi],
  menu: [
    { area: 'administration', order: 10, href: '/admin/users', label: 'menu.users', adminOnly: true },
    { area: 'administration', order: 20, href: '/admin/teams', label: 'menu.teams' },
    { area: 'administration', order: 30, href: '/admin/apikeys', label: 'menu.apikeys', adminOnly: true },
    { area: 'administration', order: 90, href: '/admin/settings', label: 'menu.settings' },
  ],
};
