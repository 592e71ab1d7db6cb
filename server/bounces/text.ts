/*
 * Bounces without a delivery-status part: recognises the vendor format from the rules data,
 * cuts out its error section, and pulls each failed recipient with the diagnostic lines
 * that belong to it. Generic fallbacks cover formats no rule names.
 */
import type { Part } from '../lib/mime.js';
import type { CompiledRules, CompiledVendor } from './rules.js';
import { ADDR_RE, ORIGINAL_MARKER } from './dsn.js';
import { reportedRhost, sharedDiagnostic } from './formats.js';

export interface TextFinding { recipient: string; diagnostic: string; section: string; remoteMta?: string | null }

export function matchVendor(rules: CompiledRules, root: Part, text: string): CompiledVendor | null {
  const h = root.headers;
  const from = h.get('from') ?? '';
  const subject = h.get('subject') ?? '';
  const head = text.length > 20000 ? text.slice(0, 20000) : text;
  // Who sent it (From, vendor headers) is a stronger sign than wording several MTAs share.
  const hasAll = (v: CompiledVendor) => (!v.from || v.from.test(from)) && (!v.subject || v.subject.test(subject)) && (!v.body || v.body.test(head))
    && v.headers.every(([k, re]) => { const x = h.get(k); return x !== undefined && re.test(x); });
  for (const v of rules.vendors) if (v.all && hasAll(v)) return v;
  for (const v of rules.vendors) {
    if (v.all) continue;
    if (v.from?.test(from) || v.headers.some(([k, re]) => { const x = h.get(k); return x !== undefined && re.test(x); })) return v;
  }
  for (const v of rules.vendors) if (!v.all && (v.subject?.test(subject) || v.body?.test(head))) return v;
  return null;
}

/** Lines that quote headers or ids, where an address is never the failed recipient. */
const SKIP_LINE = /^\s*(from|reply-to|sender|return-path|message-id|references|in-reply-to|x-[a-z-]+|received|dkim-signature|authentication-results|envelope-from):|message-?id|^\s*(by|for|id)\s/i;
const ADDR_ONE = new RegExp(`^${ADDR_RE.source}$`);
const NOT_RECIPIENT = /^(mailer-daemon|postmaster|double-bounce|root|nobody|bounce|bounces|no-?reply|abuse)@/i;

/** The report's error section: after the vendor's start marker, before the returned message. */
export function errorSection(text: string, vendor: CompiledVendor | null): string {
  let start = 0;
  const b = vendor?.begin?.exec(text);
  if (b) start = b.index;
  const rest = text.slice(start);
  const e = vendor?.end?.exec(rest) ?? ORIGINAL_MARKER.exec(rest);
  return (e ? rest.slice(0, e.index) : rest).slice(0, MAX_SECTION);
}

function addressesIn(line: string, vendor: CompiledVendor | null): string[] {
  if (vendor?.recipient) {
    const m = vendor.recipient.exec(line);
    return m?.[1] ? [m[1].toLowerCase().replace(/[.,;:]$/, '')] : [];
  }
  // An angle-bracketed address names the recipient; bare ones around it are context.
  const bracketed = [...line.matchAll(/<(?:mailto:)?([^<>\s]+@[^<>\s]+)>/gi)].map((m) => m[1]!);
  const list = bracketed.length ? bracketed : (line.match(ADDR_RE) ?? []);
  return list.map((a) => a.toLowerCase().replace(/[.,;:]$/, '')).filter((a) => ADDR_ONE.test(a));
}

/** Reply code followed by real words after the address: "554 <a@b>... 550 Host unknown". */
function selfContained(line: string, addr: string): boolean {
  const i = line.toLowerCase().lastIndexOf(addr);
  return /\b[45]\d\d\b/.test(line) && line.slice(i + addr.length).replace(/[>.:\s]/g, '').length >= 8;
}

/*
 * Bounds that keep a hostile or huge report linear: a recipient's diagnostic is built from
 * at most this many mentions and lines each, and cut at MAX_DIAGNOSTIC characters (real
 * diagnostics are a few hundred; a 9 MB report of one repeated line took 16 s before).
 */
const MAX_HITS_PER_ADDRESS = 20;
const MAX_LINES_PER_HIT = 40;
const MAX_DIAGNOSTIC = 8000;
/** The error section is searched for reasons at most this far (the report's first screens). */
const MAX_SECTION = 64 * 1024;

export function scrapeText(text: string, vendor: CompiledVendor | null, exclude: Set<string>, failedHeader: string[]): TextFinding[] {
  const section = errorSection(text, vendor);
  const lines = section.split('\n');
  if (lines.length > 5000) lines.length = 5000;
  const hits: Array<{ line: number; addr: string }> = [];
  const find = (v: CompiledVendor | null) => {
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      // A format's own recipient pattern is specific enough to read lines the generic search skips
      // (fml's "Duplicated Message-ID in <list@…>").
      if (!line.includes('@') || (!v?.recipient && SKIP_LINE.test(line))) continue;
      for (const a of addressesIn(line, v)) {
        if (exclude.has(a) || NOT_RECIPIENT.test(a)) continue;
        if (failedHeader.length && !failedHeader.includes(a)) continue;
        hits.push({ line: i, addr: a });
      }
    }
  };
  find(vendor);
  if (!hits.length && vendor?.recipient) find(null);
  const order = [...new Set(hits.map((h) => h.addr))];
  const out: TextFinding[] = [];
  for (const addr of order) {
    const diag: string[] = [];
    let used = 0;
    for (let k = 0; k < hits.length && used < MAX_HITS_PER_ADDRESS; k++) {
      const h = hits[k]!;
      if (h.addr !== addr) continue;
      used++;
      // Transcript lines just before ("While talking to …: >>> RCPT To:<a> <<< 550 …") belong to it.
      for (let j = Math.max(0, h.line - 3); j < h.line; j++) if (/^\s*(>>>|<<<)/.test(lines[j]!)) diag.push(lines[j]!);
      if (selfContained(lines[h.line]!, addr)) {
        // "554 <a@b>... 550 Host unknown" stands alone, with its indented continuation lines.
        diag.push(lines[h.line]!);
        for (let j = h.line + 1; j < lines.length && /^[ \t]+\S/.test(lines[j]!); j++) diag.push(lines[j]!);
        continue;
      }
      // The address's line and what follows, up to the next recipient line (this address's
      // next mention adds its own lines): linear in the section, however often it repeats.
      let next = lines.length;
      for (let x = k + 1; x < hits.length; x++) if (hits[x]!.line > h.line) { next = hits[x]!.line; break; }
      diag.push(...lines.slice(h.line, Math.min(next, h.line + MAX_LINES_PER_HIT)));
    }
    out.push({ recipient: addr, diagnostic: [...new Set(diag)].join(' ').replace(/\s+/g, ' ').trim().slice(0, MAX_DIAGNOSTIC), section });
  }
  for (const a of failedHeader) if (!order.includes(a)) out.push({ recipient: a, diagnostic: section.replace(/\s+/g, ' ').trim().slice(0, 2000), section });
  // A format that prints one error message for all its recipients (away from their lines)
  // gives that message to each; its remote MTA line names the host that refused.
  const shared = sharedDiagnostic(vendor?.extras, section);
  const rhost = reportedRhost(vendor?.extras, section);
  for (const f of out) {
    if (shared) { f.diagnostic = shared; f.section = shared; }
    if (rhost) f.remoteMta = rhost;
  }
  return out;
}
