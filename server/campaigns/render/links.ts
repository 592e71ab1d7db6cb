/*
 * The tracking pass over a template before it is compiled (pure): `{trackingUrl:ID}` of the
 * campaign's tracking URLs, every other http(s) link of the HTML when the mass email tracks
 * links, and the open pixel become `{__track.*}` slots that compile.ts fills per recipient.
 * Never tracked: the opt-out link, mailto:, tel:, anchors, and links that carry placeholders
 * (their destination differs per recipient, and a redirect goes only to one stored URL).
 */

export interface TrackingOptions {
  /** The campaign's tracking URL ids; `{trackingUrl:ID}` of another id stays as written. */
  urlIds: ReadonlySet<number>;
  /** Track every other http(s) link of the HTML. */
  autoLinks: boolean;
  /** Add the open pixel. */
  pixel: boolean;
}

/** The kinds of a tracked URL: a named tracking URL, an automatically tracked link (by index), the open pixel. */
export type TrackKind = 'u' | 'a' | 'o';
export type TrackUrl = (kind: TrackKind, id: number) => string;
/** The row a copy is rendered for (massEmailId null for test sends: their hits log nothing). */
export interface TrackRef { queueId: number; massEmailId: number | null; messageId: number }

const TRACKING_URL = /\{trackingUrl:(\d{1,9})\}/g;
const HREF = /(<a\b[^>]*?\bhref\s*=\s*)(["'])(https?:\/\/[^"'\s<>]+)\2/gi;

/** `{trackingUrl:ID}` of the campaign's ids as slots (html and text alike). */
export function markTrackingUrls(s: string, ids: ReadonlySet<number>): string {
  return s.replace(TRACKING_URL, (whole, id: string) => (ids.has(Number(id)) ? `{__track.u${Number(id)}}` : whole));
}

/**
 * The HTML with its links as slots, and the destinations by index (identical URLs share one
 * index). The same HTML always gives the same indexes: a click is resolved by compiling again.
 */
export function markLinks(html: string, o: TrackingOptions): { html: string; links: string[] } {
  let out = markTrackingUrls(html, o.urlIds);
  const links: string[] = [];
  if (o.autoLinks) {
    const index = new Map<string, number>();
    out = out.replace(HREF, (whole, open: string, q: string, url: string) => {
      if (url.includes('{') || url.includes('}')) return whole;
      const decoded = url.replace(/&amp;/g, '&');
      let i = index.get(decoded);
      if (i === undefined) { i = links.length; links.push(decoded); index.set(decoded, i); }
      return `${open}${q}{__track.a${i}}${q}`;
    });
  }
  if (o.pixel) out = withPixel(out);
  return { html: out, links };
}

const PIXEL = '<img src="{__track.o0}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />';
function withPixel(html: string): string {
  const at = html.toLowerCase().lastIndexOf('</body');
  return at < 0 ? html + PIXEL : html.slice(0, at) + PIXEL + html.slice(at);
}

/** The slot name's kind and id (`u12`, `a3`, `o0`), or null. */
export function trackSlot(name: string): { kind: TrackKind; id: number } | null {
  const m = /^([uao])(\d{1,9})$/.exec(name);
  return m ? { kind: m[1] as TrackKind, id: Number(m[2]) } : null;
}
