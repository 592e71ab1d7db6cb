/*
 * Every outbound source (single emails, submissions, auto-replies, campaigns) queues mail
 * here: one message row and one queue row per recipient with a unique key per source and
 * recipient, so a retry or a restart never creates a second copy. Blocked addresses are
 * queued as `suppressed` with the reason; header values with CR/LF are refused.
 */
import type { Ctx } from '../context.js';
import type { SuppressionService } from '../suppression/service.js';
import { invalid } from '../errors.js';
import { assertHeaderValue, isValidHeaderName } from '../lib/headers.js';
import { parseMailbox } from '../lib/addresses.js';
import { outboundQueueRepo, uniqueKey } from '../db/repos/outbound/queue.js';
import { accountsRepo } from '../db/repos/accounts.js';

export interface EnqueueMessage {
  source: string; account_id: number | null; message_type_id: number | null; from_addr: string; from_name: string;
  reply_to: string | null; subject: string; html: string | null; text: string | null; headers: Record<string, string> | null;
  bulk: boolean; created_by: number | null; send_at: number | null; inbound_id?: number | null;
  attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}
export interface EnqueueArgs { message: EnqueueMessage; recipients: Array<{ address: string; kind: 'to' | 'cc' | 'bcc' }>; uniqueKeyPrefix: string }
export interface EnqueueResult { messageId: number; queued: number; suppressed: number; duplicates: number }

export interface EnqueueDeps { ctx: Ctx; suppressions: SuppressionService }
/** The enqueue contract as sources receive it (services.ts passes `enqueue`). */
export type EnqueueFn = (s: EnqueueDeps, args: EnqueueArgs) => Promise<EnqueueResult>;

export async function enqueue(s: EnqueueDeps, { message, recipients, uniqueKeyPrefix }: EnqueueArgs): Promise<EnqueueResult> {
  const now = s.ctx.clock.now();
  const errs: Array<{ field: string; message: string }> = [];
  for (const [field, v] of [['subject', message.subject], ['fromName', message.from_name], ['replyTo', message.reply_to ?? '']] as const) {
    try { assertHeaderValue(field, v); } catch (e) { errs.push({ field, message: (e as Error).message }); }
  }
  for (const [name, v] of Object.entries(message.headers ?? {})) {
    if (!isValidHeaderName(name)) errs.push({ field: `headers.${name}`, message: 'is not a valid header name' });
    try { assertHeaderValue(name, v); } catch (e) { errs.push({ field: `headers.${name}`, message: (e as Error).message }); }
  }
  if (!parseMailbox(message.from_addr).ok) errs.push({ field: 'from', message: 'is not a valid address' });
  const rcpts: Array<{ address: string; kind: string }> = [];
  for (const [i, r] of recipients.entries()) {
    const p = parseMailbox(r.address);
    if (!p.ok) errs.push({ field: `recipients.${i}`, message: `${r.address}: ${p.message}` }); else rcpts.push({ address: p.address.toLowerCase(), kind: r.kind });
  }
  if (!rcpts.length && !errs.length) errs.push({ field: 'recipients', message: 'at least one recipient is needed' });
  if (errs.length) throw invalid(errs);
  const account = message.account_id ? await accountsRepo(s.ctx.db).get(message.account_id) : await accountsRepo(s.ctx.db).defaultAccount();
  if (!account) throw invalid([{ field: 'account', message: 'no such account, and no default account is set' }]);
  const blocked = await s.suppressions.blockedAmong(rcpts.map((r) => r.address));
  const seen = new Set<string>();
  const rows = rcpts.filter((r) => (seen.has(r.address) ? false : (seen.add(r.address), true))).map((r) => {
    const b = blocked.get(r.address);
    return { recipient: r.address, rcpt_kind: r.kind, unique_key: uniqueKey(uniqueKeyPrefix, r.address), state: b ? 'suppressed' : 'queued', suppressed_reason: b ? (b.reason ?? 'blocked') : null, run_at: message.send_at ?? now };
  });
  const { attachments = [], headers, ...m } = message;
  const row = { ...m, account_id: account.id, message_type_id: m.message_type_id ?? account.message_type_id, headers: headers ? JSON.stringify(headers) : null };
  const res = await outboundQueueRepo(s.ctx.db).insertMessage(row, attachments, rows, now);
  const suppressed = rows.filter((r) => r.state === 'suppressed').length;
  s.ctx.log.child({ mod: 'outbound' }).info({ evt: 'send.queued', messageId: res.messageId, queued: res.inserted - suppressed, suppressed, duplicates: res.duplicates }, 'queued');
  return { messageId: res.messageId ?? 0, queued: Math.max(0, res.inserted - suppressed), suppressed, duplicates: res.duplicates };
}
