/*
 * Single-email compose, the pure part: validates what an admin or an API client typed
 * (From allowed by the account, To/CC/BCC, header values without CR/LF, attachments, send
 * time) and turns it into the message that gets queued. No I/O: the service feeds it the
 * account, the template and the clock, so the same path serves send and preview.
 */
import { IDEMPOTENCY_KEY_RULE, validIdempotencyKey } from '../../lib/idempotency.js';
import { convert } from 'html-to-text';
import { parseMailbox } from '../../lib/addresses.js';
import type { FieldError } from '../../errors.js';
import { fromAllowed, fromProblem } from '../../auth/access.js';
import type { PlaceholderRender } from '../../lib/placeholders.js';
import { headerProblem } from './headerCheck.js';

export type { PlaceholderRender };

export interface AttachmentInput { filename: string; contentType?: string; contentBase64: string }
export interface ComposeInput {
  accountId?: number | null; from?: string; fromName?: string; replyTo?: string;
  to?: string[] | string; cc?: string[] | string; bcc?: string[] | string;
  subject?: string; html?: string; text?: string; templateId?: number | null;
  /** Values for the template placeholders, e.g. {Person: {firstName: 'Ann'}}. */
  data?: Record<string, unknown>;
  attachments?: AttachmentInput[]; sendAt?: number | string | null; messageTypeId?: number | null; idempotencyKey?: string;
}
export interface AccountLike { id: number; name: string; allowed_from: string[]; from_name: string; message_type_id: number | null; active: boolean }
export interface TemplateLike { subject: string; html: string; text: string | null }
export type Kind = 'to' | 'cc' | 'bcc';
export interface Composed {
  accountId: number; messageTypeId: number | null; from: string; fromName: string; replyTo: string | null;
  recipients: Array<{ address: string; kind: Kind }>; subject: string; html: string | null; text: string;
  attachments: Array<{ filename: string; contentType: string; content: Buffer }>; sendAt: number | null;
}

export const LIMITS = { recipients: 100, attachments: 20, attachmentBytes: 20 * 1024 * 1024, subject: 998, body: 5 * 1024 * 1024 };

/** "a@x, B <b@y>; c@z" or an array of those → trimmed items. */
export function splitAddresses(v: string[] | string | undefined): string[] {
  const items = Array.isArray(v) ? v : v ? [v] : [];
  return items.flatMap((s) => String(s).split(/[,;\n]/)).map((s) => s.trim()).filter(Boolean);
}

/** The bare address of `addr` or `Name <addr>`, lower-cased domain; null when not a valid mailbox. */
export function addressOf(item: string): string | null {
  const m = /<([^<>]*)>\s*$/.exec(item);
  const p = parseMailbox(m ? m[1]! : item);
  return p.ok ? `${p.local}@${p.domain}` : null;
}

/** The allowed-From rule lives with the access rules; re-exported for the submission relay. */
export { fromAllowed };

export function parseSendAt(v: number | string | null | undefined): number | null | 'invalid' {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.floor(v) : 'invalid';
  if (/^\d{10,}$/.test(v)) return Number(v);
  // A datetime-local value has no zone: read it as UTC (the form says so).
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(v) ? `${v}Z` : v;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 'invalid';
}

export const htmlToText = (html: string) => convert(html, { wordwrap: 78, selectors: [{ selector: 'img', format: 'skip' }] });

export interface ComposeDeps {
  account: AccountLike | undefined; template: TemplateLike | undefined; now: number; render: PlaceholderRender; messageTypeExists: boolean;
  /** The only From addresses the sender may use (an agent's, from auth/access); absent: the account's list alone. */
  senders?: string[] | null;
}

/** Validates and composes; every problem is reported per field at once. */
export function compose(input: ComposeInput, d: ComposeDeps): { ok: true; value: Composed } | { ok: false; fields: FieldError[]; forbidden?: boolean } {
  const fields: FieldError[] = [];
  const bad = (field: string, message: string) => fields.push({ field, message });

  const account = d.account;
  if (!account) bad('accountId', input.accountId ? 'No such upstream account' : 'No upstream account: choose one or set a default');
  else if (!account.active) bad('accountId', `Account ${account.name} is not active`);

  const fromRaw = (input.from ?? '').trim();
  const from = fromRaw ? addressOf(fromRaw) : null;
  if (!fromRaw) bad('from', 'From address is required');
  else if (!from) bad('from', 'Not a valid address');
  const fromDenied = from && account ? fromProblem(from, d.senders ?? null, account) : null;
  if (fromDenied) bad('from', fromDenied);
  const nameMatch = /^(.*?)\s*<[^<>]*>\s*$/.exec(fromRaw);
  const fromName = (input.fromName ?? (nameMatch ? nameMatch[1]!.replace(/^"|"$/g, '') : account?.from_name ?? '')).trim();
  const p1 = headerProblem(fromName); if (p1) bad('fromName', p1);

  let replyTo: string | null = null;
  if (input.replyTo?.trim()) {
    const p = headerProblem(input.replyTo);
    replyTo = p ? null : addressOf(input.replyTo.trim());
    if (!replyTo) bad('replyTo', p ?? 'Not a valid address');
  }

  const recipients: Composed['recipients'] = [];
  const seen = new Set<string>();
  for (const kind of ['to', 'cc', 'bcc'] as const) {
    for (const item of splitAddresses(input[kind])) {
      const a = /[\r\n]/.test(item) ? null : addressOf(item);
      if (!a) { bad(kind, `Not a valid address: ${item.slice(0, 100)}`); continue; }
      const key = a.toLowerCase();
      if (seen.has(key)) continue; // one copy per address even if it is in To and CC
      seen.add(key);
      recipients.push({ address: a, kind });
    }
  }
  if (!recipients.length && !fields.some((f) => ['to', 'cc', 'bcc'].includes(f.field))) bad('to', 'At least one recipient is required');
  if (recipients.length > LIMITS.recipients) bad('to', `At most ${LIMITS.recipients} recipients per message`);

  const t = d.template;
  const data = input.data ?? {};
  const subjectSrc = input.subject ?? t?.subject ?? '';
  const htmlSrc = input.html ?? (input.text === undefined ? t?.html : undefined) ?? '';
  const textSrc = input.text ?? (input.html === undefined ? t?.text ?? undefined : undefined);
  let subject = '', html: string | null = null, text = '';
  try {
    subject = d.render(subjectSrc, data, false).trim();
    html = htmlSrc.trim() ? d.render(htmlSrc, data, true) : null;
    text = textSrc?.trim() ? d.render(textSrc, data, false) : html ? htmlToText(html) : '';
  } catch (e) {
    bad('html', `Template error: ${(e as Error).message}`);
  }
  const ps = headerProblem(subject);
  if (ps) bad('subject', ps);
  else if (!subject) bad('subject', 'Subject is required');
  else if (subject.length > LIMITS.subject) bad('subject', `At most ${LIMITS.subject} characters`);
  if (!html && !text.trim()) bad('html', 'Write an HTML or a text body');
  if ((html?.length ?? 0) > LIMITS.body || text.length > LIMITS.body) bad('html', 'The body is too large');

  const attachments: Composed['attachments'] = [];
  let total = 0;
  (input.attachments ?? []).forEach((a, i) => {
    const f = `attachments.${i}`;
    const hp = headerProblem(a.filename ?? '') ?? headerProblem(a.contentType ?? '');
    if (!a.filename?.trim() || hp) return bad(f, hp ?? 'File name is required');
    const ct = (a.contentType || 'application/octet-stream').trim().toLowerCase();
    if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct)) return bad(f, `Not a content type: ${ct.slice(0, 100)}`);
    const b64 = (a.contentBase64 ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) return bad(f, 'Content is not base64');
    const content = Buffer.from(b64, 'base64');
    total += content.length;
    attachments.push({ filename: a.filename.trim().replace(/[\\/]/g, '_').slice(0, 255), contentType: ct, content });
  });
  if (attachments.length > LIMITS.attachments) bad('attachments', `At most ${LIMITS.attachments} attachments`);
  if (total > LIMITS.attachmentBytes) bad('attachments', `Attachments may not exceed ${LIMITS.attachmentBytes / 1024 / 1024} MB in all`);

  const sendAt = parseSendAt(input.sendAt);
  if (sendAt === 'invalid') bad('sendAt', 'Not a date and time');
  else if (sendAt !== null && sendAt < d.now - 5 * 60_000) bad('sendAt', 'The send time is in the past');
  else if (sendAt !== null && sendAt > d.now + 366 * 86_400_000) bad('sendAt', 'At most a year ahead');
  if (input.messageTypeId && !d.messageTypeExists) bad('messageTypeId', 'No such message type');
  if (input.idempotencyKey !== undefined && !validIdempotencyKey(input.idempotencyKey)) bad('idempotencyKey', IDEMPOTENCY_KEY_RULE);

  // An agent asking for a From it may not use is refused as such, not as a typo.
  if (fields.length || !account || !from) return { ok: false, fields, ...(fromDenied && d.senders ? { forbidden: true } : {}) };
  return {
    ok: true,
    value: {
      accountId: account.id, messageTypeId: input.messageTypeId ?? account.message_type_id, from, fromName, replyTo, recipients,
      subject, html, text, attachments, sendAt: sendAt !== null && sendAt !== 'invalid' && sendAt > d.now ? sendAt : null,
    },
  };
}
