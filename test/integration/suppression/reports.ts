/*
 * Builders for the reports the suppression tests send: RFC 3464 DSNs and RFC 5965 ARF
 * reports with a chosen returned message (headers only or a whole message), and sent
 * queue rows with their signed VERP return path. Shared by the processor and SMTP tests.
 */
import type { Knex } from 'knex';
import { makeVerpAddress } from '../../../server/lib/verp.js';
import { deriveKey } from '../../../server/lib/keys.js';

export const SECRET = 'test-secret-0123456789abcdef';
export const BOUNCE_DOMAIN = 'bounce.ours.example';
export const verpFor = (id: number) => makeVerpAddress({ key: deriveKey(SECRET, 'verp'), prefix: 'b', bounceDomain: BOUNCE_DOMAIN, id });

let seq = 0;
/** One outbound message to several recipients: one queue row each, one shared Message-ID, as the queue writes them. */
export async function sentMessage(k: Knex, recipients: string[], o: { messageId?: string; accountId?: number | null } = {}) {
  const now = Date.now();
  const smtpId = o.messageId ?? `<pm${++seq}.${now}@ours.example>`;
  const [mid] = await k('outbound_messages').insert({ source: 'single', from_addr: 'news@ours.example', subject: 'News', account_id: o.accountId ?? null, created_at: now, updated_at: now });
  const rows: Array<{ id: number; recipient: string; verp: string }> = [];
  for (const recipient of recipients) {
    const [qid] = await k('outbound_queue').insert({ message_id: mid, source: 'single', recipient, unique_key: `t:${recipient}:${now}:${++seq}`, state: 'sent', smtp_message_id: smtpId, account_id: o.accountId ?? null, created_at: now, updated_at: now });
    rows.push({ id: Number(qid), recipient, verp: verpFor(Number(qid)) });
  }
  return { messageId: smtpId, rows };
}

export interface ReportOpts {
  /** Envelope-ish top-level To: line (does not decide delivery). */
  to?: string;
  messageId?: string;
  /** Header lines of the returned message (part 3). */
  returned?: string[];
  /** How part 3 is sent: a whole message (default) or headers only. */
  returnedAs?: 'message/rfc822' | 'text/rfc822-headers';
}

const part3 = (o: ReportOpts) => {
  const as = o.returnedAs ?? 'message/rfc822';
  const hs = o.returned ?? ['Subject: News'];
  return ['--b1', `Content-Type: ${as}`, '', ...hs, '', ...(as === 'message/rfc822' ? ['Hello, this is the newsletter.', ''] : [])];
};

/** A DSN reporting `rcpt` as failed with `status`. */
export function dsn(rcpt: string, o: ReportOpts & { status?: string; diag?: string } = {}): string {
  const status = o.status ?? '5.1.1';
  return ['From: MAILER-DAEMON@mx.example.net', `To: ${o.to ?? 'postmaster@ours.example'}`, 'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: <${o.messageId ?? `dsn-${++seq}-${Date.now()}@mx.example.net`}>`, 'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '', 'Your message could not be delivered.', '',
    '--b1', 'Content-Type: message/delivery-status', '', 'Reporting-MTA: dns; mx.example.net', '', `Final-Recipient: rfc822; ${rcpt}`, 'Action: failed',
    `Status: ${status}`, `Diagnostic-Code: smtp; ${o.diag ?? `550 ${status} <${rcpt}>: Recipient address rejected: User unknown`}`, '',
    ...part3(o), '--b1--', ''].join('\r\n');
}

/** An ARF report; `feedback` are extra report fields (Original-Rcpt-To, Removal-Recipient…). */
export function arf(o: ReportOpts & { type?: string; feedback?: string[] } = {}): string {
  return ['From: fbl@isp.example.net', `To: ${o.to ?? 'abuse@ours.example'}`, 'Subject: FW: complaint', `Message-ID: <${o.messageId ?? `arf-${++seq}-${Date.now()}@isp.example.net`}>`,
    'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=feedback-report; boundary="b1"', '', '--b1', 'Content-Type: text/plain', '',
    'This is an email abuse report for an email message received from IP 192.0.2.1.', '', '--b1', 'Content-Type: message/feedback-report', '',
    `Feedback-Type: ${o.type ?? 'abuse'}`, 'User-Agent: SomeFBL/1.0', 'Version: 1', ...(o.feedback ?? []), '', ...part3(o), '--b1--', ''].join('\r\n');
}
