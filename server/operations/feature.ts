/*
 * Operations as a feature: the mailer log (API, the admin page under Administration, the
 * daily retention purge job). The status page and dashboard of the same area are their own
 * feature; other services report to the log through the `record` seam given in services.ts.
 */
import type { Feature } from '../feature.js';
import type { Services } from '../services.js';
import { mailerLogApi } from '../http/api/mailerLog.js';
import { mailerLogUi } from '../http/ui/mailerLog.js';

const flushOnStop = async (s: Services) => ({ stop: () => s.mailerLog.flush() });

export const operationsFeature: Feature = {
  name: 'operations',
  api: [mailerLogApi],
  ui: [mailerLogUi],
  menu: [{ area: 'administration', order: 65, href: '/admin/mailer-log', label: 'menu.mailerLog', adminOnly: true }],
  jobs: [{
    name: 'mailer-log-purge', description: 'Forget mailer log entries older than the retention setting (days)',
    cron: '41 3 * * *', run: (s) => s.mailerLog.purge(),
  }],
  // Entries still buffered are written before the node stops (the worker and SMTP roles report most).
  start: { worker: flushOnStop, smtp: flushOnStop },
};
