/*
 * /api/v1/status (mail sources, jobs, queues), the enable/disable toggle and test of a source
 * (/api/v1/status/{accounts|mailboxes|…}/{id}/enable|disable|test), and /api/v1/dashboard/stats.
 * The existing PATCH /accounts/{id} and /mailboxes/{id} `{active}` do the same as the toggle.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors, Nullable, Ms } from './schemas.js';
import { SERIES } from '../../status/logic.js';

const State = Type.Union(['ok', 'failing', 'paused', 'disabled'].map((s) => Type.Literal(s)));
const Source = Type.Object({
  kind: Type.String({ description: 'account | mailbox | imap …' }), path: Type.String({ description: 'path segment of its toggle' }), id: Type.Integer(), name: Type.String(),
  detail: Type.String(), enabled: Type.Boolean(), state: State, pausedAt: Nullable(Ms()), pausedReason: Nullable(Type.String()),
  failingSince: Nullable(Ms('the first error after the last success')), lastSuccessAt: Nullable(Ms()), lastError: Nullable(Type.String({ description: 'the remote reply' })),
  lastErrorAt: Nullable(Ms()), lastHour: Nullable(Type.Integer({ description: 'messages this hour (sent for accounts, received for mailboxes; null for IMAP accounts, which count fetched mail in detail)' })),
  lastDay: Nullable(Type.Integer({ description: 'messages over the last 24 hours' })), settingsHref: Type.String(), logHref: Nullable(Type.String()), canTest: Type.Boolean(),
});
const Job = Type.Object({
  name: Type.String(), description: Type.String(), cron: Type.String(), active: Type.Boolean(), lastStartedAt: Nullable(Ms()), lastFinishedAt: Nullable(Ms()),
  lastStatus: Nullable(Type.String()), lastError: Nullable(Type.String()), lastErrorAt: Nullable(Ms()), nextRunAt: Nullable(Ms()), runCount: Type.Integer(),
});
const Queue = Type.Object({
  name: Type.String(), byState: Type.Record(Type.String(), Type.Integer()), waiting: Type.Integer({ description: 'rows in a ready state' }),
  oldestDueAt: Nullable(Ms('run_at of the oldest row due and not yet taken')),
});
const Status = Type.Object({
  at: Ms(), accounts: Type.Array(Source), mailboxes: Type.Array(Source), sources: Type.Array(Source, { description: 'every source, accounts and mailboxes included' }),
  jobs: Type.Array(Job), queues: Type.Array(Queue), statsAt: Nullable(Ms('when the hourly counters were last rolled up')),
});
const SourceParams = Type.Object({ path: Type.String({ maxLength: 40, description: 'accounts | mailboxes | …' }), id: Type.Integer({ minimum: 1 }) });
const Toggle = Type.Object({ path: Type.String({ maxLength: 40 }), id: Type.Integer({ minimum: 1 }), action: Type.Union([Type.Literal('enable'), Type.Literal('disable')]) });
const Num = Type.Number();
const Stats = Type.Object({
  range: Type.String(), at: Ms(), statsAt: Nullable(Ms()),
  series: Type.Object({ starts: Type.Array(Ms(), { description: 'start of each point (hours for 24h, UTC days for 30d)' }), ...Object.fromEntries(SERIES.map((k) => [k, Type.Array(Type.Integer())])) }),
  totals: Type.Record(Type.String(), Type.Integer(), { description: 'counts over the range by kind: in.received, in.submitted, out.sent, out.deferred, out.failed, out.suppressed, bounce.hard, bounce.soft, complaint, webhook.ok, webhook.error' }),
  outcomes: Type.Object({ total: Type.Integer(), parts: Type.Array(Type.Object({ key: Type.String(), value: Type.Integer(), share: Nullable(Num) })) }),
  rates: Type.Object({
    sent: Type.Integer(), bounces: Type.Integer(), complaints: Type.Integer(), bounceRate: Nullable(Num), complaintRate: Nullable(Num),
    bounceVerdict: Type.String(), complaintVerdict: Type.String({ description: 'none | ok | over-recommended (≥ 0.1 %) | over-limit (≥ 0.3 %, the Gmail/Yahoo limit)' }),
    complaintLimit: Num, complaintRecommended: Num, bounceGuidance: Num,
  }),
  failing: Type.Array(Source),
  massEmails: Type.Array(Type.Object({
    id: Type.Integer(), name: Type.String(), campaignId: Type.Integer(), counts: Type.Record(Type.String(), Type.Integer()), total: Type.Integer(), done: Type.Integer(),
    progress: Num,
  })),
  alerts: Type.Array(Type.Object({ level: Type.String(), key: Type.String(), params: Type.Record(Type.String(), Type.Union([Type.String(), Num])) })),
});

export function statusApi(app: Api, s: Services) {
  const tags = ['status'];
  app.get('/status', { schema: { tags, summary: 'Mailer status: every mail source with its state, the scheduled jobs, the queues', response: { 200: Status } } },
    async () => s.status.overview());
  app.post('/status/:path/:id/:action', {
    schema: { tags, summary: 'Enable or disable a mail source (a disabled account sends nothing: its rows wait)', params: Toggle,
      response: { 200: Source, ...errors(400, 404) } },
  }, async (req) => {
    const { path, id, action } = req.params;
    await s.status.setEnabled(path, id, action === 'enable');
    const row = (await s.status.overview()).sources.find((r) => r.path === path && r.id === id);
    return row!;
  });
  app.post('/status/:path/:id/test', {
    schema: { tags, summary: 'Test a source with its own test (an account connects and logs in)', params: SourceParams,
      response: { 200: Type.Object({ ok: Type.Boolean(), stage: Type.String(), message: Type.String() }), ...errors(404) } },
  }, async (req) => s.status.test(req.params.path, req.params.id));
  app.get('/dashboard/stats', {
    schema: { tags, summary: 'Dashboard numbers: mail in and out, outcome shares, bounce and complaint rates, failing sources, running mass emails, alerts',
      querystring: Type.Object({ range: Type.Optional(Type.Union([Type.Literal('24h'), Type.Literal('30d')])) }), response: { 200: Stats } },
  }, async (req) => {
    const d = await s.status.dashboard(req.query.range ?? '24h');
    return { ...d, series: { starts: d.series.starts, ...d.series.series } };
  });
}
