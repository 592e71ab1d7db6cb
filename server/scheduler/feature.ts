/*
 * Scheduled jobs as a feature: the jobs list and editor (API and pages) and the built-in
 * housekeeping jobs. The scheduler itself is a service (services.ts); each feature declares
 * its own jobs.
 */
import type { Feature } from '../feature.js';
import { jobsApi } from '../http/api/jobs.js';
import { jobsUi } from '../http/ui/jobs.js';
import { housekeepingJobs } from './housekeeping.js';

export const schedulerFeature: Feature = {
  name: 'scheduler',
  api: [jobsApi],
  ui: [jobsUi],
  jobs: housekeepingJobs,
  menu: [{ area: 'administration', order: 40, href: '/admin/jobs', label: 'menu.jobs' }],
};
