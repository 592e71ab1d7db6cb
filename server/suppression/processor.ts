/*
 * Bounce processing for an inbound message the pipeline detected as a bounce or complaint:
 * classify it, find the original outbound row (VERP token first, then the returned
 * Message-ID or our own header), merge one bounce event per (row, recipient, source), and
 * apply the policy. Sender-side refusals go on the upstream account's health instead.
 */
import type { Ctx } from '../context.js';
import type { SuppressionService } from './service.js';
import { classifyMessage, type ClassifiedMessage } from '../bounces/classify.js';
import { bounceEventsRepo } from '../db/repos/bounceEvents.js';

export interface BounceMessage {
  inboundId: number;
  raw: Buffer;
  /** Outbound queue row ids decoded from the VERP addresses this message was sent to. */
  verpQueueIds: number[];
  /** The pipeline's classification of this message, so it is not classified twice. */
  classified?: ClassifiedMessage;
}
export interface BounceOutcome { kind: string; events: number; blocked: string[]; unmatched: number }

/** What bounce processing uses: the context and the suppression list. */
export interface BounceDeps { ctx: Ctx; suppressions: SuppressionService }

export async function processBounceMessage(s: BounceDeps, m: BounceMessage): Promise<BounceOutcome> {
  const events = bounceEventsRepo(s.ctx.db);
  const now = s.ctx.clock.now();
  const c = m.classified ?? classifyMessage(m.raw);
  const out: BounceOutcome = { kind: c.kind, events: 0, blocked: [], unmatched: 0 };
  if (c.kind !== 'bounce' && c.kind !== 'complaint') return out; // auto-replies, notifications: never bounces

  const verpRows = (await Promise.all(m.verpQueueIds.map((id) => events.queueById(id)))).filter((r) => r !== undefined);
  const byHeaders = async () => {
    const mid = c.original?.messageId;
    const own = c.original?.headers?.['x-postern-queue-id'];
    if (own && /^\d+$/.test(own)) { const r = await events.queueById(Number(own)); if (r) return r; }
    return mid ? events.queueByMessageId(mid) : undefined;
  };

  if (c.kind === 'complaint') {
    const row = verpRows[0] ?? (await byHeaders());
    const address = (row?.recipient ?? c.feedback?.recipient ?? '').toLowerCase();
    if (!address) { out.unmatched++; return out; }
    await events.upsert({ queue_id: row?.id ?? null, recipient: address, source: 'arf', status: null, action: null, class: 'none', reason: 'feedback', side: 'recipient', reply_code: null, diagnostic: c.feedback?.type ?? null, inbound_id: m.inboundId, account_id: row?.account_id ?? null, at: now });
    out.events++;
    if (c.feedback?.effect === 'suppress-recipient') {
      await s.suppressions.recordComplaint({ address, feedbackType: c.feedback.type, inboundId: m.inboundId, queueId: row?.id ?? null });
      out.blocked.push(address);
    }
    return out;
  }

  const fallbackRow = verpRows.length ? undefined : await byHeaders();
  for (const r of c.recipients) {
    // With VERP, the row says exactly whom we mailed (a DSN may name a forwarded address).
    const row = verpRows.find((v) => v.recipient.toLowerCase() === r.recipient) ?? (verpRows.length === 1 ? verpRows[0] : undefined) ?? fallbackRow;
    const address = (row?.recipient ?? r.recipient).toLowerCase();
    if (!row) out.unmatched++;
    const ev = await events.upsert({
      queue_id: row?.id ?? null, recipient: address, source: 'dsn', status: r.status, action: r.action, class: r.class, reason: r.reason,
      side: r.side, reply_code: r.replyCode ? Number(r.replyCode) : null, diagnostic: r.diagnostic?.slice(0, 4000) ?? null,
      inbound_id: m.inboundId, account_id: row?.account_id ?? null, at: now,
    });
    out.events++;
    if (!ev.created) continue; // the same DSN again: counted once
    if (r.side === 'sender') {
      if (row?.account_id) await events.noteAccountRefusal(row.account_id, `${r.reason} (${r.status}): ${r.diagnostic ?? ''}`, now);
      continue;
    }
    // Only mail we sent can bounce: an unmatched DSN for an address we never mailed changes nothing.
    if (!row) continue;
    const { blocked } = await s.suppressions.recordBounce({ address, class: r.class, reason: r.reason, side: r.side, eventId: ev.id, inboundId: m.inboundId, queueId: row.id });
    if (blocked) out.blocked.push(address);
  }
  return out;
}
