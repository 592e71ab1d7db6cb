/*
 * What the delivery worker reports once a group of results is written (pure, no I/O): the
 * mailer log entries (deferred and failed rows with the remote reply; an account that starts
 * failing or recovers; sent rows are the queue's and the campaign log's business, not logged)
 * and the `delivery.sent | deferred | failed` webhook events, grouped by event.
 */
import type { RowResult } from '../db/repos/outbound/results.js';
import type { AccountRow, AccountTouch } from '../db/repos/accounts.js';
import type { MailerLogEntry } from './types.js';

type DeliveryEvent = 'delivery.sent' | 'delivery.deferred' | 'delivery.failed';
export interface DeliveryReports {
  entries: MailerLogEntry[];
  events: Map<DeliveryEvent, Array<{ data: Record<string, unknown>; key: string }>>;
}
interface RowInfo { id: number; message_id: number; mass_email_id?: number | string | null }

/** Reports for the rows whose result was applied (a row re-claimed meanwhile reports nothing: its new owner will). */
export function deliveryReports(done: Array<{ result: RowResult; applied: boolean }>, rows: readonly RowInfo[], accountName: string): DeliveryReports {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: DeliveryReports = { entries: [], events: new Map() };
  for (const { result: r, applied } of done) {
    const kind = r.attempt.result;
    if (!applied || (kind !== 'sent' && kind !== 'deferred' && kind !== 'failed')) continue;
    const row = byId.get(r.id);
    const massEmailId = row?.mass_email_id ? Number(row.mass_email_id) : null;
    const attempt = Number(r.patch.attempts ?? 0);
    const reply = r.attempt.response ?? '';
    const event = `delivery.${kind}` as DeliveryEvent;
    const data: Record<string, unknown> = {
      queueId: r.id, messageId: r.messageId ?? null, outboundMessageId: row?.message_id ?? null, address: r.recipient, accountId: r.accountId,
      ...(massEmailId ? { massEmailId } : {}), attempt, code: r.attempt.code, response: reply,
    };
    const list = out.events.get(event) ?? [];
    list.push({ data, key: `q:${r.id}:${attempt}:${kind}` });
    out.events.set(event, list);
    if (kind === 'sent') continue;
    const gaveUp = kind === 'failed' && (r.attempt.code === null || r.attempt.code < 500);
    out.entries.push({
      level: kind === 'failed' ? 'error' : 'warn', source: 'delivery', event: gaveUp ? 'delivery.expired' : event,
      message: kind === 'deferred' ? `Deferred by ${accountName} (attempt ${attempt}): ${reply}`
        : gaveUp ? `Gave up after ${attempt} attempts through ${accountName}: ${reply}` : `Refused by ${accountName}: ${reply}`,
      reply: reply || null, accountId: r.accountId, address: r.recipient, queueId: r.id, massEmailId, at: r.attempt.at,
    });
  }
  return out;
}

/** An account that was healthy and now fails (its last error is newer than its last success), or the other way round. */
export function accountHealthEntry(a: Pick<AccountRow, 'id' | 'name' | 'last_error_at' | 'last_success_at'>, touch: AccountTouch): MailerLogEntry | null {
  const wasFailing = a.last_error_at !== null && (a.last_success_at === null || a.last_error_at > a.last_success_at);
  const lastError = touch.lastError?.at ?? a.last_error_at;
  const lastSuccess = touch.lastSuccessAt ?? a.last_success_at;
  const failing = lastError !== null && (lastSuccess === null || lastError > lastSuccess);
  if (failing === wasFailing || (!touch.lastError && !touch.lastSuccessAt)) return null;
  return failing
    ? { level: 'warn', source: 'account', event: 'account.failing', accountId: a.id, message: `Upstream account ${a.name} is failing: ${touch.lastError?.text ?? ''}`, reply: touch.lastError?.text ?? null }
    : { level: 'info', source: 'account', event: 'account.recovered', accountId: a.id, message: `Upstream account ${a.name} delivers again` };
}
