/*
 * The bounce classifier: for a raw message, its kind and, for a bounce, one result per
 * failed recipient (address, enhanced status, action, hard/soft class, Sisimai reason, and
 * whether the recipient or our sender is the problem); for a complaint, the complainer.
 * Also classifies SMTP-time replies from upstreams with the same rules.
 */
import { parseMessage, walk, parseHeaders, type Part } from './mime.js';
import { detectKind, type Kind } from './detect.js';
import { parseSes } from './ses.js';
import { defaultRules, reasonFromText, reasonFromStatus, pseudoStatus, type CompiledRules } from './rules.js';

export interface BounceRecipient {
  recipient: string; status: string; action: 'failed' | 'delayed'; class: 'hard' | 'soft'; reason: string;
  replyCode: string | null; diagnostic: string | null; remoteMta: string | null; side: 'recipient' | 'sender';
}
export interface ClassifiedMessage {
  kind: Kind;
  recipients: BounceRecipient[];
  feedback?: { type: string; recipients: string[]; recipient: string | null; effect: 'suppress-recipient' | 'ignore' };
  original?: { messageId?: string; to?: string; from?: string; headers: Record<string, string> };
  /** For non-bounces: who the notice is about (the auto-replier, the delivered recipient). */
  subject?: string | null;
  about?: string | null;
}

/** Reasons that mean our sender or our message was refused, not that the address is bad. */
export const SENDER_SIDE = new Set(['suppressed', 'blocked', 'spamdetected', 'virusdetected', 'authfailure', 'toomanyconn', 'badreputation', 'requireptr',
  'speeding', 'norelaying', 'rejected', 'securityerror', 'policyviolation', 'notcompliantrfc', 'contenterror', 'mesgtoobig']);
const ALWAYS_HARD = new Set(['userunknown', 'hostunknown', 'hasmoved']);

const ADDR = /[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+/g;
const ORIGINAL_MARKER = /^.*(original message follows|unsent message follows|this is a copy of the message|original message headers|returned message|message headers follow|-{3,} ?original message|included is a copy|below this line is a copy|headers of the original|copy of the original|undelivered message attached|^received: from|^return-path:).*$/im;
const ENHANCED = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const REPLY = /(?:^|[\s:;(<>])([245]\d\d)(?=[\s-]|$)/;

export function classifyHard(reason: string, status: string): 'hard' | 'soft' {
  if (ALWAYS_HARD.has(reason)) return 'hard';
  if (reason === 'notaccept' && status.startsWith('5')) return 'hard';
  return 'soft';
}

const clean = (a: string) => a.trim().replace(/^<|>$/g, '').replace(/^rfc822;\s*/i, '').replace(/^<|>$/g, '').toLowerCase();

function dsnGroups(body: string): Array<Record<string, string>> {
  const groups: Array<Record<string, string>> = [];
  for (const block of body.replace(/\r/g, '').split(/\n\s*\n/)) {
    const h = parseHeaders(block.trim());
    if (!h.list.length) continue;
    groups.push(Object.fromEntries(h.list.map(([k, v]) => [k, v])));
  }
  return groups;
}

function originalOf(parts: Part[], text: string): ClassifiedMessage['original'] {
  let headers: Record<string, string> | undefined;
  const rfc = parts.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'message/global')?.parts[0];
  if (rfc) headers = Object.fromEntries(rfc.headers.list);
  const hdrPart = parts.find((p) => p.contentType === 'text/rfc822-headers' || p.contentType === 'text/rfc822-header');
  if (!headers && hdrPart) headers = Object.fromEntries(parseHeaders(hdrPart.body).list);
  if (!headers) {
    const m = ORIGINAL_MARKER.exec(text);
    if (m) {
      const after = text.slice(m.index + m[0].length).replace(/^\s*\n/, '');
      headers = Object.fromEntries(parseHeaders(after.split(/\n\s*\n/)[0] ?? '').list);
    }
  }
  if (!headers) return undefined;
  return { messageId: headers['message-id']?.replace(/^<|>$/g, ''), to: headers.to, from: headers.from, headers };
}

function textBody(root: Part): string {
  // The human-readable report: text parts outside any returned message.
  const out: string[] = [];
  const visit = (p: Part) => {
    if (p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers' || p.contentType.endsWith('delivery-status') || p.contentType === 'message/feedback-report') return;
    if (p.parts.length) { for (const c of p.parts) visit(c); return; }
    if (p.contentType === 'text/plain' || p.contentType === 'text/html' || !p.contentType.includes('/')) {
      out.push(p.contentType === 'text/html' ? p.body.replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>/gi, '\n').replace(/<[^>]+>/g, ' ').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : p.body);
    }
  };
  visit(root);
  return out.join('\n');
}

export function classifyMessage(raw: Buffer | string, opts: { rules?: CompiledRules } = {}): ClassifiedMessage {
  const rules = opts.rules ?? defaultRules();
  const root = parseMessage(raw);
  const parts = walk(root);
  const fullText = textBody(root);
  const kind = detectKind(root, parts, fullText);
  const original = originalOf(parts, fullText);
  const cut = ORIGINAL_MARKER.exec(fullText);
  const text = cut ? fullText.slice(0, cut.index) : fullText;
  const res: ClassifiedMessage = { kind, recipients: [], original, subject: root.headers.get('subject') ?? null };
  const ses = kind !== 'complaint' ? parseSes(fullText) : null;
  if (ses) return fromSes(res, ses, rules);

  if (kind === 'complaint') {
    const fb = parts.find((p) => p.contentType === 'message/feedback-report')!;
    const g = Object.assign({}, ...dsnGroups(fb.body)) as Record<string, string>;
    const type = (g['feedback-type'] ?? 'other').toLowerCase();
    const fromReport = parseHeaders(fb.body).list.filter(([k]) => k === 'original-rcpt-to' || k === 'removal-recipient').map(([, v]) => clean(v)).filter((a) => a.includes('@'));
    const fromOriginal = (original?.to ?? '').match(ADDR)?.map((a) => a.toLowerCase()) ?? [];
    const recipients = [...new Set(fromReport.length ? fromReport : fromOriginal)];
    res.feedback = { type, recipients, recipient: recipients[0] ?? null, effect: ['abuse', 'fraud', 'opt-out', 'unsubscribe', 'virus'].includes(type) ? 'suppress-recipient' : 'ignore' };
    return res;
  }
  if (kind !== 'bounce') {
    if (kind === 'delivery-notification') {
      const g = parts.filter((p) => p.contentType.endsWith('delivery-status')).flatMap((p) => dsnGroups(p.body)).find((x) => x['final-recipient']);
      res.about = g ? clean(g['final-recipient']!) : null;
    } else {
      res.about = (root.headers.get('from') ?? '').match(ADDR)?.[0]?.toLowerCase() ?? null;
    }
    return res;
  }

  const excluded = new Set<string>([...(root.headers.get('to') ?? '').matchAll(ADDR), ...(root.headers.get('from') ?? '').matchAll(ADDR)].map((m) => m[0].toLowerCase()));
  const found: Array<{ recipient: string; action?: string; status?: string; diagnostic: string; remoteMta?: string }> = [];

  for (const p of parts.filter((x) => x.contentType.endsWith('delivery-status'))) {
    for (const g of dsnGroups(p.body)) {
      const rcpt = g['final-recipient'] ?? g['original-recipient'];
      if (!rcpt) continue;
      const action = (g.action ?? '').toLowerCase().split(/\s/)[0];
      if (action === 'delivered' || action === 'relayed' || action === 'expanded') continue;
      const recipient = clean(rcpt.split(';').pop() ?? rcpt);
      if (!recipient.includes('@')) continue;
      found.push({ recipient, action, status: g.status?.split(/\s/)[0], diagnostic: (g['diagnostic-code'] ?? '').replace(/^smtp;\s*/i, ''), remoteMta: g['remote-mta']?.replace(/^dns;\s*/i, '') });
    }
  }

  if (!found.length) {
    const failedHeader = (root.headers.get('x-failed-recipients') ?? '').match(ADDR)?.map((a) => a.toLowerCase()) ?? [];
    const lines = text.split('\n');
    const seen = new Set<string>();
    for (let i = 0; i < lines.length; i++) {
      if (/message-?id|^\s*(references|in-reply-to):/i.test(lines[i]!)) continue;
      for (const m of lines[i]!.matchAll(ADDR)) {
        const a = m[0].toLowerCase().replace(/\.$/, '');
        if (seen.has(a) || excluded.has(a) || /mailer-daemon|postmaster@|^double-bounce/.test(a)) continue;
        if (failedHeader.length && !failedHeader.includes(a)) continue;
        seen.add(a);
        // The reason sits on the address's line and the lines after it, up to a blank line or the next address.
        const diag: string[] = [lines[i]!];
        let blanks = 0;
        // "550 <user@host>... User unknown": the line says it all.
        const selfContained = /\b[245]\d\d\b/.test(lines[i]!) && lines[i]!.slice(lines[i]!.toLowerCase().indexOf(a) + a.length).replace(/[>.:\s]/g, '').length >= 8;
        for (let j = i + 1; !selfContained && j < Math.min(lines.length, i + 12); j++) {
          const line = lines[j]!;
          if (!line.trim()) { if (++blanks > 1 || /\b[245]\d\d\b/.test(diag.join(' '))) break; continue; }
          const others = [...line.matchAll(ADDR)].map((x) => x[0].toLowerCase()).filter((x) => x !== a && !excluded.has(x));
          if (others.length && !/^\s*(<<<|>>>)/.test(line)) break;
          diag.push(line);
        }
        found.push({ recipient: a, diagnostic: diag.join(' ').replace(/\s+/g, ' ').trim() });
      }
    }
    for (const a of failedHeader) if (!seen.has(a)) found.push({ recipient: a, diagnostic: text.replace(/\s+/g, ' ').slice(0, 1000) });
    if (!found.length && original?.to) {
      for (const m of original.to.matchAll(ADDR)) found.push({ recipient: m[0].toLowerCase(), diagnostic: text.replace(/\s+/g, ' ').slice(0, 1000) });
    }
  }

  const wholeText = text.replace(/\s+/g, ' ');
  for (const f of found) {
    const diag = f.diagnostic.trim();
    const statusInDsn = f.status && ENHANCED.test(f.status) ? ENHANCED.exec(f.status)![0] : null;
    const statusInDiag = ENHANCED.exec(diag)?.[0] ?? null;
    const replyCode = REPLY.exec(diag)?.[1] ?? null;
    const reason = reasonFromText(rules, diag)
      ?? reasonFromStatus(rules, statusInDsn ?? statusInDiag)
      ?? reasonFromText(rules, diag, true)
      ?? reasonFromText(rules, wholeText)
      ?? reasonFromText(rules, wholeText, true)
      ?? (statusInDsn || statusInDiag ? reasonFromStatus(rules, `${(statusInDsn ?? statusInDiag)!.split('.').slice(0, 2).join('.')}.0`) : null)
      ?? 'undefined';
    const temporary = f.action === 'delayed' || (statusInDsn ?? statusInDiag ?? replyCode ?? '5').startsWith('4');
    const status = statusInDsn ?? statusInDiag ?? pseudoStatus(rules, reason, temporary || (reason === 'expired' && !replyCode?.startsWith('5') && replyCode !== null));
    const action: 'failed' | 'delayed' = reason === 'expired' || f.action === 'delayed' ? 'delayed' : 'failed';
    res.recipients.push({
      recipient: f.recipient, status, action, class: classifyHard(reason, status), reason, replyCode,
      diagnostic: diag || null, remoteMta: f.remoteMta ?? null, side: SENDER_SIDE.has(reason) ? 'sender' : 'recipient',
    });
  }
  return res;
}

const SES_SUBTYPE: Record<string, string> = { NoEmail: 'userunknown', Suppressed: 'suppressed', MailboxFull: 'mailboxfull', MessageTooLarge: 'mesgtoobig', ContentRejected: 'contenterror', AttachmentRejected: 'policyviolation', OnAccountSuppressionList: 'suppressed' };

function fromSes(res: ClassifiedMessage, ses: NonNullable<ReturnType<typeof parseSes>>, rules: CompiledRules): ClassifiedMessage {
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
    const diag = r.diagnostic ?? '';
    const temporary = ses.bounceType === 'Transient';
    const status = r.status && ENHANCED.test(r.status) ? ENHANCED.exec(r.status)![0] : ENHANCED.exec(diag)?.[0] ?? null;
    const reason = reasonFromText(rules, diag) ?? reasonFromStatus(rules, status) ?? SES_SUBTYPE[ses.bounceSubType ?? ''] ?? reasonFromText(rules, diag, true) ?? (temporary ? 'onhold' : 'undefined');
    const st = status ?? pseudoStatus(rules, reason, temporary);
    res.recipients.push({ recipient: r.address.toLowerCase(), status: st, action: temporary || reason === 'expired' ? 'delayed' : 'failed', class: classifyHard(reason, st), reason,
      replyCode: REPLY.exec(diag)?.[1] ?? null, diagnostic: diag || null, remoteMta: null, side: SENDER_SIDE.has(reason) ? 'sender' : 'recipient' });
  }
  return res;
}

/** An SMTP-time reply from an upstream (RCPT or DATA refused), classified with the same rules. */
export function classifyReply(r: { code: number; enhanced?: string; text: string }, rules: CompiledRules = defaultRules()) {
  const enhanced = r.enhanced && ENHANCED.test(r.enhanced) ? ENHANCED.exec(r.enhanced)![0] : ENHANCED.exec(r.text)?.[0] ?? null;
  const temporary = r.code >= 400 && r.code < 500;
  const reason = reasonFromText(rules, r.text) ?? reasonFromStatus(rules, enhanced) ?? (temporary ? 'onhold' : 'undefined');
  const status = enhanced ?? pseudoStatus(rules, reason, temporary);
  return { status, reason, class: classifyHard(reason, status), side: SENDER_SIDE.has(reason) ? 'sender' as const : 'recipient' as const, permanent: !temporary };
}
