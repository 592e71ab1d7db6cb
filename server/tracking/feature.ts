/*
 * Tracking as a feature: the public pixel and click routes, and the API of tracking URLs, the
 * campaign log, stats and the privacy switch. (The opt-out route /u/ belongs to suppression.)
 */
import type { Feature } from '../feature.js';
import { trackingRoutes } from '../http/public/tracking.js';
import { trackingApi } from '../http/api/tracking.js';

export const trackingFeature: Feature = {
  name: 'tracking',
  api: [trackingApi],
  publicRoutes: [trackingRoutes],
};
