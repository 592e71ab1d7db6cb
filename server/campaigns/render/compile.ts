/*
 * A mass email's template compiled once: subject, html and text split into static segments
 * and placeholder slots, so each recipient costs a few string joins (no regex per recipient).
 * Owns the placeholder grammar of campaigns, the escaping per part, the text part derived
 * from the HTML and the mandatory opt-out footer. Pure.
 */
import { lookupText, type PlaceholderData } from './data.js';
import { htmlToText } from './text.js';
import { markLinks, markTrackingUrls, trackSlot, type TrackUrl, type TrackingOptions } from './links.js';

export interface CampaignTemplate { subject: string; html: string; text: string | null }
/** 'required': every message carries an opt-out link (a footer is added when the template has none). */
export interface CompileOptions { optOut: 'none' | 'required'; optOutLabel?: string; tracking?: TrackingOptions }

/** One value of a recipient: its data, the opt-out URL ('' when there is none) and its tracked URLs. */
type Slot = (d: PlaceholderData, optOutUrl: string, track?: TrackUrl) => string;
export type Escape = (s: string) => string;
/** statics.length === slots.length + 1: statics[0] slots[0] statics[1] … */
export interface CompiledPart { statics: string[]; slots: Slot[]; escape: Escape }
export interface CompiledCampaign {
  subject: CompiledPart; html: CompiledPart; text: CompiledPart; optOut: 'none' | 'required';
  /** Automatically tracked links by index (links.ts): where a click on `a<i>` goes. */
  links: string[];
}

const OPT_OUT = '{optOutUrl}';
// The CRM's syntax: a dotted path of identifiers in braces. `{trackingUrl:ID}` does not match and stays as written.
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}/g;
const PERSON_FIELDS = new Set(['firstName', 'lastName', 'name', 'title', 'phone', 'emailAddress']);

const HTML_ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml: Escape = (s) => (/[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => HTML_ESC[c]!) : s);
/** A subject is one header line: control characters (CR, LF, TAB…) become a space. */
export const subjectSafe: Escape = (s) => (/[\x00-\x1f\x7f]/.test(s) ? s.replace(/[\x00-\x1f\x7f]/g, ' ') : s);
const raw: Escape = (s) => s;

/**
 * The slot for a placeholder path, or null when its root is not ours (`{Foo.bar}` stays as
 * written, so a typo shows in the test send). Known roots with a missing value render ''.
 */
function slotFor(path: string, optOut: CompileOptions['optOut']): Slot | null | '' {
  if (path === 'optOutUrl') return optOut === 'required' ? (_d, url) => url : '';
  const [root, first, ...rest] = path.split('.');
  if (first === undefined) return null;
  if (root === '__track') {
    const t = rest.length ? null : trackSlot(first);
    return t ? (_d, _u, track) => (track ? track(t.kind, t.id) : '') : null;
  }
  if (root === 'Person') {
    if (PERSON_FIELDS.has(first)) {
      if (rest.length) return '';
      const f = first as keyof PlaceholderData['person'];
      return (d) => d.person[f];
    }
    const attr = first === 'attributes' ? rest : [first, ...rest];
    return attr.length ? (d) => lookupText(d.personAttributes, attr) : '';
  }
  if (root === 'Account') {
    if (first === 'name') return rest.length ? '' : (d) => d.account.name;
    const attr = first === 'attributes' ? rest : [first, ...rest];
    return attr.length ? (d) => lookupText(d.accountAttributes, attr) : '';
  }
  if (root === 'Record') {
    if (rest.length || (first !== 'type' && first !== 'externalId' && first !== 'id')) return '';
    return (d) => d.record[first];
  }
  return null;
}

/** Splits one part of the template; static text is kept as written (it is the template author's own markup). */
export function compilePart(template: string, escape: Escape, optOut: CompileOptions['optOut']): CompiledPart {
  const statics: string[] = [];
  const slots: Slot[] = [];
  let pending = '';
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const slot = slotFor(m[1]!, optOut);
    pending += template.slice(last, m.index);
    last = m.index! + m[0].length;
    if (slot === null) pending += m[0];
    else if (slot !== '') { statics.push(pending); slots.push(slot); pending = ''; }
  }
  statics.push(pending + template.slice(last));
  return { statics, slots, escape };
}

/** One part filled for one recipient. */
export function fillPart(p: CompiledPart, d: PlaceholderData, optOutUrl: string, track?: TrackUrl): string {
  let out = p.statics[0]!;
  for (let i = 0; i < p.slots.length; i++) out += p.escape(p.slots[i]!(d, optOutUrl, track)) + p.statics[i + 1]!;
  return out;
}

/** Whether the template links the opt-out URL in its html and, when it has one, in its text. */
export function hasOptOutLink(t: CampaignTemplate): boolean {
  return t.html.includes(OPT_OUT) && (t.text === null || t.text.includes(OPT_OUT));
}

const footerHtml = (label: string) =>
  `<p style="margin:24px 0 0;font-family:Arial,sans-serif;font-size:12px;line-height:18px;color:#777777;text-align:center">`
  + `<a href="${OPT_OUT}" style="color:#777777;text-decoration:underline">${escapeHtml(label)}</a></p>`;

/** `html` with the footer before its last `</body>` (any case, not one in a comment), or at the end when it has none. */
export function withHtmlFooter(html: string, footer: string): string {
  const lower = html.toLowerCase();
  let at = lower.lastIndexOf('</body');
  while (at >= 0) {
    const open = lower.lastIndexOf('<!--', at);
    if (open < 0 || lower.lastIndexOf('-->', at) > open) break;
    at = lower.lastIndexOf('</body', open);
  }
  return at < 0 ? html + footer : html.slice(0, at) + footer + html.slice(at);
}

/** Compiles a mass email's template once; `renderRecipient` fills it per recipient. */
export function compileCampaign(t: CampaignTemplate, opts: CompileOptions): CompiledCampaign {
  const label = opts.optOutLabel ?? 'Unsubscribe';
  // Derived before links become slots and the html footer is added, so the text gets its own, plain footer.
  let text = t.text ?? htmlToText(t.html);
  const marked = opts.tracking ? markLinks(t.html, opts.tracking) : { html: t.html, links: [] };
  let html = marked.html;
  if (opts.tracking) text = markTrackingUrls(text, opts.tracking.urlIds);
  if (opts.optOut === 'required') {
    if (!html.includes(OPT_OUT)) html = withHtmlFooter(html, footerHtml(label));
    if (!text.includes(OPT_OUT)) text += `\n\n-- \n${label}: ${OPT_OUT}\n`;
  }
  return {
    subject: compilePart(subjectSafe(t.subject), subjectSafe, opts.optOut),
    html: compilePart(html, escapeHtml, opts.optOut),
    text: compilePart(text, raw, opts.optOut),
    optOut: opts.optOut,
    links: marked.links,
  };
}
