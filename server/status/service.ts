/*
 * Mailer status and dashboard: every mail source with its state and counts (through the
 * status sources), the scheduled jobs, queue depths and the oldest waiting row; the
 * dashboard's series, outcome shares, rates and alerts from the hourly counters; the
 * `mail-stats-rollup` job; and the cluster-wide numbers /metrics reads (metricSources).
 */
import type { Ctx } from '../context.js';
import type { QueueSpec } from '../db/queue.js';
import type { SchedulerService } from '../scheduler/service.js';
import type { CampaignsService } from '../campaigns/service.js';
import { mailStatsRepo } from '../db/repos/status/stats.js';
import { queueDepthRepo, type QueueDepth } from '../db/repos/status/queues.js';
import { notFound } from '../errors.js';
import type { SourceRow, StatusSource, TestResult } from './sources.js';
import { alertsOf, outcomeShares, rangeStartHour, rates, seriesOf, HOUR, DAY, type Range } from './logic.js';

/** A number /metrics reports, read when Prometheus scrapes (metrics.ts turns each into a counter or gauge). */
export interface MetricSource {
  name: string; help: string; type: 'counter' | 'gauge'; labelNames: string[];
  collect(): Promise<Array<{ labels: Record<string, string>; value: number }>>;
}
export interface StatusOptions {
  /** How old an event row must be before the roll-up counts it (see stats.ts#settled). */
  settleMs: number;
  /** Hour buckets kept (the all-time totals stay). */
  keepDays: number;
}
export const STATUS_DEFAULTS: StatusOptions = { settleMs: 120_000, keepDays: 400 };

export interface StatusDeps {
  ctx: Ctx;
  scheduler: Pick<SchedulerService, 'list' | 'runNow'>;
  /** The feature queues (services.ts passes the declared ones, read when asked). */
  queues: () => Array<{ name: string; spec: QueueSpec }>;
  /** Every kind of mail source the page lists, in order (accounts, mailboxes, IMAP accounts …). */
  sources: StatusSource[];
  campaigns?: Pick<CampaignsService, 'listMassEmails' | 'counts'>;
}

export function statusService(s: StatusDeps, opts: Partial<StatusOptions> = {}) {
  const o = { ...STATUS_DEFAULTS, ...opts };
  const stats = mailStatsRepo(s.ctx.db);
  const depth = queueDepthRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const log = s.ctx.log.child({ mod: 'status' });
  const sourceOf = (path: string) => { const src = s.sources.find((x) => x.path === path); if (!src) throw notFound('Status source'); return src; };

  const oldestCheckpoint = (cps: Record<string, { at: number }>) => Object.values(cps).reduce<number | null>((a, c) => (a === null ? c.at : Math.min(a, c.at)), null);
  async function allRows(t: number, only = (_x: StatusSource) => true): Promise<SourceRow[]> { return (await Promise.all(s.sources.filter(only).map((x) => x.rows(t)))).flat(); }
  async function queues(t: number): Promise<Array<{ name: string } & QueueDepth>> {
    return Promise.all(s.queues().map(async (q) => ({ name: q.name, ...(await depth.depth(q.spec, t)) })));
  }

  async function overview() {
    const t = now();
    const [rows, jobs, qs, cps] = await Promise.all([allRows(t), s.scheduler.list(), queues(t), stats.checkpoints()]);
    const statsAt = oldestCheckpoint(cps);
    return {
      at: t, sources: rows, accounts: rows.filter((r) => r.kind === 'account'), mailboxes: rows.filter((r) => r.kind === 'mailbox'),
      jobs: jobs.map((j) => ({ name: j.name, description: j.description, cron: j.cron, active: j.active, lastStartedAt: j.last_started_at, lastFinishedAt: j.last_finished_at,
        lastStatus: j.last_status, lastError: j.last_error, lastErrorAt: j.last_error_at, nextRunAt: j.next_run_at, runCount: j.run_count })),
      queues: qs,
      /** When the counters were last rolled up (the oldest checkpoint), or null before the first run. */
      statsAt,
    };
  }

  async function runningMassEmails() {
    if (!s.campaigns) return [];
    const page = await s.campaigns.listMassEmails({ perPage: 20, filters: { status: 'in_process' } });
    return Promise.all(page.items.map(async (m) => {
      const c = await s.campaigns!.counts(m.id);
      const done = c.sent + c.failed + c.skipped + c.cancelled;
      const total = c.total;
      const counts = { queued: c.queued, sending: c.sending, sent: c.sent, deferred: c.deferred, failed: c.failed, skipped: c.skipped };
      return { id: m.id, name: m.name, campaignId: m.campaign_id, counts, total, done, progress: total ? Math.round((done / total) * 1000) / 10 : 0 };
    }));
  }

  return {
    stats,
    overview,
    /** Path segments of the sources, in page order. */
    paths: () => s.sources.map((x) => x.path),
    /** `path`: the source's path segment (`accounts`, `mailboxes` …). */
    async setEnabled(path: string, id: number, on: boolean) {
      await sourceOf(path).setEnabled(id, on);
      log.info({ evt: 'status.source_toggled', source: path, id, enabled: on }, on ? 'source enabled' : 'source disabled');
    },
    async test(path: string, id: number): Promise<TestResult> {
      const src = sourceOf(path);
      if (!src.test) throw notFound('Test for this source');
      return src.test(id);
    },
    runJob: (name: string) => s.scheduler.runNow(name),
    /** The dashboard: series, outcome shares, rates against the thresholds, failing sources, running mass emails, alerts. */
    async dashboard(range: Range) {
      const t = now();
      // No queue counts here: a GROUP BY over a big queue per page view is what the counters avoid.
      const [rows, sources, jobs, oldest, cps, running] = await Promise.all([
        stats.hourly('', rangeStartHour(range, t)), allRows(t), s.scheduler.list(),
        Promise.all(s.queues().map(async (q) => ({ name: q.name, oldestDueAt: await depth.oldestDue(q.spec, t) }))), stats.checkpoints(), runningMassEmails(),
      ]);
      const series = seriesOf(rows, range, t);
      const r = rates(series.totals);
      return {
        range, at: t, statsAt: oldestCheckpoint(cps), series, totals: series.totals, outcomes: outcomeShares(series.totals), rates: r,
        failing: sources.filter((x) => x.state === 'failing' || x.state === 'paused'),
        massEmails: running,
        alerts: alertsOf({ sources, jobs, rates: r, queues: oldest, now: t }),
      };
    },
    /** The roll-up job: counts the events since the checkpoints, then forgets hour buckets past the retention. */
    async rollup() {
      const t = now();
      const counted = await stats.rollup(t, { settleMs: o.settleMs });
      const purged = await stats.purge(Math.floor((t - o.keepDays * DAY) / HOUR));
      const total = Object.values(counted).reduce((a, b) => a + b, 0);
      if (total || purged) log.info({ evt: 'status.rollup', ...counted, purged }, `rolled up ${total} event rows`);
      return { counted, purged };
    },
    /** Cluster-wide numbers from the database: every node reports the same values (scrape one, or use max() across nodes). */
    metricSources(): MetricSource[] {
      const totals = () => stats.totals();
      const pick = (prefix: string, label: string, map: (k: string) => string = (k) => k.slice(prefix.length)) => async () =>
        Object.entries(await totals()).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => ({ labels: { [label]: map(k) }, value: v }));
      return [
        { name: 'postern_delivery_outcomes_total', help: 'Delivery attempts by outcome (sent, deferred, failed, suppressed), all nodes', type: 'counter', labelNames: ['outcome'], collect: pick('out.', 'outcome') },
        { name: 'postern_inbound_received_total', help: 'Messages accepted over SMTP by listener (mx, submission), all nodes', type: 'counter', labelNames: ['listener'],
          collect: pick('in.', 'listener', (k) => (k === 'in.submitted' ? 'submission' : 'mx')) },
        { name: 'postern_bounces_total', help: 'Bounce events by class (hard, soft), all nodes', type: 'counter', labelNames: ['class'], collect: pick('bounce.', 'class') },
        { name: 'postern_complaints_total', help: 'Complaint (ARF) events, all nodes', type: 'counter', labelNames: [],
          collect: async () => [{ labels: {}, value: (await totals()).complaint ?? 0 }] },
        { name: 'postern_webhook_attempts_total', help: 'Webhook delivery attempts by outcome (ok = HTTP 2xx, error), all nodes', type: 'counter', labelNames: ['outcome'], collect: pick('webhook.', 'outcome') },
        { name: 'postern_job_runs_total', help: 'Runs of each scheduled job, all nodes', type: 'counter', labelNames: ['job'],
          collect: async () => (await s.scheduler.list()).map((j) => ({ labels: { job: j.name }, value: j.run_count })) },
        { name: 'postern_job_failing', help: '1 when the last run of the job failed', type: 'gauge', labelNames: ['job'],
          collect: async () => (await s.scheduler.list()).map((j) => ({ labels: { job: j.name }, value: j.last_status === 'failed' ? 1 : 0 })) },
        { name: 'postern_job_last_run_timestamp_seconds', help: 'When each job last started (Unix seconds; absent before its first run)', type: 'gauge', labelNames: ['job'],
          collect: async () => (await s.scheduler.list()).filter((j) => j.last_started_at)
            .map((j) => ({ labels: { job: j.name }, value: Math.floor(j.last_started_at! / 1000) })) },
        { name: 'postern_queue_oldest_due_seconds', help: 'How long the oldest due row of each queue has waited for a worker (0 when none)', type: 'gauge', labelNames: ['queue'],
          collect: async () => {
            const t = now();
            return (await queues(t)).map((q) => ({ labels: { queue: q.name }, value: q.oldestDueAt === null ? 0 : Math.max(0, (t - q.oldestDueAt) / 1000) }));
          } },
        // Mailboxes stay out: they are many, and only ever ok or disabled.
        { name: 'postern_source_state', help: '1 for the state each sending or fetching source is in (ok, failing, paused, disabled)', type: 'gauge', labelNames: ['kind', 'name', 'state'],
          collect: async () => (await allRows(now(), (x) => x.kind !== 'mailbox')).map((r) => ({ labels: { kind: r.kind, name: r.name, state: r.state }, value: 1 })) },
        { name: 'postern_mail_stats_lag_seconds', help: 'Age of the oldest roll-up checkpoint of the mail counters', type: 'gauge', labelNames: [],
          collect: async () => {
            const c = Object.values(await stats.checkpoints());
            return c.length ? [{ labels: {}, value: Math.max(0, (now() - Math.min(...c.map((x) => x.at))) / 1000) }] : [];
          } },
      ];
    },
  };
}
export type StatusService = ReturnType<typeof statusService>;
