/*
 * From one failed recipient's evidence (status code, diagnostic text, SMTP command, vendor)
 * to a Sisimai-style reason, the enhanced status to report, hard/soft class, and whether the
 * recipient or our sender is the problem. Pure functions over compiled rules.
 */
import type { CompiledRules, CompiledVendor } from './rules.js';
import { phraseIn } from './phrases.js';

/** Reasons that say OUR side (sender identity, reputation, message) was refused, not that the
 * address is bad: they go on the upstream account's health and never suppress the recipient. */
export const SENDER_SIDE = new Set(['blocked', 'spamdetected', 'virusdetected', 'authfailure', 'toomanyconn', 'badreputation', 'requireptr', 'speeding',
  'norelaying', 'rejected', 'securityerror', 'policyviolation', 'notcompliantrfc', 'contenterror', 'mesgtoobig', 'syntaxerror', 'suppressed']);
const ALWAYS_HARD = new Set(['userunknown', 'hostunknown', 'hasmoved']);
/** A reason that a decoder or a status code only suggests: the text may still say better (Sisimai's retry list). */
export const RETRY = new Set(['undefined', 'onhold', 'systemerror', 'securityerror', 'expired', 'suspend', 'networkerror', 'hostunknown', 'userunknown']);
/** How much of a diagnostic the text rules read. */
const MAX_TEXT = 4096;
/** A 5.1.1 is userunknown unless the text plainly says one of these (Sisimai UserUnknown::true). */
const BEATS_USERUNKNOWN = ['norelaying', 'blocked', 'mailboxfull', 'hasmoved', 'rejected', 'notaccept'];
/** Commands sent before DATA: content verdicts (filtered, spam, virus) cannot come from them. */
const BEFORE_DATA = new Set(['CONN', 'EHLO', 'HELO', 'STARTTLS', 'AUTH', 'MAIL', 'RCPT']);

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

/**
 * A multi-line SMTP reply pasted as one diagnostic repeats its code on every line
 * ("550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: ..."): keeps the first
 * code and drops the repeats, so phrases that span a line break match (Gmail, Outlook).
 */
export function sweepContinuations(text: string): string {
  const m = /(?:^|[\s:;(])([245]\d\d)[- ](?:([245]\.\d{1,3}\.\d{1,3})\s)?/.exec(text);
  if (!m) return text;
  const at = m.index + m[0].length;
  const repeat = new RegExp(`\\s${m[1]}[- ]${m[2] ? `(?:${m[2].replace(/\./g, '\\.')}\\s)?` : ''}`, 'g');
  return text.slice(0, at) + text.slice(at).replace(repeat, ' ');
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
  // Postfix "(in reply to RCPT TO command)", Sendmail ">>> RCPT To:", Exim "after RCPT TO:",
  // Gmail/X3 "SMTP:RCPT host …", Sun Messaging Server "Remote SMTP server has rejected address".
  const m = /(?:>>>\s*|in reply to |after |command:?\s*|Sent <<<\s*|while (?:sending|in) |\bSMTP:)(RCPT|MAIL|DATA|HELO|EHLO|STARTTLS|AUTH|end of data|QUIT)\b/i.exec(text)
    ?? /\b(RCPT TO|MAIL FROM)\s*:/i.exec(text) ?? /server has (rejected) address/i.exec(text);
  if (!m) return null;
  const c = m[1]!.toUpperCase();
  return c.startsWith('RCPT') || c === 'REJECTED' ? 'RCPT' : c.startsWith('MAIL') ? 'MAIL' : c === 'END OF DATA' ? 'DATA' : c;
}

export interface Evidence {
  status: string | null; diagnostic: string; command: string | null; action: string | null;
  diagnosticType: string | null; replyCode: string | null; vendor: CompiledVendor | null;
}

/** Whether the reason's message table (or, with loose, its broad last-resort patterns) matches. */
function says(rules: CompiledRules, reason: string, lower: string): boolean {
  return phraseIn(rules.phrases.get(reason), lower);
}

/**
 * Sisimai's first pass (Reason::get with each reason's true()): status code and text together,
 * reasons in a fixed order; the SMTP command keeps content verdicts off pre-DATA refusals and
 * keeps a text-only "user unknown" to answers to RCPT.
 */
function firstPass(rules: CompiledRules, e: Evidence, name: string, lower: string, preset: string | null): string | null {
  const cmd = e.command ?? '';
  for (const r of rules.first) {
    if (preset === r) return r;
    let hit = false;
    switch (r) {
      case 'mailboxfull': case 'exceedlimit':
        hit = Boolean(e.status) && (name === r || says(rules, r, lower)); break;
      case 'mesgtoobig':
        hit = name === r || (name !== 'exceedlimit' && e.status !== '5.2.3' && says(rules, r, lower)); break;
      case 'suspend':
        hit = Boolean(e.status) && (e.replyCode === '525' || says(rules, r, lower)); break;
      case 'norelaying':
        hit = cmd !== 'CONN' && cmd !== 'EHLO' && cmd !== 'HELO' && says(rules, r, lower); break;
      case 'userunknown':
        if (name === 'suspend') break;
        if (name === r) hit = !BEATS_USERUNKNOWN.some((o) => says(rules, o, lower));
        else hit = cmd === 'RCPT' && says(rules, r, lower);
        break;
      case 'filtered':
        if (name === 'suspend') break;
        if (name === r) hit = says(rules, 'userunknown', lower) || says(rules, r, lower);
        else hit = !BEFORE_DATA.has(cmd) && (says(rules, r, lower) || says(rules, 'userunknown', lower));
        break;
      case 'rejected':
        if (name === r) hit = true;
        else if (cmd === 'MAIL') hit = says(rules, r, lower);
        else if (cmd === 'DATA') hit = name !== 'userunknown' && says(rules, r, lower);
        else if (!name || name === 'onhold' || name === 'undefined' || name === 'securityerror' || name === 'systemerror') hit = says(rules, r, lower);
        break;
      case 'hostunknown':
        hit = name === r ? !says(rules, 'networkerror', lower) : says(rules, r, lower); break;
      case 'spamdetected':
        hit = Boolean(e.status) && (name === r || (!BEFORE_DATA.has(cmd) && says(rules, r, lower))); break;
      case 'speeding':
        hit = Boolean(e.status) && says(rules, r, lower); break;
      case 'hasmoved': case 'notcompliantrfc': case 'badreputation':
        hit = says(rules, r, lower); break;
      default: // authfailure, requireptr, toomanyconn, blocked, and any reason an admin adds
        hit = name === r || says(rules, r, lower);
    }
    if (hit) return r;
  }
  return null;
}

/** Sisimai's fallback (Reason::anotherone): the status code unless it is vague, else text, class and reply code. */
function anotherOne(rules: CompiledRules, e: Evidence, name: string, lower: string): string {
  if (name && !RETRY.has(name) && e.diagnosticType === 'SMTP') return name;
  for (const r of rules.second) if (says(rules, r, lower)) return r;
  if (name) return name;
  const cls = e.status?.slice(0, 3);
  if (cls === '5.6' || cls === '4.6') return 'contenterror';
  if (cls === '5.7' || cls === '4.7') return 'securityerror';
  if (e.diagnosticType?.startsWith('X-UNIX')) return 'mailererror';
  const reply = Number(e.replyCode ?? 0);
  if ((reply > 400 && reply < 408) || (reply > 500 && reply < 508)) return 'syntaxerror';
  if (e.action === 'delayed' || e.action === 'expired') return 'expired';
  if (e.command === 'HELO' || e.command === 'EHLO') return 'blocked';
  return '';
}

/**
 * The reason for one failed recipient, in Sisimai's order: a site rule; the format decoder's
 * own verdict (final unless it is only a hint, see RETRY); the status code and each reason's
 * message table (first pass); the status code alone when specific, else the text again, the
 * status class and the reply code (anotherOne); then what the SMTP command and reply code say
 * when nothing else did; the broad last-resort wording; onhold only when nothing decides.
 */
export function decideReason(rules: CompiledRules, e: Evidence, preset: string | null = null): string {
  // A server's own words fit in a few hundred characters; the cap keeps the tables linear on a
  // hostile multi-megabyte "diagnostic".
  const text = e.diagnostic.length > MAX_TEXT ? e.diagnostic.slice(0, MAX_TEXT) : e.diagnostic;
  for (const [r, re] of rules.site) if (re.test(text)) return r;
  if (preset && !RETRY.has(preset)) return preset;
  const name = e.status ? rules.status.get(e.status) ?? '' : '';
  if (name === 'delivered') return 'delivered';
  const lower = text.toLowerCase();
  const type = e.diagnosticType ?? '';
  const first = type === 'SMTP' || type === '' ? firstPass(rules, e, name, lower, preset) : null;
  if (first) return first;
  const other = preset ?? anotherOne(rules, { ...e, diagnosticType: type || null }, name, lower);
  if (other) return other;
  // A non-SMTP Diagnostic-Code type (X-Postfix, unknown) skipped the first pass; its words still count.
  const late = type === 'SMTP' || type === '' ? null : firstPass(rules, e, name, lower, null);
  if (late) return late;
  if (e.command && e.replyCode) for (const c of rules.commandReplies) if (c.command.test(e.command) && c.reply.test(e.replyCode)) return c.reason;
  for (const r of rules.loose) { const re = rules.text.get(r); if (re?.test(text)) return r; }
  if (e.vendor?.defaultReason) return e.vendor.defaultReason;
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
