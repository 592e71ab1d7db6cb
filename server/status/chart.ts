/*
 * The dashboard's mail chart drawn on the server as inline SVG in the shared frame of
 * lib/svgChart.ts: mail in and the outbound outcomes per hour or per day, as grouped bars.
 * Pure: series in, markup out; the page adds a table fallback.
 */
import type { SeriesKey } from './logic.js';
import { PLOT, esc, evenTop, legendRow, svgFrame, timeTicks, valueGrid } from '../lib/svgChart.js';

export const SERIES_COLORS: Record<SeriesKey, string> = { in: '#1f5fbf', sent: '#2e7d32', deferred: '#c98a00', failed: '#b3261e', suppressed: '#6b4fa8' };

export function mailChart(d: { starts: number[]; series: Partial<Record<SeriesKey, number[]>> }, o: {
  id: string; title: string; desc: string; labels: Record<SeriesKey, string>; time: (ms: number) => string; num: (n: number) => string;
}): string {
  const { W, H, L, R, T, B } = PLOT;
  const pw = W - L - R, ph = H - T - B;
  const keys = (Object.keys(d.series) as SeriesKey[]).filter((k) => d.series[k]);
  const n = d.starts.length;
  const max = evenTop(keys.flatMap((k) => d.series[k]!));
  const slot = pw / Math.max(1, n);
  const bw = Math.max(1, (slot * 0.8) / Math.max(1, keys.length));
  const y = (v: number) => T + ph - (v / max) * ph;
  const f = (v: number) => v.toFixed(1);
  const parts = [...valueGrid(max, y, o.num), ...timeTicks(n, (i) => L + slot * i + slot / 2, (i) => o.time(d.starts[i]!))];
  keys.forEach((k, j) => {
    d.series[k]!.forEach((v, i) => {
      if (!(v > 0)) return;
      const x = L + slot * i + slot * 0.1 + bw * j;
      parts.push(`<rect data-series="${k}" x="${f(x)}" y="${f(y(v))}" width="${f(bw)}" height="${f(T + ph - y(v))}" fill="${SERIES_COLORS[k]}"><title>${esc(`${o.labels[k]} · ${o.time(d.starts[i]!)}: ${o.num(v)}`)}</title></rect>`);
    });
  });
  parts.push(...legendRow(keys.map((k) => ({ label: o.labels[k], gap: 16, swatch: (x: number) => `<rect x="${x}" y="6" width="12" height="12" fill="${SERIES_COLORS[k]}"/>` }))));
  return svgFrame({ id: o.id, title: o.title, desc: o.desc, kind: 'mail', width: W, height: H }, parts);
}
