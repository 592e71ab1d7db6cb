/*
 * The stats charts (pure): the hourly series span the hours that have data (capped, the last
 * hours kept), the outcome parts never add up past what was sent unless the counters do, the
 * SVG is an accessible image with its numbers in <title>/<desc>, and every text is escaped.
 */
import t from 'tap';
import { hourlyData, hourlyRows, hourlyChart, outcomes, outcomeBar, statsSummary, percent, MAX_HOURS } from '../../../server/http/ui/charts.js';

const H = 490_000; // an epoch hour
const labels = { opened: 'Opens', opened_machine: 'Opens (m)', clicked: 'Clicks', clicked_machine: 'Clicks (m)' };
const num = (n: number) => String(n);

t.test('hourly data: the span with data, zeros between, machines apart', async (t) => {
  t.equal(hourlyData({ sent: 10, opened: 3 }), null, 'no hourly counters: no chart');
  t.equal(hourlyData({ [`h:opened:${H}`]: 0 }), null, 'zero counts are no data');
  const d = hourlyData({ [`h:opened:${H}`]: 2, [`h:opened:${H + 3}`]: 1, [`h:clicked_machine:${H + 1}`]: 5, [`h:bogus:${H + 9}`]: 7, 'click:u1': 4 })!;
  t.match(d, { startHour: H, hours: 4, truncated: false });
  t.same(d.series.opened, [2, 0, 0, 1]);
  t.same(d.series.clicked_machine, [0, 5, 0, 0]);
  t.same(d.series.clicked, [0, 0, 0, 0]);
  t.same(hourlyRows(d).map((r) => r.at), [H * 3_600_000, (H + 1) * 3_600_000, (H + 3) * 3_600_000], 'table rows: hours with data');
});

t.test('hourly data is capped: a long span keeps its last hours', async (t) => {
  const d = hourlyData({ [`h:opened:${H}`]: 1, [`h:clicked:${H + 1000}`]: 2 })!;
  t.equal(d.hours, MAX_HOURS);
  t.equal(d.startHour, H + 1000 - MAX_HOURS + 1);
  t.ok(d.truncated);
  t.equal(d.series.clicked[MAX_HOURS - 1], 2);
  t.equal(d.series.opened.reduce((a, b) => a + b, 0), 0, 'the early hour is outside the window');
  t.equal(hourlyData({ [`h:opened:${H}`]: 1, [`h:opened:${H + 10}`]: 1 }, 5)!.hours, 5, 'a smaller cap');
});

t.test('hourly chart: an accessible SVG, people solid and machines dashed, texts escaped', async (t) => {
  const d = hourlyData({ [`h:opened:${H}`]: 4, [`h:opened_machine:${H + 1}`]: 9 })!;
  const svg = hourlyChart(d, { id: 'c1', title: 'Opens & <clicks>', desc: 'People opened 4', labels, time: () => 'T"0', num });
  t.match(svg, /^<svg [^>]*role="img" aria-labelledby="c1-title c1-desc"/);
  t.match(svg, /<title id="c1-title">Opens &#38; &#60;clicks&#62;<\/title><desc id="c1-desc">People opened 4<\/desc>/);
  t.match(svg, /T&#34;0/, 'axis labels escaped');
  t.match(svg, /<polyline data-series="opened" [^>]*stroke="#1f5fbf" stroke-width="2"\/>/);
  t.match(svg, /<polyline data-series="opened_machine" [^>]*stroke-dasharray/);
  t.notMatch(svg, /data-series="clicked"/, 'an empty series is not drawn');
  t.notMatch(svg, /style=|<script/i, 'no inline style or script (CSP)');
  const one = hourlyChart(hourlyData({ [`h:clicked:${H}`]: 1 })!, { id: 'c2', title: 'x', desc: 'y', labels, time: () => 't', num });
  t.match(one, /<circle /, 'a single hour still shows a point');
  t.same([...one.matchAll(/text-anchor="end" font-size="11" fill="#5b6573">(\d+)</g)].map((m) => m[1]), ['0', '1', '2'], 'whole numbers on the axis');
  t.same([...svg.matchAll(/text-anchor="end" font-size="11" fill="#5b6573">(\d+)</g)].map((m) => m[1]), ['0', '5', '10'], 'an even top');
});

t.test('outcome parts and the stacked bar', async (t) => {
  const c = { sent: 100, opened: 30, clicked: 10, bounced_hard: 3, bounced_soft: 2, opted_out: 5, opened_machine: 50 };
  const o = outcomes(c);
  t.same(o.parts, [
    { key: 'clicked', value: 10 }, { key: 'opened', value: 20 }, { key: 'bounced', value: 5 }, { key: 'opted_out', value: 5 }, { key: 'not_opened', value: 60 },
  ]);
  t.equal(o.total, 100);
  const over = outcomes({ sent: 3, opened: 3, opted_out: 2 });
  t.equal(over.parts.find((p) => p.key === 'not_opened')!.value, 0, 'never below zero');
  t.equal(over.total, 5, 'overlapping counters widen the bar rather than overflow it');
  t.same(outcomes({}).parts.map((p) => p.value), [0, 0, 0, 0, 0]);

  const labelsO = { clicked: 'Clicked', opened: 'Opened', bounced: 'Bounced', opted_out: 'Opted out', not_opened: 'Not <opened>' };
  const svg = outcomeBar(o, { id: 'o', title: 'Outcomes', desc: 'Of 100 sent: 10 clicked', labels: labelsO, num });
  t.match(svg, /role="img" aria-labelledby="o-title o-desc"/);
  t.match(svg, /<rect data-part="clicked" x="0.0" y="4" width="72.0"/, '10 % of the width');
  t.match(svg, /<rect data-part="not_opened" x="288.0" y="4" width="432.0"/);
  t.match(svg, /Not &#60;opened&#62;: 60 \(60 %\)/, 'legend with count and share, escaped');
  const empty = outcomeBar(outcomes({}), { id: 'e', title: 'x', desc: 'y', labels: labelsO, num });
  t.notMatch(empty, /data-part=/, 'nothing sent: no parts');
});

t.test('summary and rates', async (t) => {
  t.equal(percent(1, 3), 33.3);
  t.equal(percent(5, 0), null);
  const s = statsSummary({ sent: 200, opened: 50, opened_machine: 80, clicked: 5, clicked_machine: 120, bounced_hard: 4, bounced_soft: 1, complained: 1, opted_out: 2 });
  t.match(s, {
    sent: 200, opened: { people: 50, machines: 80, peopleRate: 25, machinesRate: 40 }, clicked: { people: 5, machines: 120, peopleRate: 2.5, machinesRate: 60 },
    bouncedHard: 4, bouncedSoft: 1, bouncedRate: 2.5, complained: 1, complainedRate: 0.5, optedOut: 2, optedOutRate: 1,
  });
  t.match(statsSummary({}), { sent: 0, opened: { people: 0, peopleRate: null } });
});
