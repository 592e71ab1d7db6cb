/*
 * The status and dashboard rules, pure: a source's state, "failing since", the chart series
 * from hourly counters (24 hours, 30 UTC days), outcome shares, the complaint and bounce
 * verdicts against the Gmail/Yahoo thresholds, the alerts, and the chart markup.
 */
import t from 'tap';
import {
  sourceState, failingSince, seriesOf, outcomeShares, rates, alertsOf, complaintVerdict, rangeStartHour, HOUR, DAY,
} from '../../../server/status/logic.js';
import { mailChart } from '../../../server/status/chart.js';

t.test('state: disabled beats paused beats failing; an error after the last success is failing', async (t) => {
  t.equal(sourceState({ enabled: false, pausedAt: 5, lastSuccessAt: 1, lastErrorAt: 9 }), 'disabled');
  t.equal(sourceState({ enabled: true, pausedAt: 5, lastSuccessAt: 1, lastErrorAt: 9 }), 'paused');
  t.equal(sourceState({ enabled: true, pausedAt: null, lastSuccessAt: 1, lastErrorAt: 9 }), 'failing');
  t.equal(sourceState({ enabled: true, pausedAt: null, lastSuccessAt: null, lastErrorAt: 9 }), 'failing', 'never succeeded');
  t.equal(sourceState({ enabled: true, pausedAt: null, lastSuccessAt: 10, lastErrorAt: 9 }), 'ok', 'recovered');
  t.equal(sourceState({ enabled: true, pausedAt: null, lastSuccessAt: null, lastErrorAt: null }), 'ok');
  t.equal(failingSince('failing', { first_error_at: 3 }, 9), 3, 'the first error after the last success');
  t.equal(failingSince('failing', undefined, 9), 9, 'the last error before the roll-up saw it');
  t.equal(failingSince('ok', { first_error_at: 3 }, 9), null);
});

t.test('series: 24 hourly points up to this hour, 30 daily (UTC) points up to today; totals over the range only', async (t) => {
  const now = Date.UTC(2026, 0, 31, 10, 30);
  const h = Math.floor(now / HOUR);
  const rows = [
    { scope: '', bucket: h, kind: 'in.received', n: 3, last_at: null }, { scope: '', bucket: h, kind: 'in.submitted', n: 1, last_at: null },
    { scope: '', bucket: h - 23, kind: 'out.sent', n: 2, last_at: null }, { scope: '', bucket: h - 24, kind: 'out.sent', n: 50, last_at: null },
    { scope: '', bucket: 0, kind: 'out.sent', n: 999, last_at: null }, { scope: '', bucket: h, kind: 'complaint', n: 1, last_at: null },
  ];
  const d = seriesOf(rows, '24h', now);
  t.equal(d.starts.length, 24);
  t.equal(d.starts[23], h * HOUR);
  t.equal(d.series.in[23], 4, 'received and submitted are mail in');
  t.equal(d.series.sent[0], 2);
  t.same(d.totals, { 'in.received': 3, 'in.submitted': 1, 'out.sent': 2, complaint: 1 }, 'the hour before the range and the all-time bucket stay out');
  const m = seriesOf(rows, '30d', now);
  t.equal(m.starts.length, 30);
  t.equal(m.starts[29], Math.floor(now / DAY) * DAY);
  t.equal(m.series.sent[29] + m.series.sent[28], 52, 'yesterday and today');
  t.equal(rangeStartHour('30d', now), (Math.floor(now / DAY) - 29) * 24);
});

t.test('outcome shares and rates against the thresholds (complaints: 0.3 % limit, 0.1 % recommended)', async (t) => {
  const o = outcomeShares({ 'out.sent': 6, 'out.deferred': 2, 'out.failed': 1, 'out.suppressed': 1 });
  t.equal(o.total, 10);
  t.same(o.parts.map((p) => [p.key, p.value, p.share]), [['sent', 6, 60], ['deferred', 2, 20], ['failed', 1, 10], ['suppressed', 1, 10]]);
  t.equal(complaintVerdict(null), 'none');
  t.equal(complaintVerdict(0.05), 'ok');
  t.equal(complaintVerdict(0.1), 'over-recommended');
  t.equal(complaintVerdict(0.29), 'over-recommended');
  t.equal(complaintVerdict(0.3), 'over-limit');
  const r = rates({ 'out.sent': 1000, complaint: 2, 'bounce.hard': 15, 'bounce.soft': 10 });
  t.match(r, { complaintRate: 0.2, complaintVerdict: 'over-recommended', bounceRate: 2.5, bounceVerdict: 'over-recommended', complaintLimit: 0.3, complaintRecommended: 0.1 });
  t.match(rates({}), { complaintRate: null, complaintVerdict: 'none', bounceVerdict: 'none' });
});

t.test('alerts: failing and paused sources, failed jobs, rates, mail waiting long', async (t) => {
  const now = 10 * HOUR;
  const a = alertsOf({
    sources: [{ kind: 'account', name: 'A', state: 'failing' }, { kind: 'account', name: 'B', state: 'paused' }, { kind: 'mailbox', name: 'C', state: 'ok' }],
    jobs: [{ name: 'j1', active: true, last_status: 'failed' }, { name: 'j2', active: false, last_status: 'failed' }, { name: 'j3', active: true, last_status: 'ok' }],
    rates: rates({ 'out.sent': 100, complaint: 1 }), queues: [{ name: 'outbound', oldestDueAt: now - 20 * 60_000 }, { name: 'inbound', oldestDueAt: now - 60_000 }], now,
  });
  t.same(a.map((x) => [x.level, x.key]), [
    ['error', 'status.alert.failing'], ['error', 'status.alert.paused'], ['error', 'status.alert.job'], ['error', 'status.alert.complaintsLimit'], ['warning', 'status.alert.waiting'],
  ]);
  t.same(a[4]!.params, { queue: 'outbound', minutes: 20 });
});

t.test('chart: one bar per non-zero value, escaped texts, numbers in title and desc', async (t) => {
  const svg = mailChart({ starts: [0, HOUR, 2 * HOUR], series: { in: [1, 0, 4], sent: [0, 2, 0] } }, {
    id: 'c', title: 'Mail <per> hour', desc: 'in 5, sent 2', labels: { in: 'In & out', sent: 'Sent', deferred: 'D', failed: 'F', suppressed: 'S' },
    time: (ms) => String(ms / HOUR), num: (n) => String(n),
  });
  t.equal((svg.match(/<rect data-series="in"/g) ?? []).length, 2);
  t.equal((svg.match(/<rect data-series="sent"/g) ?? []).length, 1);
  t.match(svg, '<title id="c-title">Mail &#60;per&#62; hour</title>');
  t.match(svg, 'In &#38; out');
  t.notMatch(svg, /<script|style=/);
});
