/*
 * Machine-readable parts of a report: RFC 3464 delivery-status field groups (also when a
 * gateway pasted them into the text part), RFC 5965 feedback-report fields, and the
 * returned original message (message/rfc822, text/rfc822-headers or an inline copy) with
 * its Message-ID, addresses and our own X-Postern-* headers.
 */
import { parseHeaders, type Part } from '../lib/mime.js';

export interface DsnRecipient {
  recipient: string; original: string | null; action: string | null; status: string | null;
  diagnostic: string | null; diagnosticType: string | null; remoteMta: string | null; lastAttempt: string | null;
  fields: Record<string, string>;
}
export interface DsnReport { message: Record<string, string>; recipients: DsnRecipient[] }
export interface OriginalMessage { messageId?: string; to?: string; from?: string; returnPath?: string; subject?: string; headers: Record<string, string> }

export const ADDR_RE = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;

/** "rfc822; <User@Example.com>" → "user@example.com" (null when no address is in it). */
export function addressOf(v: string | undefined | null): string | null {
  if (!v) return null;
  const value = v.includes(';') ? v.slice(v.indexOf(';') + 1) : v;
  const m = value.match(ADDR_RE);
  return m ? m[0].toLowerCase().replace(/\.$/, '') : null;
}

/** Field groups separated by blank lines; continuation lines are unfolded by parseHeaders. */
export function fieldGroups(body: string): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const block of body.split(/\n[ \t]*\n/)) {
    if (!block.trim()) continue;
    const h = parseHeaders(block.replace(/^\s*\n/, ''));
    if (!h.list.length) continue;
    const g: Record<string, string> = {};
    for (const [k, v] of h.list) if (!(k in g)) g[k] = v;
    out.push(g);
    if (out.length > 1000) break;
  }
  return out;
}

function toRecipient(g: Record<string, string>): DsnRecipient | null {
  const recipient = addressOf(g['final-recipient']) ?? addressOf(g['original-recipient']) ?? addressOf(g['x-actual-recipient']);
  if (!recipient) return null;
  const diag = g['diagnostic-code'] ?? null;
  const semi = diag ? diag.indexOf(';') : -1;
  const typed = diag !== null && semi > 0 && semi < 12 && /^[a-z0-9-]+$/i.test(diag.slice(0, semi).trim());
  return {
    recipient,
    original: addressOf(g['original-recipient']),
    action: g.action ? g.action.trim().split(/[\s(]/)[0]!.toLowerCase() : null,
    status: g.status ?? null,
    diagnostic: diag === null ? null : (typed ? diag.slice(semi + 1) : diag).replace(/\s+/g, ' ').trim(),
    diagnosticType: typed ? diag!.slice(0, semi).trim().toUpperCase() : null,
    remoteMta: g['remote-mta'] ? g['remote-mta'].replace(/^[a-z]+;\s*/i, '') : null,
    lastAttempt: g['last-attempt-date'] ?? null,
    fields: g,
  };
}

/** One delivery-status body (or text containing pasted DSN fields). */
export function parseDsn(body: string): DsnReport {
  const report: DsnReport = { message: {}, recipients: [] };
  for (const g of fieldGroups(body)) {
    const r = toRecipient(g);
    if (r) report.recipients.push(r);
    else if (!report.recipients.length) Object.assign(report.message, g);
  }
  return report;
}

/** RFC 5965 fields; repeated fields (Original-Rcpt-To, Removal-Recipient) keep every value. */
export function parseFeedback(body: string): { fields: Record<string, string>; rcpts: string[] } {
  const h = parseHeaders(body.replace(/\n[ \t]*\n/g, '\n'));
  const fields: Record<string, string> = {};
  const rcpts: string[] = [];
  for (const [k, v] of h.list) {
    if (!(k in fields)) fields[k] = v;
    if (k === 'original-rcpt-to' || k === 'removal-recipient') { const a = addressOf(v); if (a && !rcpts.includes(a)) rcpts.push(a); }
  }
  return { fields, rcpts };
}

/** Marker lines after which a bounce quotes the message it returns. */
export const ORIGINAL_MARKER = new RegExp([
  'original message follows', 'unsent message follows', 'this is a copy of (the|your) message', 'original message headers',
  'message headers follow', '^[-=* ]*original message[-=* ]*$', 'included is a copy', 'below this line is a copy',
  'headers of the original', 'copy of the original', 'undelivered message (attached|headers)', 'returned message follows',
  '^-+ ?original message', 'the original message (was|is) (attached|included|below)', 'original message header',
  '^\\s*content-type: message/rfc822', 'message text follows', '^-+ ?message text', 'begin original message',
].join('|'), 'im');

export function originalFromParts(parts: Part[], reportText: string): OriginalMessage | undefined {
  let headers: Array<[string, string]> | undefined;
  for (const p of parts) {
    if ((p.contentType === 'message/rfc822' || p.contentType === 'message/global') && p.parts[0]) { headers = p.parts[0].headers.list; break; }
    if (p.contentType === 'text/rfc822-headers' || p.contentType === 'text/rfc822-header' || p.contentType === 'message/rfc822-headers' || p.contentType === 'text/global-headers') {
      headers = parseHeaders(p.body.replace(/^\s*\n/, '').split(/\n[ \t]*\n/)[0] ?? '').list; break;
    }
  }
  if (!headers) {
    const m = ORIGINAL_MARKER.exec(reportText);
    if (m) {
      const after = reportText.slice(m.index + m[0].length, m.index + m[0].length + 64 * 1024).replace(/^[^\n]*\n/, '').replace(/^\s*\n/, '');
      headers = parseHeaders(after.split(/\n[ \t]*\n/)[0] ?? '').list;
    }
  }
  if (!headers || !headers.length) return undefined;
  const map: Record<string, string> = {};
  for (const [k, v] of headers) if (!(k in map)) map[k] = v;
  const o: OriginalMessage = { headers: map };
  if (map['message-id']) o.messageId = map['message-id'].replace(/^\s*<|>\s*$/g, '');
  if (map.to) o.to = map.to;
  if (map.from) o.from = map.from;
  if (map['return-path']) o.returnPath = addressOf(map['return-path']) ?? map['return-path'];
  if (map.subject) o.subject = map.subject;
  return o;
}
