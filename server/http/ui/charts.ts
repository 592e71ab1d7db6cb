/*
 * Charts for the campaign stats, drawn on the server as inline SVG in the shared frame of
 * lib/svgChart.ts (no library, no script). Pure: counters in, markup out; the pages add a table
 * fallback. Texts come translated from the caller; everything written into the markup is escaped.
 */
import { PLOT, esc, evenTop, legendRow, svgFrame, timeTicks, valueGrid } from '../../lib/svgChart.js';

/** The hourly counters the log keeps: `h:<series>:<epochHour>`. */
export const HOUR_SERIES = ['opened', 'opened_machine', 'clicked', 'clicked_machine'] as const;
export type HourSeries = (typeof HOUR_SERIES)[number];
/** Two weeks of hours at most: a longer span shows its last two weeks. */
export const MAX_HOURS = 14 * 24;
const HOUR = 3_600_000;

export interface HourlyData {
  /** Epoch hour of the first bucket. */
  startHour: number;
  hours: number;
  /** The data spanned more than `maxHours`: only the last ones are shown. */
  truncated: boolean;
  series: Record<HourSeries, number[]>;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/** The share `n` of `of` in percent with one decimal, or null when nothing was sent. */
export function percent(n: number, of: number): number | null {
  return of > 0 ? r1((n / of) * 100) : null;
}

/** The hourly series over the span that has data (capped at `maxHours`), or null when there is none. */
export function hourlyData(counters: Record<string, number>, maxHours = MAX_HOURS): HourlyData | null {
  const points: Array<[HourSeries, number, number]> = [];
  for (const [k, v] of Object.entries(counters)) {
    const m = /^h:([a-z_]+):(\d+)$/.exec(k);
    if (!m || !(HOUR_SERIES as readonly string[]).includes(m[1]!) || !(v > 0)) continue;
    points.push([m[1] as HourSeries, Number(m[2]), v]);
  }
  if (!points.length) return null;
  const last = Math.max(...points.map((p) => p[1]));
  const first = Math.min(...points.map((p) => p[1]));
  const startHour = Math.max(first, last - maxHours + 1);
  const hours = last - startHour + 1;
  const series = Object.fromEntries(HOUR_SERIES.map((s) => [s, new Array<number>(hours).fill(0)])) as Record<HourSeries, number[]>;
  for (const [s, h, v] of points) if (h >= startHour) series[s][h - startHour]! += v;
  return { startHour, hours, truncated: first < startHour, series };
}

/** The hours that have any count, for the table under the chart. */
export function hourlyRows(d: HourlyData): Array<{ at: number } & Record<HourSeries, number>> {
  const out: Array<{ at: number } & Record<HourSeries, number>> = [];
  for (let i = 0; i < d.hours; i++) {
    const row = Object.fromEntries(HOUR_SERIES.map((s) => [s, d.series[s][i]!])) as Record<HourSeries, number>;
    if (HOUR_SERIES.some((s) => row[s] > 0)) out.push({ at: (d.startHour + i) * HOUR, ...row });
  }
  return out;
}

const COLORS: Record<HourSeries, string> = { opened: '#1f5fbf', opened_machine: '#9dbbe8', clicked: '#b34f00', clicked_machine: '#f0b98a' };

/** Opens and clicks per hour: people as solid lines, machines as lighter dashed ones. */
export function hourlyChart(d: HourlyData, o: {
  id: string; title: string; desc: string; labels: Record<HourSeries, string>; time: (ms: number) => string; num: (n: number) => string;
}): string {
  const { W, H, L, R, T, B } = PLOT;
  const pw = W - L - R, ph = H - T - B;
  const max = evenTop(HOUR_SERIES.flatMap((s) => d.series[s]));
  const x = (i: number) => L + (d.hours === 1 ? pw / 2 : (i / (d.hours - 1)) * pw);
  const y = (v: number) => T + ph - (v / max) * ph;
  const f = (n: number) => n.toFixed(1);
  const parts = [...valueGrid(max, y, o.num), ...timeTicks(d.hours, x, (i) => o.time((d.startHour + i) * HOUR))];
  // Machines first, so people are drawn on top.
  for (const s of ['opened_machine', 'clicked_machine', 'opened', 'clicked'] as const) {
    const v = d.series[s];
    if (!v.some((n) => n > 0)) continue;
    const dash = s.endsWith('_machine') ? ' stroke-dasharray="5 3"' : '';
    const pts = v.map((n, i) => `${f(x(i))},${f(y(n))}`).join(' ');
    parts.push(`<polyline data-series="${s}" points="${pts}" fill="none" stroke="${COLORS[s]}" stroke-width="2"${dash}/>`);
    if (d.hours <= 48) for (let i = 0; i < v.length; i++) if (v[i]! > 0) parts.push(`<circle cx="${f(x(i))}" cy="${f(y(v[i]!))}" r="3" fill="${COLORS[s]}"/>`);
  }
  parts.push(...legendRow(HOUR_SERIES.map((s) => ({
    label: o.labels[s], gap: 22,
    swatch: (lx: number) => `<line x1="${lx}" x2="${lx + 18}" y1="12" y2="12" stroke="${COLORS[s]}" stroke-width="3"${s.endsWith('_machine') ? ' stroke-dasharray="5 3"' : ''}/>`,
  }))));
  return svgFrame({ id: o.id, title: o.title, desc: o.desc, kind: 'hourly', width: W, height: H }, parts);
}

/** The parts of the outcome bar, in drawing order. */
export const OUTCOMES = ['clicked', 'opened', 'bounced', 'opted_out', 'not_opened'] as const;
export type OutcomeKey = (typeof OUTCOMES)[number];
const OUTCOME_COLORS: Record<OutcomeKey, string> = { clicked: '#b34f00', opened: '#1f5fbf', bounced: '#b3261e', opted_out: '#6b4fa8', not_opened: '#c9d1dc' };

/**
 * What became of the sent mail (people only), as parts that add up to at most `sent`: clicked,
 * opened without a click, bounced (hard and soft), opted out and the rest (not opened). The
 * counters count each row once per action, so a row that opened and opted out counts in both:
 * the rest is what is left, never below zero, and the bar's width is the larger of sent and the parts.
 */
export function outcomes(c: Record<string, number>): { sent: number; total: number; parts: Array<{ key: OutcomeKey; value: number }> } {
  const n = (k: string) => Math.max(0, Number(c[k] ?? 0));
  const sent = n('sent');
  const clicked = n('clicked');
  const opened = Math.max(0, n('opened') - clicked);
  const bounced = n('bounced_hard') + n('bounced_soft');
  const optedOut = n('opted_out');
  const notOpened = Math.max(0, sent - clicked - opened - bounced - optedOut);
  const parts = [{ key: 'clicked' as const, value: clicked }, { key: 'opened' as const, value: opened }, { key: 'bounced' as const, value: bounced },
    { key: 'opted_out' as const, value: optedOut }, { key: 'not_opened' as const, value: notOpened }];
  return { sent, total: Math.max(sent, parts.reduce((a, p) => a + p.value, 0)), parts };
}

/** A horizontal stacked bar of the outcome parts with a legend of counts and shares. */
export function outcomeBar(o: ReturnType<typeof outcomes>, x: {
  id: string; title: string; desc: string; labels: Record<OutcomeKey, string>; num: (n: number) => string;
}): string {
  const W = 720, L = 0, BAR = 28, top = 4;
  const parts: string[] = [];
  let at = L;
  for (const p of o.parts) {
    if (!p.value || !o.total) continue;
    const w = (p.value / o.total) * (W - L);
    parts.push(`<rect data-part="${p.key}" x="${at.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${BAR}" fill="${OUTCOME_COLORS[p.key]}"><title>${esc(`${x.labels[p.key]}: ${x.num(p.value)}`)}</title></rect>`);
    at += w;
  }
  if (!parts.length) parts.push(`<rect x="0" y="${top}" width="${W}" height="${BAR}" fill="#eef1f6"/>`);
  // Legend: two rows of at most three entries.
  o.parts.forEach((p, i) => {
    const lx = (i % 3) * 240, ly = top + BAR + 20 + Math.floor(i / 3) * 20;
    const share = percent(p.value, o.total);
    parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${OUTCOME_COLORS[p.key]}"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly}" font-size="12" fill="#1d2430">${esc(`${x.labels[p.key]}: ${x.num(p.value)}${share === null ? '' : ` (${x.num(share)} %)`}`)}</text>`);
  });
  return svgFrame({ id: x.id, title: x.title, desc: x.desc, kind: 'outcomes', width: W, height: top + BAR + 20 + 20 + 10 }, parts);
}

/** The numbers of the stats section: counts and shares of sent, people and machines apart. */
export function statsSummary(c: Record<string, number>) {
  const n = (k: string) => Number(c[k] ?? 0);
  const sent = n('sent');
  const row = (people: number, machines: number) => ({ people, machines, peopleRate: percent(people, sent), machinesRate: percent(machines, sent) });
  return {
    sent, opened: row(n('opened'), n('opened_machine')), clicked: row(n('clicked'), n('clicked_machine')),
    optedOut: n('opted_out'), optedOutRate: percent(n('opted_out'), sent), bouncedHard: n('bounced_hard'), bouncedSoft: n('bounced_soft'),
    bouncedRate: percent(n('bounced_hard') + n('bounced_soft'), sent), complained: n('complained'), complainedRate: percent(n('complained'), sent),
  };
}
