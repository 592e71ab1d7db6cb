/*
 * Mailer status, dashboard counters and metrics over real sockets on every database: mail
 * in over SMTP and out through scripted upstreams; a failing upstream (450) shows failing
 * with the remote reply and since when, an account with a wrong password shows paused, a
 * failing job shows its last error; toggling an account makes its rows wait and re-enabling
 * sends them; a disabled mailbox refuses mail; queue depth and the oldest waiting row; the
 * roll-up job's counters are exact; /metrics parses and holds every name the README documents.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { dbKinds } from '../../helpers/db.js';
import { startTestApp, ADMIN_PASSWORD } from '../../helpers/app.js';
import { startUpstream } from '../../helpers/upstream.js';
import { UiClient } from '../../helpers/session.js';
import { FEATURES } from '../../../server/app.js';
import type { Feature } from '../../../server/feature.js';
import { enqueue, type EnqueueMessage } from '../../../server/outbound/enqueue.js';

const N_IN = 4, N_OUT = 5;
const METRICS_TOKEN = 'metrics-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msg = (o: Partial<EnqueueMessage> = {}): EnqueueMessage => ({ source: 'single', account_id: null, message_type_id: null, from_addr: 'news@ours.example', from_name: 'Ours', reply_to: null,
  subject: 'Hello', html: '<p>Hi</p>', text: 'Hi', headers: null, bulk: false, created_by: null, send_at: null, ...o });
const failingJob: Feature = {
  name: 'test-failing-job',
  jobs: [{ name: 'always-fails', description: 'fails on purpose', cron: '0 0 1 1 *', run: async () => { throw new Error('boom: the disk is gone'); } }],
};
async function until(fn: () => Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await fn()) return true; await sleep(40); }
  return false;
}
/** Names documented in the README's metrics table. */
const documented = () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics'));
  return [...new Set([...section.slice(0, section.indexOf('\n## ', 5) > 0 ? section.indexOf('\n## ', 5) : undefined).matchAll(/^\| `(postern_[a-z_]+)`/gm)].map((m) => m[1]!))];
};

for (const kind of dbKinds()) {
  void t.test(kind, async (t) => {
    const good = await startUpstream();
    const busy = await startUpstream({ rules: () => '450' });
    const locked = await startUpstream({ auth: { user: 'u', pass: 'right-password' } });
    t.teardown(async () => { await good.close(); await busy.close(); await locked.close(); });
    let skew = 0;
    const { app, api, url, tdb } = await startTestApp(t, {
      kind, roles: ['http', 'smtp', 'worker'], features: [...FEATURES, failingJob], clock: { now: () => Date.now() + skew },
      overrides: {
        domains: ['ours.example'], mailboxes: [{ address: 'support@ours.example', name: 'Support' }], metrics: { token: METRICS_TOKEN },
        worker: { pollMs: 30, leaseMs: 5000, batchSize: 50 }, outbound: { maxAgeHours: 72, retryBaseMs: 3_600_000, retryMaxMs: 3_600_000, verpPrefix: 'b' },
      },
    });
    const s = app.services;
    const k = tdb.db.knex;
    const json = async (r: Promise<Response>): Promise<any> => (await r).json();
    const account = async (name: string, port: number, extra: Record<string, unknown> = {}) =>
      json(api('/api/v1/accounts', { method: 'POST', body: JSON.stringify({ name, host: '127.0.0.1', port, security: 'none', maxConnections: 1, ...extra }) }));
    const a = { good: await account('good', good.port, { isDefault: true }), busy: await account('busy', busy.port), locked: await account('locked', locked.port, { username: 'u', password: 'wrong' }) };
    const rows = (id: number) => k('outbound_queue').where({ message_id: id }).orderBy('id');
    const status = async () => json(api('/api/v1/status'));
    const src = (st: any, path: string, id: number) => st.sources.find((x: any) => x.path === path && x.id === id);

    // Outbound: N_OUT accepted, one deferred (450), one returned by an account that cannot log in; one blocked at enqueue.
    await json(api('/api/v1/suppressions', { method: 'POST', body: JSON.stringify({ address: 'blocked@example.org' }) }));
    const sent = await enqueue(s, { message: msg({ account_id: a.good.id }), recipients: [...Array.from({ length: N_OUT }, (_, i) => ({ address: `r${i}@example.org`, kind: 'to' as const })),
      { address: 'blocked@example.org', kind: 'to' as const }], uniqueKeyPrefix: 'status:good' });
    t.equal(sent.suppressed, 1);
    const deferred = await enqueue(s, { message: msg({ account_id: a.busy.id }), recipients: [{ address: 'later@example.org', kind: 'to' }], uniqueKeyPrefix: 'status:busy' });
    await enqueue(s, { message: msg({ account_id: a.locked.id }), recipients: [{ address: 'wait@example.org', kind: 'to' }], uniqueKeyPrefix: 'status:locked' });
    t.ok(await until(async () => (await rows(sent.messageId)).filter((r: any) => r.state === 'sent').length === N_OUT), 'sent');
    t.ok(await until(async () => (await rows(deferred.messageId))[0].state === 'deferred'), 'deferred by the 450');
    t.ok(await until(async () => Boolean((await s.accounts.get(a.locked.id)).paused_at)), 'paused by the 535');

    // Inbound: N_IN messages over SMTP to the mailbox, through the pipeline.
    const mx = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPorts!.mx!, secure: false, ignoreTLS: true });
    t.teardown(() => mx.close());
    for (let i = 0; i < N_IN; i++) await mx.sendMail({ from: 'someone@example.net', to: 'support@ours.example', subject: `in ${i}`, text: 'hello' });
    t.ok(await until(async () => Number((await k('inbound_messages').where({ state: 'processed' }).count({ n: '*' }))[0]!.n) === N_IN), 'processed');

    // The roll-up counts events two minutes old and older: run it as if three minutes had passed.
    skew = 3 * 60_000;
    t.same(await json(api('/api/v1/jobs/mail-stats-rollup/run', { method: 'POST' })), { ok: true });
    skew = 0;
    t.match(await json(api('/api/v1/jobs/always-fails/run', { method: 'POST' })), { ok: false, error: /boom/ });

    await t.test('status: failing with the remote reply and since when, paused, ok with counts; jobs; queues', async (t) => {
      const st = await status();
      const busyRow = src(st, 'accounts', a.busy.id);
      t.match(busyRow, { kind: 'account', name: 'busy', state: 'failing', enabled: true, lastError: /450 4\.2\.1 Mailbox busy/, failingSince: Number, lastErrorAt: Number });
      t.ok(busyRow.failingSince <= busyRow.lastErrorAt);
      t.equal(busyRow.logHref, `/admin/mailer-log?accountId=${a.busy.id}`);
      t.match(src(st, 'accounts', a.locked.id), { state: 'paused', pausedAt: Number, pausedReason: /535|uthenticat/ });
      t.match(src(st, 'accounts', a.good.id), { state: 'ok', lastDay: N_OUT, lastSuccessAt: Number, failingSince: null });
      const mbox = st.mailboxes.find((m: any) => m.name === 'support@ours.example');
      t.match(mbox, { kind: 'mailbox', state: 'ok', lastDay: N_IN, lastSuccessAt: Number });
      t.equal(st.accounts.length + st.mailboxes.length, st.sources.length);
      t.match(st.jobs.find((j: any) => j.name === 'mail-stats-rollup'), { lastStatus: 'ok', lastStartedAt: Number, runCount: 1 });
      t.match(st.jobs.find((j: any) => j.name === 'always-fails'), { lastStatus: 'failed', lastError: /boom: the disk is gone/, lastErrorAt: Number });
      const out = st.queues.find((q: any) => q.name === 'outbound');
      t.match(out.byState, { sent: N_OUT, deferred: 1, queued: 1, suppressed: 1 });
      t.equal(out.waiting, 2, 'the deferred row and the paused account\'s row');
      t.type(out.oldestDueAt, 'number', 'the paused account\'s row is due and waits');
      t.match(st.queues.find((q: any) => q.name === 'inbound').byState, { processed: N_IN });
      t.type(st.statsAt, 'number');
    });

    await t.test('dashboard counters are exact for both ranges', async (t) => {
      for (const range of ['24h', '30d']) {
        const d = await json(api(`/api/v1/dashboard/stats?range=${range}`));
        t.equal(d.series.starts.length, range === '24h' ? 24 : 30);
        t.equal(d.totals['in.received'], N_IN, `${range}: received`);
        t.equal(d.totals['out.sent'], N_OUT, `${range}: sent`);
        t.equal(d.totals['out.deferred'], 1, `${range}: deferred`);
        t.equal(d.totals['out.suppressed'], 1, `${range}: suppressed at enqueue`);
        t.equal(d.series.in.reduce((x: number, y: number) => x + y, 0), N_IN);
        t.equal(d.series.sent.reduce((x: number, y: number) => x + y, 0), N_OUT);
        t.match(d.outcomes.parts.find((p: any) => p.key === 'sent'), { value: N_OUT, share: Math.round((N_OUT / (N_OUT + 2)) * 10_000) / 100 });
        t.match(d.rates, { sent: N_OUT, complaints: 0, complaintRate: 0, complaintVerdict: 'ok', complaintLimit: 0.3, complaintRecommended: 0.1 });
        t.same(d.failing.map((f: any) => f.name).sort(), ['busy', 'locked']);
        t.ok(d.alerts.some((x: any) => x.key === 'status.alert.job' && x.params.name === 'always-fails'));
      }
      t.equal((await api('/api/v1/dashboard/stats?range=7d')).status, 400);
      // A second run counts nothing twice.
      skew = 3 * 60_000;
      await api('/api/v1/jobs/mail-stats-rollup/run', { method: 'POST' });
      skew = 0;
      t.equal((await json(api('/api/v1/dashboard/stats'))).totals['out.sent'], N_OUT, 'the checkpoint held');
    });

    await t.test('metrics: token protected, parses, holds every documented name and the right counts', async (t) => {
      t.equal((await fetch(`${url}/metrics`)).status, 401);
      const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
      const bad = text.split('\n').filter((l) => l && !/^# (HELP|TYPE) [a-zA-Z_:][\w:]* .+$/.test(l) && !/^[a-zA-Z_:][\w:]*(\{([a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$/.test(l));
      t.same(bad, [], 'every line is exposition format');
      const names = documented();
      t.ok(names.length >= 12, `the README documents ${names.length} names`);
      for (const n of names) t.match(text, new RegExp(`^# TYPE ${n} `, 'm'), n);
      t.match(text, `postern_delivery_outcomes_total{outcome="sent"} ${N_OUT}`);
      t.match(text, 'postern_delivery_outcomes_total{outcome="suppressed"} 1');
      t.match(text, `postern_inbound_received_total{listener="mx"} ${N_IN}`);
      t.match(text, `postern_inbound_messages_total{kind="normal"} ${N_IN}`);
      t.match(text, 'postern_job_failing{job="always-fails"} 1');
      t.match(text, 'postern_source_state{kind="account",name="busy",state="failing"} 1');
      t.match(text, 'postern_queue_rows{queue="outbound",state="deferred"} 1');
      t.match(text, /^# TYPE postern_delivery_outcomes_total counter$/m);
    });

    await t.test('disabling an account makes its rows wait; enabling sends them', async (t) => {
      const off = await json(api(`/api/v1/status/accounts/${a.good.id}/disable`, { method: 'POST' }));
      t.match(off, { state: 'disabled', enabled: false });
      const r = await enqueue(s, { message: msg({ account_id: a.good.id }), recipients: [{ address: 'toggle@example.org', kind: 'to' }], uniqueKeyPrefix: 'status:toggle' });
      await sleep(800);
      t.equal((await rows(r.messageId))[0].state, 'queued', 'waits while disabled');
      t.match(await json(api(`/api/v1/status/accounts/${a.good.id}/enable`, { method: 'POST' })), { state: 'ok', enabled: true });
      t.ok(await until(async () => (await rows(r.messageId))[0].state === 'sent'), 'sent once enabled');
      t.equal((await api('/api/v1/status/nope/1/disable', { method: 'POST' })).status, 404);
      t.equal((await api(`/api/v1/status/accounts/999999/disable`, { method: 'POST' })).status, 404);
    });

    await t.test('disabling a mailbox refuses its mail; enabling accepts it again', async (t) => {
      const st = await status();
      const m = st.mailboxes.find((x: any) => x.name === 'support@ours.example');
      t.match(await json(api(`/api/v1/status/mailboxes/${m.id}/disable`, { method: 'POST' })), { state: 'disabled' });
      const refused = await mx.sendMail({ from: 'x@example.net', to: 'support@ours.example', subject: 'no', text: 'no' }).then(() => null, (e: { responseCode?: number }) => e);
      t.equal(refused?.responseCode, 550, 'refused at RCPT');
      await json(api(`/api/v1/status/mailboxes/${m.id}/enable`, { method: 'POST' }));
      await t.resolves(mx.sendMail({ from: 'x@example.net', to: 'support@ours.example', subject: 'yes', text: 'yes' }));
    });

    await t.test('pages: the status page shows the failing account and toggles it (CSRF); the dashboard draws the chart', async (t) => {
      const ui = new UiClient(url);
      t.equal((await ui.login('admin', ADMIN_PASSWORD)).res.status, 303);
      const page = await ui.get('/admin/status');
      t.equal(page.res.status, 200);
      t.match(page.html, `data-source="accounts-${a.busy.id}" data-state="failing"`);
      t.match(page.html, '450 4.2.1 Mailbox busy');
      t.match(page.html, 'failing since');
      t.match(page.html, `href="/admin/mailer-log?accountId=${a.busy.id}"`);
      t.match(page.html, `data-source="accounts-${a.locked.id}" data-state="paused"`);
      t.match(page.html, 'href="/admin/status"', 'in the menu');
      t.match(page.html, /data-job="always-fails"[\s\S]*?boom: the disk is gone/);
      const csrf = UiClient.csrfOf(page.html);
      t.equal((await ui.post(`/admin/status/accounts/${a.busy.id}/disable`, {})).res.status, 403, 'no CSRF token, no change');
      t.equal((await ui.post(`/admin/status/accounts/${a.busy.id}/disable`, {}, csrf)).res.status, 303);
      t.equal((await s.accounts.get(a.busy.id)).active, false);
      t.match((await ui.get('/admin/status')).html, `data-source="accounts-${a.busy.id}" data-state="disabled"`);
      t.equal((await ui.post(`/admin/status/accounts/${a.busy.id}/enable`, {}, csrf)).res.status, 303);
      t.equal((await s.accounts.get(a.busy.id)).active, true);
      t.equal((await ui.post(`/admin/status/accounts/${a.good.id}/test`, {}, csrf)).res.status, 303);
      t.match((await ui.get('/admin/status')).html, 'Test passed');
      t.equal((await ui.post('/admin/status/jobs/mail-stats-rollup/run', {}, csrf)).res.status, 303);
      const dash = await ui.get('/admin');
      t.equal(dash.res.status, 200);
      t.match(dash.html, 'data-chart="mail"');
      t.match(dash.html, `data-outcome="sent"><td>Sent</td><td data-count="${N_OUT}"`);
      t.match(dash.html, 'under 0.3 % required, under 0.1 % recommended');
      t.match(dash.html, 'The job always-fails failed on its last run.');
      t.match((await ui.get('/admin?range=30d')).html, 'Mail per day (UTC), last 30 days');
    });
  });
}
