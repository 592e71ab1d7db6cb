/*
 * The dashboard's mail chart drawn on the server as inline SVG, in the manner of
 * http/ui/charts.ts (no script, no inline style, a <title> and <desc> with the numbers, every
 * text escaped): mail in and the outbound outcomes per hour or per day, as grouped bars.
 * Pure: series in, markup out; the page adds a table fallback.
 */
import type { SeriesKey } from './logic.js';

const esc = (v: string | number) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const SERIES_COLORS: Record<SeriesKey, string> = { in: '#1f5fbf', sent: '#2e7d32', deferred: '#c98a00', failed: '#b3261e', suppressed: '#6b4fa8' };

export function mailChart(d: { starts: number[]; series: Partial<Record<SeriesKey, number[]>> }, o: {
  id: string; title: string; desc: string; labels: Record<SeriesKey, string>; time: (ms: number) => string; num: (n: number) => string;
}): string {
  const W = 720, H = 240, L = 48, R = 12, T = 34, B = 40;
  const pw = W - L - R, ph = H - T - B;
  const keys = (Object.keys(d.series) as SeriesKey[]).filter((k) => d.series[k]);
  const n = d.starts.length;
  const max = Math.max(2, Math.ceil(Math.max(0, ...keys.flatMap((k) => d.series[k]!)) / 2) * 2);
  const slot = pw / Math.max(1, n);
  const bw = Math.max(1, (slot * 0.8) / Math.max(1, keys.length));
  const y = (v: number) => T + ph - (v / max) * ph;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  for (const v of [0, max / 2, max]) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#d8dee8" stroke-width="1"/>`);
    parts.push(`<text x="${L - 6}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11" fill="#5b6573">${esc(o.num(v))}</text>`);
  }
  for (const i of [...new Set([0, Math.floor((n - 1) / 2), n - 1])]) {
    const anchor = i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    parts.push(`<text x="${f(L + slot * i + slot / 2)}" y="${H - B + 16}" text-anchor="${anchor}" font-size="11" fill="#5b6573">${esc(o.time(d.starts[i]!))}</text>`);
  }
  keys.forEach((k, j) => {
    d.series[k]!.forEach((v, i) => {
      if (!(v > 0)) return;
      const x = L + slot * i + slot * 0.1 + bw * j;
      parts.push(`<rect data-series="${k}" x="${f(x)}" y="${f(y(v))}" width="${f(bw)}" height="${f(T + ph - y(v))}" fill="${SERIES_COLORS[k]}"><title>${esc(`${o.labels[k]} · ${o.time(d.starts[i]!)}: ${o.num(v)}`)}</title></rect>`);
    });
  });
  let lx = L;
  for (const k of keys) {
    parts.push(`<rect x="${lx}" y="6" width="12" height="12" fill="${SERIES_COLORS[k]}"/>`);
    parts.push(`<text x="${lx + 16}" y="16" font-size="12" fill="#1d2430">${esc(o.labels[k])}</text>`);
    lx += 30 + o.labels[k].length * 7;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${esc(o.id)}-title ${esc(o.id)}-desc" data-chart="mail">`
    + `<title id="${esc(o.id)}-title">${esc(o.title)}</title><desc id="${esc(o.id)}-desc">${esc(o.desc)}</desc>${parts.join('')}</svg>`;
}
