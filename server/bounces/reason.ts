/*
 * From one failed recipient's evidence (status code, diagnostic text, SMTP command, vendor)
 * to a Sisimai-style reason, the enhanced status to report, hard/soft class, and whether the
 * recipient or our sender is the problem. Pure functions over compiled rules.
 */
import type { CompiledRules, CompiledVendor } from './rules.js';

/** Reasons that say OUR side (sender identity, reputation, message) was refused, not that the
 * address is bad: they go on the upstream account's health and never suppress the recipient. */
export const SENDER_SIDE = new Set(['blocked', 'spamdetected', 'virusdetected', 'authfailure', 'toomanyconn', 'badreputation', 'requireptr', 'speeding',
  'norelaying', 'rejected', 'securityerror', 'policyviolation', 'notcompliantrfc', 'contenterror', 'mesgtoobig', 'syntaxerror', 'suppressed']);
const ALWAYS_HARD = new Set(['userunknown', 'hostunknown', 'hasmoved']);
/** A status code meaning one of these says little: the text gets another look (Sisimai's "retry" list). */
const VAGUE = new Set(['undefined', 'onhold', 'systemerror', 'securityerror', 'networkerror', 'userunknown']);
/** userunknown's status is overruled when the text plainly says one of these. */
/** How much of a diagnostic the text rules read. */
const MAX_TEXT = 4096;
const BEATS_USERUNKNOWN = ['norelaying', 'blocked', 'mailboxfull', 'hasmoved', 'rejected', 'notaccept'];

/**
 * The first RFC 3463 code in a text, e.g. "550 5.1.1 <x>... User unknown" → "5.1.1". Skips
 * IPv4 addresses and version numbers; an X.0.0 or 4.4.7 code is returned only when nothing
 * more specific appears.
 */
export function findStatus(text: string | null | undefined): string | null {
  if (!text) return null;
  const re = /(^|[^0-9.vV])([245])\.([0-7])\.(\d{1,3})(?![0-9]|\.\d)/g;
  let vague: string | null = null;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const code = `${m[2]}.${m[3]}.${m[4]}`;
    if (m[3] === '0' && m[4] === '0' || code === '4.4.7') { vague ??= code; continue; }
    return code;
  }
  return vague;
}

/** The SMTP reply code in a diagnostic ("550", "421-"), null when none. */
export function findReplyCode(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:^|[\s:;(<>[\],]|said:)\s*([245][0-5]\d)(?=[\s-]|$)/.exec(text) ?? /ResponseCode:?\s*([245]\d\d)\b/i.exec(text);
  return m ? m[1]! : null;
}

/** The SMTP command the remote server answered, when the text says so. */
export function findCommand(text: string | null | undefined): string | null {
  if (!text) return null;
  const m = /(?:>>>\s*|in reply to |after |command:?\s*|Sent <<<\s*|while (?:sending|in) )(RCPT|MAIL|DATA|HELO|EHLO|STARTTLS|AUTH|end of data|QUIT)\b/i.exec(text)
    ?? /\b(RCPT TO|MAIL FROM)\s*:/i.exec(text);
  if (!m) return null;
  const c = m[1]!.toUpperCase();
  return c.startsWith('RCPT') ? 'RCPT' : c.startsWith('MAIL') ? 'MAIL' : c === 'END OF DATA' ? 'DATA' : c;
}

export interface Evidence {
  status: string | null; diagnostic: string; command: string | null; action: string | null;
  diagnosticType: string | null; replyCode: string | null; vendor: CompiledVendor | null;
}

function textIs(rules: CompiledRules, reason: string, text: string): boolean {
  const re = rules.text.get(reason);
  return re ? re.test(text) : false;
}

/** The reason for one failed recipient, Sisimai's way: vendor table, status + text in a fixed order, then fallbacks. */
export function decideReason(rules: CompiledRules, e: Evidence): string {
  // A server's own words fit in a few hundred characters; the cap keeps ~100 patterns linear
  // on a hostile multi-megabyte "diagnostic".
  const text = e.diagnostic.length > MAX_TEXT ? e.diagnostic.slice(0, MAX_TEXT) : e.diagnostic;
  for (const [r, re] of rules.site) if (re.test(text)) return r;
  if (e.vendor) for (const [r, re] of e.vendor.reasons) if (re.test(text)) return r;
  const byStatus = e.status ? rules.status.get(e.status) ?? null : null;
  if (byStatus === 'delivered') return 'delivered';

  for (const r of rules.first) {
    if (byStatus && rules.yieldsTo.get(r)?.has(byStatus)) continue;
    if (r === 'userunknown') {
      // The status says so unless the text plainly says something else; the text alone only
      // counts for an answer to RCPT (a "user unknown" after DATA is a filter's verdict).
      if (byStatus === r ? !BEATS_USERUNKNOWN.some((o) => textIs(rules, o, text)) : e.command === 'RCPT' && textIs(rules, r, text)) return r;
      continue;
    }
    if (r === 'filtered') {
      // Sisimai's "filtered": the mailbox refused this message (often worded as "user unknown"
      // when the server only checks after DATA). A 5.2.x code alone is not enough.
      const says = textIs(rules, r, text) || textIs(rules, 'userunknown', text);
      if (says && (byStatus === r || (e.command !== 'RCPT' && e.command !== 'MAIL'))) return r;
      continue;
    }
    if (byStatus === r || textIs(rules, r, text)) return r;
  }
  if (byStatus && !VAGUE.has(byStatus)) return byStatus;
  for (const r of rules.second) if (textIs(rules, r, text)) return r;
  if (byStatus) return byStatus;
  if (e.vendor?.defaultReason) return e.vendor.defaultReason;
  const cls = e.status?.slice(0, 3);
  if (cls === '5.6' || cls === '4.6') return 'contenterror';
  if (cls === '5.7' || cls === '4.7') return 'securityerror';
  if (e.diagnosticType === 'X-UNIX' || e.diagnosticType === 'X-POSTFIX') return 'mailererror';
  if (e.replyCode && /^50[0-4]$/.test(e.replyCode)) return 'syntaxerror';
  if (e.action === 'delayed' || e.action === 'expired') return 'expired';
  if (e.command === 'HELO' || e.command === 'EHLO') return 'blocked';
  return text.trim() ? 'onhold' : 'undefined';
}

/** Sisimai's pseudo status for a bounce without an RFC 3463 code: "5.0.911", "4.0.947". */
export function pseudoStatus(rules: CompiledRules, reason: string, temporary: boolean): string {
  return `${temporary ? 4 : 5}.0.${rules.pseudo.get(reason) ?? 900}`;
}

/** hard only for a bad address: userunknown, hostunknown, hasmoved, and a permanent notaccept. */
export function classOf(reason: string, status: string | null, replyCode: string | null): 'hard' | 'soft' {
  if (ALWAYS_HARD.has(reason)) return 'hard';
  if (reason === 'notaccept') {
    const temporary = (status ?? '').startsWith('4') || (replyCode ?? '').startsWith('4');
    const permanent = (status ?? '').startsWith('5') || (replyCode ?? '').startsWith('5');
    return permanent || !temporary ? 'hard' : 'soft';
  }
  return 'soft';
}

export const sideOf = (reason: string): 'recipient' | 'sender' => (SENDER_SIDE.has(reason) ? 'sender' : 'recipient');
