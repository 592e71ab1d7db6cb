/*
 * The mailer log's pure rules: an entry as a row (clipped, normalized), what an SMTP refusal
 * or a mass email state change becomes in the log, the filter of the list and the exports
 * (checked, with its errors), and an entry as a CSV record or an NDJSON line. No I/O.
 */
import { MAILER_LOG_LEVELS, MAILER_LOG_SOURCES, type MailerLogEntry, type MailerLogLevel, type MailerLogSource, type MassEmailStateChange, type SmtpRefusal } from './types.js';
import { neutralizeCell } from '../lib/csv.js';
import type { MailerLogFilter, MailerLogRow, NewMailerLogRow } from '../db/repos/operations/mailerLog.js';

export type { MailerLogFilter, MailerLogRow, NewMailerLogRow };

const clip = (v: string | null | undefined, n: number) => (v === undefined || v === null || v === '' ? null : String(v).slice(0, n));
const idOrNull = (v: number | null | undefined) => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null);
const isLevel = (v: unknown): v is MailerLogLevel => (MAILER_LOG_LEVELS as readonly unknown[]).includes(v);
const isSource = (v: unknown): v is MailerLogSource => (MAILER_LOG_SOURCES as readonly unknown[]).includes(v);

/** An entry as it is stored; an unknown level or source (a caller's bug) is kept as error / its nearest place rather than lost. */
export function toRow(e: MailerLogEntry, now: number): NewMailerLogRow {
  return {
    at: Number.isFinite(e.at) ? Math.floor(e.at!) : now, level: isLevel(e.level) ? e.level : 'error', source: isSource(e.source) ? e.source : 'job',
    event: clip(e.event, 64) ?? 'unknown', message: clip(e.message, 2000) ?? '', reply: clip(e.reply, 1000),
    account_id: idOrNull(e.accountId), mailbox_id: idOrNull(e.mailboxId), address: clip(e.address?.toLowerCase(), 320),
    inbound_id: idOrNull(e.inboundId), queue_id: idOrNull(e.queueId), mass_email_id: idOrNull(e.massEmailId),
  };
}

const STAGE_EVENT: Record<SmtpRefusal['stage'], string> = { connect: 'inbound.refused_connection', auth: 'inbound.auth_failed', mail: 'inbound.sender_refused', rcpt: 'inbound.rcpt_refused', data: 'inbound.data_refused' };

/**
 * An SMTP refusal as a log entry: 5xx is a refusal for good (warn), 4xx a "try later" (info),
 * except a 4xx that is our own trouble (4.3.x storage, lookup) which is an error to look at.
 */
export function refusalEntry(r: SmtpRefusal): MailerLogEntry {
  const ours = r.code >= 400 && r.code < 500 && /^4\.3\.\d/.test(r.text);
  const who = r.stage === 'rcpt' && r.rcpt ? ` for <${r.rcpt}>` : r.from ? ` from <${r.from}>` : '';
  return {
    level: ours ? 'error' : r.code >= 500 ? 'warn' : 'info', source: 'inbound', event: STAGE_EVENT[r.stage],
    message: `${r.listener === 'mx' ? 'MX' : 'Submission'} refused at ${r.stage.toUpperCase()}${who} (${r.ip}): ${r.text}`,
    reply: `${r.code} ${r.text}`, address: r.stage === 'rcpt' ? r.rcpt ?? null : r.from ?? null,
  };
}

/** A mass email state change as a log entry (a failure is an error, a pause a warning). */
export function massStateEntry(c: MassEmailStateChange): MailerLogEntry {
  const level = c.action === 'failed' ? 'error' : c.action === 'paused' ? 'warn' : 'info';
  return {
    level, source: 'mass_email', event: `mass_email.${c.action}`, massEmailId: c.id,
    message: `Mass email #${c.id} ${c.action} (${c.from} → ${c.to})${c.reason ? `: ${c.reason}` : ''}`,
  };
}

/** A filter from query fields (API or page); bad values are named for a 400, empty ones ignored. */
export function filterFrom(q: Record<string, unknown>): { filter: MailerLogFilter; errors: Array<{ field: string; message: string }> } {
  const filter: MailerLogFilter = {};
  const errors: Array<{ field: string; message: string }> = [];
  const empty = (v: unknown) => v === undefined || v === null || v === '';
  if (!empty(q.level)) { if (isLevel(q.level)) filter.level = q.level; else errors.push({ field: 'level', message: `must be one of ${MAILER_LOG_LEVELS.join(', ')}` }); }
  if (!empty(q.source)) { if (isSource(q.source)) filter.source = q.source; else errors.push({ field: 'source', message: `must be one of ${MAILER_LOG_SOURCES.join(', ')}` }); }
  for (const k of ['accountId', 'mailboxId', 'massEmailId'] as const) {
    if (empty(q[k])) continue;
    const n = Number(q[k]);
    if (Number.isSafeInteger(n) && n > 0) filter[k] = n; else errors.push({ field: k, message: 'must be a positive whole number' });
  }
  for (const k of ['from', 'to'] as const) {
    if (empty(q[k])) continue;
    const v = q[k];
    const t = typeof v === 'number' ? v : /^\d+$/.test(String(v)) ? Number(v) : Date.parse(/T\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(String(v)) ? `${String(v)}Z` : String(v));
    if (Number.isFinite(t)) filter[k] = t; else errors.push({ field: k, message: 'must be epoch milliseconds or an ISO 8601 date-time' });
  }
  if (!empty(q.q)) filter.q = String(q.q).trim().slice(0, 200) || undefined;
  return { filter, errors };
}

/** The columns of the CSV export, in order (the header row). */
export const CSV_HEADER = ['id', 'at', 'level', 'source', 'event', 'message', 'reply', 'accountId', 'mailboxId', 'address', 'inboundId', 'queueId', 'massEmailId'] as const;

/** An entry as the API and NDJSON give it (camelCase, `at` as epoch ms and `time` as ISO 8601). */
export const toApi = (r: MailerLogRow) => ({
  id: r.id, at: r.at, time: new Date(r.at).toISOString(), level: r.level, source: r.source, event: r.event, message: r.message, reply: r.reply,
  accountId: r.account_id, mailboxId: r.mailbox_id, address: r.address, inboundId: r.inbound_id, queueId: r.queue_id, massEmailId: r.mass_email_id,
});

/** A CSV record: `at` as ISO 8601 (UTC), text cells guarded against spreadsheet formulas. */
export function csvRecord(r: MailerLogRow): Array<string | number> {
  const text = (v: string | null) => (v === null ? '' : neutralizeCell(v));
  const num = (v: number | null) => (v === null ? '' : v);
  return [r.id, new Date(r.at).toISOString(), r.level, r.source, text(r.event), text(r.message), text(r.reply), num(r.account_id), num(r.mailbox_id), text(r.address),
    num(r.inbound_id), num(r.queue_id), num(r.mass_email_id)];
}

/** An NDJSON line (one JSON object and a newline; JSON escapes any newline inside a value). */
export const ndjsonLine = (r: MailerLogRow) => `${JSON.stringify(toApi(r))}\n`;
