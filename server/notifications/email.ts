/*
 * The e-mail form of a notification (pure, no I/O): which account and From address send it
 * (the default active account, as auto-reply falls back to), and its short text. No part of
 * the message body is copied: the subject, the sender and a link to the page.
 */
import { accountForFrom } from '../outbound/accounts/choose.js';

export interface SenderChoice { id: number; allowed_from: string[]; is_default: boolean; active: boolean; message_type_id: number | null }

/**
 * The account and From address for notifications: `configured` if set, else the default
 * account's first allowed address, or `postern@` its first allowed domain, our primary local
 * domain, or the host name (an account that allows any From).
 */
export function notificationSender(
  accounts: readonly SenderChoice[], o: { configured?: string; localDomain?: string | null; host: string },
): { account: SenderChoice; from: string } | null {
  // No From of its own to match: the default active account, else any active one (compose's fallback).
  const account = accountForFrom(null, accounts);
  if (!account) return null;
  if (o.configured) return { account, from: o.configured };
  const entries = account.allowed_from.map((e) => e.trim().toLowerCase().replace(/^@/, '')).filter(Boolean);
  const address = entries.find((e) => e.includes('@'));
  if (address) return { account, from: address };
  const domain = entries[0] ?? o.localDomain ?? o.host;
  return { account, from: `postern@${domain.replace(/^\*\./, '')}` };
}

export type TargetKind = 'case' | 'account' | 'contact' | 'lead';

/** One line, no CR/LF, at most `n` characters. */
const line = (v: string, n: number) => v.replace(/[\r\n\t]+/g, ' ').trim().slice(0, n);

/** Subject "[Postern] New mail on <case or record>" and a short text with the link to the page. */
export function notificationMail(o: { target: TargetKind; title: string; subject: string | null; sender: string | null; url: string }): { subject: string; text: string } {
  const what = `${o.target} ${line(o.title, 120)}`.trim();
  return {
    subject: `[Postern] New mail on ${what}`,
    text: [
      `New mail on ${what}.`, '',
      `Subject: ${line(o.subject ?? '', 300) || '(no subject)'}`,
      `From: ${line(o.sender ?? '', 300) || '(unknown)'}`, '',
      `Open it: ${o.url}`, '',
      'You get this because you follow it in Postern. Turn these e-mails off on the notifications page.', '',
    ].join('\n'),
  };
}
