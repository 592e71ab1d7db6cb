/*
 * Tracking as a feature: the public pixel and click routes, and the API of tracking URLs, the
 * campaign log, stats and the privacy switch; the pages of tracking URLs and of the campaign log. (The opt-out route /u/ belongs to suppression.)
 */
import type { Feature } from '../feature.js';
import { trackingRoutes } from '../http/public/tracking.js';
import { trackingApi } from '../http/api/tracking.js';
import { campaignLogUi } from '../http/ui/campaignLog.js';
import { trackingUrlsUi } from '../http/ui/trackingUrls.js';

export const trackingFeature: Feature = {
  name: 'tracking',
  api: [trackingApi],
  ui: [trackingUrlsUi, campaignLogUi],
  rawRoutes: [trackingRoutes],
};
