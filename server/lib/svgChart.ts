/*
 * The frame every server-drawn chart shares (no script, no inline style: the admin CSP allows
 * none): the <svg> with a <title> and <desc> that hold the numbers, a value grid with three
 * labelled lines (0, half, top), time labels at the start, middle and end, and a legend row.
 * Pure: numbers in, markup out; every text is escaped.
 */

export const esc = (v: string | number) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const f = (n: number) => n.toFixed(1);

/** The plot area of the 720×240 time charts (the dashboard's mail and the campaign's hourly chart). */
export const PLOT = { W: 720, H: 240, L: 48, R: 12, T: 34, B: 40 } as const;

/** An even top of at least 2, so the middle grid line is a whole number too. */
export const evenTop = (values: number[]) => Math.max(2, Math.ceil(Math.max(0, ...values) / 2) * 2);

/** The value grid: lines at 0, half and `max`, labelled on the left. */
export function valueGrid(max: number, y: (v: number) => number, num: (n: number) => string): string[] {
  const { W, L, R } = PLOT;
  return [0, max / 2, max].flatMap((v) => [
    `<line x1="${L}" x2="${W - R}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#d8dee8" stroke-width="1"/>`,
    `<text x="${L - 6}" y="${f(y(v) + 4)}" text-anchor="end" font-size="11" fill="#5b6573">${esc(num(v))}</text>`,
  ]);
}

/** Time labels under the plot for the first, middle and last of `n` points at `x(i)`. */
export function timeTicks(n: number, x: (i: number) => number, label: (i: number) => string): string[] {
  const { H, B } = PLOT;
  return [...new Set(n === 1 ? [0] : [0, Math.floor((n - 1) / 2), n - 1])].map((i) => {
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    return `<text x="${f(x(i))}" y="${H - B + 16}" text-anchor="${anchor}" font-size="11" fill="#5b6573">${esc(label(i))}</text>`;
  });
}

/** A legend along the top: per entry a swatch drawn at x (`swatch(x)`) and its label `gap` to its right. */
export function legendRow(entries: Array<{ label: string; swatch: (x: number) => string; gap: number }>): string[] {
  let lx = PLOT.L;
  return entries.flatMap((e) => {
    const out = [e.swatch(lx), `<text x="${lx + e.gap}" y="16" font-size="12" fill="#1d2430">${esc(e.label)}</text>`];
    lx += 30 + e.label.length * 7;
    return out;
  });
}

/** The <svg> image with its accessible title and description. */
export function svgFrame(o: { id: string; title: string; desc: string; kind: string; width: number; height: number }, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${o.width} ${o.height}" width="100%" role="img" aria-labelledby="${esc(o.id)}-title ${esc(o.id)}-desc" data-chart="${esc(o.kind)}">`
    + `<title id="${esc(o.id)}-title">${esc(o.title)}</title><desc id="${esc(o.id)}-desc">${esc(o.desc)}</desc>${parts.join('')}</svg>`;
}
