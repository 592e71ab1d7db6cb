/*
 * Campaigns as a feature: the campaigns and mass email API and pages, a menu entry under
 * Records & lists and one for the mass email settings under Administration, and the "Send mass
 * emails" job (every minute; its schedule and Active flag are edited with the other jobs).
 */
import type { Feature } from '../feature.js';
import { campaignsApi } from '../http/api/campaigns.js';
import { campaignsUi } from '../http/ui/campaigns.js';
import { massEmailsUi } from '../http/ui/massEmails.js';

export const campaignsFeature: Feature = {
  name: 'campaigns',
  api: [campaignsApi],
  ui: [campaignsUi, massEmailsUi],
  menu: [
    { area: 'crm', order: 45, href: '/admin/campaigns', label: 'menu.campaigns' },
    { area: 'administration', order: 50, href: '/admin/settings/mass-email', label: 'menu.massEmailSettings', adminOnly: true },
  ],
  jobs: [
    { name: 'send-mass-emails', description: 'Send mass emails: start those due, release portions under the hourly limit, complete finished ones', cron: '* * * * *', run: (s) => s.massSender.run() },
    { name: 'mass-email-releases-purge', description: 'Forget mass email releases older than a day (the pacing window needs one hour)', cron: '17 * * * *', run: (s) => s.campaigns.purgeReleases() },
  ],
};
