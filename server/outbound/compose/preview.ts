/*
 * Compose preview: the message as the recipient will see it — subject, sender, the HTML
 * and text bodies after placeholders, and the MIME source built by nodemailer's composer
 * (the library the delivery core sends with). Delivery-time headers (Message-ID, DKIM,
 * Return-Path) are added by the worker and are not part of the preview.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import type { Composed } from './compose.js';

export interface Preview {
  from: string; fromName: string; replyTo: string | null; to: string[]; cc: string[]; bcc: string[];
  subject: string; html: string | null; text: string; sendAt: number | null;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
  /** MIME source without attachment bodies (they are listed instead), capped for display. */
  source: string;
}

export async function previewOf(c: Composed, now: number): Promise<Preview> {
  const of = (k: string) => c.recipients.filter((r) => r.kind === k).map((r) => r.address);
  const mail = new MailComposer({
    from: c.fromName ? { name: c.fromName, address: c.from } : c.from,
    ...(c.replyTo ? { replyTo: c.replyTo } : {}),
    to: of('to'), cc: of('cc'), subject: c.subject, text: c.text, ...(c.html ? { html: c.html } : {}),
    date: new Date(c.sendAt ?? now),
    attachments: c.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: `[${a.content.length} bytes]` })),
  });
  const raw = await new Promise<Buffer>((res, rej) => mail.compile().build((e, b) => (e ? rej(e) : res(b))));
  const source = raw.toString('utf8');
  return {
    from: c.from, fromName: c.fromName, replyTo: c.replyTo, to: of('to'), cc: of('cc'), bcc: of('bcc'),
    subject: c.subject, html: c.html, text: c.text, sendAt: c.sendAt,
    attachments: c.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.content.length })),
    source: source.length > 200_000 ? `${source.slice(0, 200_000)}\n[…]` : source,
  };
}
