/* Built-in jobs: return expired queue leases, purge expired sessions and old login-failure counters. */
import type { JobDef } from '../feature.js';
import { sessionsRepo, loginFailuresRepo } from '../db/repos/auth.js';

export const housekeepingJobs: JobDef[] = [
  {
    name: 'lease-sweeper', description: 'Returns queue rows whose worker died or stalled (expired leases) so another worker takes them',
    cron: '*/15 * * * * *', run: (s) => s.scheduler.sweepAll(),
  },
  {
    name: 'sessions-purge', description: 'Deletes expired admin sessions and stale login-failure counters',
    cron: '17 * * * *',
    async run(s) {
      const now = s.ctx.clock.now();
      await sessionsRepo(s.ctx.db).purgeExpired(now);
      await loginFailuresRepo(s.ctx.db).purgeOlderThan(now - 24 * 3_600_000);
    },
  },
];
