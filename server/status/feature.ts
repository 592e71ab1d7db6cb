/*
 * Mailer status and dashboard as a feature: the status page under Overview (after the
 * dashboard), its API and the dashboard stats API, the `mail-stats-rollup` job that keeps
 * the hourly counters, and a pipeline hook counting inbound kinds for /metrics.
 */
import type { Feature } from '../feature.js';
import { statusApi } from '../http/api/status.js';
import { statusUi } from '../http/ui/status.js';

export const statusFeature: Feature = {
  name: 'status',
  api: [statusApi],
  ui: [statusUi],
  menu: [{ area: 'overview', order: 10, href: '/admin/status', label: 'menu.status', adminOnly: true }],
  jobs: [{
    name: 'mail-stats-rollup', description: 'Count new mail events into the hourly counters of the dashboard and /metrics (from a checkpoint per table)',
    cron: '* * * * *', run: (s) => s.status.rollup(),
  }],
  hooks: (s) => [{
    name: 'status-count',
    when: () => true,
    // Counts and answers undefined: the route step records nothing for it.
    run: async (c) => { s.metrics.inboundKind(c.kind); return undefined; },
  }],
};
