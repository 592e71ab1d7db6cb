/*
 * The bounce classifier: for a raw message, its kind and, for a bounce, one result per
 * failed recipient (address, enhanced status, action, hard/soft class, Sisimai reason, and
 * whether the recipient or our sender is the problem); for a complaint, the complainer and
 * what to do about it. Also classifies SMTP-time replies from upstreams with the same rules.
 */
import { parseMessage, walk, type Part } from '../lib/mime.js';
import { couldBeReport, detectKind, type Kind } from './detect.js';
import { parseSes, type SesNotice } from './ses.js';
import { defaultRules, type CompiledRules, type CompiledVendor } from './rules.js';
import { ADDR_RE, addressOf, originalFromParts, parseDsn, parseFeedback, type DsnRecipient, type OriginalMessage } from './dsn.js';
import { matchVendor, scrapeText, type TextFinding } from './text.js';
import { rhostReason } from './rhost.js';
import { fieldVerdict, subjectVerdict } from './formats.js';
import { classOf, decideReason, sweepContinuations, findCommand, findReplyCode, findStatus, pseudoStatus, sideOf } from './reason.js';

export type { CompiledRules } from './rules.js';
export { SENDER_SIDE } from './reason.js';

export interface BounceRecipient {
  recipient: string; status: string; action: 'failed' | 'delayed'; class: 'hard' | 'soft'; reason: string;
  replyCode: string | null; diagnostic: string | null; remoteMta: string | null; side: 'recipient' | 'sender';
}
export interface Feedback { type: string; recipient: string | null; recipients: string[]; effect: 'suppress-recipient' | 'ignore' }
export interface ClassifiedMessage {
  kind: Kind;
  recipients: BounceRecipient[];
  feedback?: Feedback;
  original?: OriginalMessage;
  subject?: string | null;
  /** For non-bounces: who the notice is about (the auto-replier, the delivered recipient). */
  about?: string | null;
  /** The vendor rule that recognised the format, when one did. */
  vendor?: string | null;
}

/** ARF types that mean "stop mailing this person"; auth-failure/not-spam/other concern us, not them. */
const SUPPRESSING = new Set(['abuse', 'fraud', 'opt-out', 'optout', 'unsubscribe', 'virus']);

/** The human-readable report: text parts outside any returned message or machine part. */
function reportText(root: Part): string {
  const out: string[] = [];
  const visit = (p: Part, top: boolean) => {
    const t = p.contentType;
    if (!top && (t === 'message/rfc822' || t === 'message/global' || t.endsWith('rfc822-headers') || t.endsWith('delivery-status') || t === 'message/feedback-report')) return;
    if (p.parts.length) { for (const c of p.parts) visit(c, false); return; }
    if (t === 'text/html') out.push(p.body.replace(/<br\s*\/?>|<\/(p|div|tr|li|h\d)>/gi, '\n').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    else if (t.startsWith('text/') || t === 'application/json') out.push(p.body);
  };
  visit(root, true);
  return out.join('\n');
}

interface Finding {
  recipient: string; action: string | null; statusField: string | null; diagnostic: string; diagnosticType: string | null; remoteMta: string | null; block: string; section: string;
  /** The format's own verdict (a DSN field such as PowerMTA's bounce category). */
  preset?: string | null;
}

function fromDsn(list: DsnRecipient[], scraped: Map<string, TextFinding>, vendor: CompiledVendor | null = null): Finding[] {
  return list.filter((r) => !['delivered', 'relayed', 'expanded'].includes(r.action ?? '')).map((r) => {
    const t = scraped.get(r.recipient) ?? (r.original ? scraped.get(r.original) : undefined);
    return {
      recipient: r.recipient, action: r.action, statusField: r.status, diagnostic: r.diagnostic ?? '', diagnosticType: r.diagnosticType,
      remoteMta: r.remoteMta, block: t?.diagnostic ?? '', section: t?.section ?? '', preset: fieldVerdict(vendor?.extras, r.fields),
    };
  });
}

function evaluate(rules: CompiledRules, f: Finding, vendor: CompiledVendor | null, single: boolean, subject: string | null = null): BounceRecipient {
  let diag = sweepContinuations((f.diagnostic || f.block).trim());
  // Postfix names the command only in its human-readable part; Sisimai reads that part, so the
  // tables' phrases such as "access denied (in reply to mail from command)" expect it.
  const said = /\(in reply to [A-Z ]+ command\)/i.exec(f.block);
  if (said && f.diagnostic && !/in reply to/i.test(diag)) diag = `${diag} ${said[0]}`;
  const field = f.statusField ? findStatus(f.statusField) : null;
  const inDiag = findStatus(diag);
  // A specific code in the server's own words beats a generic or contradicting Status: field.
  const status = inDiag && !/\.0\.0$/.test(inDiag) && (!field || field[0] === inDiag[0]) ? inDiag : field ?? inDiag;
  const replyCode = findReplyCode(diag) ?? findReplyCode(f.block);
  const command = findCommand(diag) ?? findCommand(f.block) ?? findCommand(f.statusField) ?? (single ? findCommand(f.section) : null);
  const ev = { status, command, action: f.action, diagnosticType: f.diagnosticType, replyCode, vendor };
  // A vendor's own message table speaks for the whole error section, not just the recipient's lines.
  // Some formats (fml) name the reason only in the Subject when the body's words do not.
  const fromVendor = f.preset ?? (vendor && f.section ? (vendor.reasons.find(([, re]) => re.test(diag)) ?? vendor.reasons.find(([, re]) => re.test(f.section)))?.[0] : undefined)
    ?? subjectVerdict(vendor?.extras, subject);
  // A provider's own code (Orange OFR_505, GoDaddy IB212, Spectrum AUP#…) outranks generic wording.
  const where = `${f.remoteMta ?? ''} ${f.recipient.slice(f.recipient.indexOf('@') + 1)} ${diag.slice(0, 600)}`;
  const fromRhost = rules.rhosts.length ? rhostReason(rules.rhosts, where, `${diag} ${f.block}`.slice(0, 4096)) : null;
  let reason = fromRhost ?? decideReason(rules, { ...ev, diagnostic: diag }, fromVendor ?? null);
  if ((reason === 'onhold' || reason === 'undefined') && f.block && f.block !== diag) reason = decideReason(rules, { ...ev, diagnostic: f.block }, fromVendor ?? null);
  if ((reason === 'onhold' || reason === 'undefined') && f.section) {
    const again = decideReason(rules, { ...ev, diagnostic: f.section.replace(/\s+/g, ' ') });
    if (again !== 'onhold' && again !== 'undefined') reason = again;
  }
  const temporary = status ? status.startsWith('4') : replyCode ? replyCode.startsWith('4') : f.action === 'delayed';
  const st = status ?? pseudoStatus(rules, reason, temporary);
  return {
    recipient: f.recipient, status: st, action: reason === 'expired' ? 'delayed' : 'failed', class: classOf(reason, st, replyCode), reason,
    replyCode, diagnostic: diag || null, remoteMta: f.remoteMta, side: sideOf(reason),
  };
}

function complaint(res: ClassifiedMessage, parts: Part[]): ClassifiedMessage {
  const fb = parts.find((p) => p.contentType === 'message/feedback-report');
  const { fields, rcpts } = fb ? parseFeedback(fb.body) : { fields: {} as Record<string, string>, rcpts: [] as string[] };
  const type = (fields['feedback-type'] ?? 'other').trim().toLowerCase();
  const fromOriginal = [...(res.original?.to ?? '').matchAll(ADDR_RE)].map((m) => m[0].toLowerCase());
  const recipients = [...new Set(rcpts.length ? rcpts : fromOriginal)];
  res.feedback = { type, recipients, recipient: recipients[0] ?? null, effect: SUPPRESSING.has(type) ? 'suppress-recipient' : 'ignore' };
  return res;
}

export interface ClassifyOptions {
  rules?: CompiledRules;
  /** The message already parsed with parseMessage (the pipeline parses once). */
  root?: Part;
  /** How it arrived, when known: mail that cannot be a report skips the vendor-format search. */
  envelope?: { sender: string; toVerp: boolean };
}

export function classifyMessage(raw: Buffer | string, opts: ClassifyOptions = {}): ClassifiedMessage {
  const rules = opts.rules ?? defaultRules();
  const root = opts.root ?? parseMessage(raw);
  const parts = walk(root);
  const text = reportText(root);
  const vendor = !opts.envelope || couldBeReport(root, parts, opts.envelope) ? matchVendor(rules, root, text) : null;
  const kind = detectKind({ root, parts, text, vendorMatched: Boolean(vendor) });
  const res: ClassifiedMessage = { kind, recipients: [], subject: root.headers.get('subject') ?? null, vendor: vendor?.name ?? null };
  const ses = kind === 'normal' || kind === 'bounce' || kind === 'delivery-notification' ? parseSes(text) : null;
  // Plain mail needs no returned original (finding one scans the text: ~30 µs a message).
  if (kind !== 'normal' || ses) res.original = originalFromParts(parts, text);
  if (kind === 'complaint') return complaint(res, parts);
  if (ses) return fromSes(res, ses, rules);
  if (kind !== 'bounce') {
    const dsn = parts.filter((p) => p.contentType.endsWith('delivery-status')).flatMap((p) => parseDsn(p.body).recipients);
    res.about = kind === 'delivery-notification' ? dsn[0]?.recipient ?? null : addressOf(root.headers.get('from'));
    return res;
  }

  const h = root.headers;
  const exclude = new Set<string>();
  for (const v of [h.get('from'), h.get('to'), res.original?.from, res.original?.returnPath, res.original?.headers.sender]) {
    for (const m of (v ?? '').matchAll(ADDR_RE)) exclude.add(m[0].toLowerCase());
  }
  const failedHeader = [...(h.get('x-failed-recipients') ?? '').matchAll(ADDR_RE)].map((m) => m[0].toLowerCase());
  const scraped = scrapeText(text, vendor, exclude, failedHeader);
  const byAddr = new Map(scraped.map((s) => [s.recipient, s]));

  let findings = fromDsn(parts.filter((p) => p.contentType.endsWith('delivery-status')).flatMap((p) => parseDsn(p.body).recipients), byAddr, vendor);
  if (!findings.length && /final-recipient:/i.test(text)) findings = fromDsn(parseDsn(text.slice(text.search(/^\s*(reporting-mta|final-recipient|original-recipient):/im))).recipients, byAddr, vendor);
  if (!findings.length) {
    findings = scraped.map((s) => ({
      recipient: s.recipient, action: null, statusField: null, diagnostic: s.diagnostic, diagnosticType: null, remoteMta: s.remoteMta ?? null,
      block: s.diagnostic, section: s.section,
    }));
  }
  if (!findings.length && res.original?.to) {
    const section = text.replace(/\s+/g, ' ').slice(0, 2000);
    findings = [...res.original.to.matchAll(ADDR_RE)].map((m) => ({ recipient: m[0].toLowerCase(), action: null, statusField: null, diagnostic: '', diagnosticType: null, remoteMta: null, block: '', section }));
  }
  const seen = new Set<string>();
  for (const f of findings) {
    if (seen.has(f.recipient)) continue;
    seen.add(f.recipient);
    res.recipients.push(evaluate(rules, f, vendor, findings.length === 1, res.subject ?? null));
  }
  return res;
}

const SES_SUBTYPE: Record<string, string> = { NoEmail: 'userunknown', Suppressed: 'suppressed', OnAccountSuppressionList: 'suppressed', MailboxFull: 'mailboxfull',
  MessageTooLarge: 'mesgtoobig', ContentRejected: 'contenterror', AttachmentRejected: 'policyviolation' };

function fromSes(res: ClassifiedMessage, ses: SesNotice, rules: CompiledRules): ClassifiedMessage {
  if (ses.messageId) res.original = { ...(res.original ?? { headers: {} }), messageId: ses.messageId };
  if (ses.type === 'Delivery') { res.kind = 'delivery-notification'; res.about = ses.recipients[0]?.address.toLowerCase() ?? null; return res; }
  if (ses.type === 'Complaint') {
    const recipients = ses.recipients.map((r) => r.address.toLowerCase()).filter(Boolean);
    const type = (ses.feedbackType ?? 'abuse').toLowerCase();
    res.kind = 'complaint';
    res.feedback = { type, recipients, recipient: recipients[0] ?? null, effect: type === 'not-spam' ? 'ignore' : 'suppress-recipient' };
    return res;
  }
  res.kind = 'bounce';
  for (const r of ses.recipients) {
    const sub = SES_SUBTYPE[ses.bounceSubType ?? ''];
    // The bounce sub-type is SES's own verdict (Sisimai Lhost::AmazonSES): final, as a decoder's reason is.
    const f: Finding = { recipient: r.address.toLowerCase(), action: ses.bounceType === 'Transient' ? 'delayed' : (r.action ?? null), statusField: r.status ?? null,
      diagnostic: r.diagnostic ?? '', diagnosticType: null, remoteMta: null, block: '', section: '', preset: sub ?? null };
    const b = evaluate(rules, f, null, false);
    if ((b.reason === 'onhold' || b.reason === 'undefined') && sub) Object.assign(b, { reason: sub, class: classOf(sub, b.status, b.replyCode), side: sideOf(sub) });
    res.recipients.push(b);
  }
  return res;
}

/** An SMTP-time reply from an upstream, classified with the same rules. Without `command` the
 * refusal is taken as an answer to RCPT, where upstreams reject recipients. */
export function classifyReply(r: { code: number; enhanced?: string; text: string; command?: string }, rules: CompiledRules = defaultRules()) {
  const temporary = r.code >= 400 && r.code < 500;
  const enhanced = findStatus(r.enhanced) ?? findStatus(r.text);
  const reason = decideReason(rules, { status: enhanced, diagnostic: `${r.code} ${r.text}`, command: r.command?.toUpperCase() ?? 'RCPT', action: null,
    diagnosticType: 'SMTP', replyCode: String(r.code), vendor: null });
  const status = enhanced ?? pseudoStatus(rules, reason, temporary);
  return { status, reason, class: classOf(reason, status, String(r.code)), side: sideOf(reason), permanent: !temporary && !status.startsWith('4') };
}
