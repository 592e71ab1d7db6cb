/*
 * The mailer log's contract for the services that report to it: what an entry holds, the
 * plain function they are given (`MailerLogRecord`, like webhooks' `WebhookEmit`), and the
 * shapes of the two reports that are not entries yet (an SMTP refusal, a mass email state
 * change), so a reporting service needs no import of the mailer log service. No I/O.
 */
export const MAILER_LOG_LEVELS = ['info', 'warn', 'error'] as const;
export type MailerLogLevel = (typeof MAILER_LOG_LEVELS)[number];
export const MAILER_LOG_SOURCES = ['account', 'mailbox', 'imap', 'job', 'mass_email', 'inbound', 'delivery'] as const;
export type MailerLogSource = (typeof MAILER_LOG_SOURCES)[number];

export interface MailerLogEntry {
  level: MailerLogLevel;
  source: MailerLogSource;
  /** A stable name, `<area>.<what>` (delivery.deferred, account.paused, inbound.rejected, imap.sync_failed…). */
  event: string;
  /** What happened, for people (at most 2,000 characters are kept). */
  message: string;
  /** The remote side's reply (an upstream's SMTP answer, our refusal at RCPT/DATA), when there is one. */
  reply?: string | null;
  /** The upstream account or the inbound mailbox concerned. */
  accountId?: number | null;
  mailboxId?: number | null;
  /** The address concerned (a recipient, a refused sender or RCPT). */
  address?: string | null;
  /** Links: the inbound message, the outbound queue row, the mass email. */
  inboundId?: number | null;
  queueId?: number | null;
  massEmailId?: number | null;
  /** When it happened (epoch ms); the service's clock when absent. */
  at?: number;
}

/** Records an entry; never throws (a log that cannot be written must not stop mail). Resolves once written. */
export type MailerLogRecord = (e: MailerLogEntry) => void | Promise<void>;

/** A refusal an SMTP listener gave: the adapter reports what it answered, the mailer log decides what to keep. */
export interface SmtpRefusal {
  listener: 'mx' | 'submission';
  stage: 'connect' | 'auth' | 'mail' | 'rcpt' | 'data';
  code: number;
  /** The reply text after the code (enhanced status and words). */
  text: string;
  ip: string;
  from?: string | null;
  rcpt?: string | null;
}
export type SmtpRefused = (r: SmtpRefusal) => void;

/** What an operator (or the send job) did to a mass email, for the mailer log and the `mass_email.state` webhook. */
export const MASS_EMAIL_ACTIONS = ['scheduled', 'started', 'paused', 'resumed', 'completed', 'failed', 'cancelled'] as const;
export type MassEmailAction = (typeof MASS_EMAIL_ACTIONS)[number];
export interface MassEmailStateChange { id: number; campaignId: number; from: string; to: string; action: MassEmailAction; reason?: string | null }
export type MassEmailStateObserver = (c: MassEmailStateChange) => void | Promise<void>;
