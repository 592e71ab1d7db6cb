/*
 * Auto-reply per mailbox (the last routing hook): the RFC 3834 guards (guard.ts), one reply per
 * case or inbound message, at most N per sender, mailbox and period, then the reply queued through
 * the normal outbound path (outbound/enqueue) from the mailbox address, marked as automatic.
 */
import { createHash } from 'node:crypto';
import type { Ctx } from '../../context.js';
import type { EnqueueDeps, EnqueueFn } from '../../outbound/enqueue.js';
import { headOf, type StepContext } from '../../inbound/pipeline/steps.js';
import { autoRepliesRepo } from '../../db/repos/autoReply/replies.js';
import { mailboxAccount } from '../mailboxAccount.js';
import { guard, periodBucket, renderReply, threadHeaders, type GuardReason } from './guard.js';
import { routingSettings, type RoutingSettings } from '../settings.js';

/** `settings`: the routing hooks' per-node cache (mailbox texts, our domains, the accounts that send as a mailbox). */
export interface AutoReplyDeps extends EnqueueDeps { settings?: RoutingSettings }
export type AutoReplyOutcome =
  | { sent: true; to: string; mailboxId: number; messageId: number; duplicate: boolean }
  | { sent: false; reason: GuardReason | 'existing-case' | 'limit' | 'duplicate' | 'no-account'; mailboxId: number };

/** The per-sender limit (config `autoReply`): default one reply per sender and mailbox per 24 h. */
export function limitOf(ctx: Ctx): { maxPerSender: number; periodMs: number } {
  const c = ctx.config.autoReply;
  return { maxPerSender: c?.maxPerSender ?? 1, periodMs: (c?.periodHours ?? 24) * 3_600_000 };
}

/** The display name of a From field as it came (`"Ann Lee" <ann@x>` → Ann Lee). */
const displayName = (from: string | undefined) => {
  const m = /^\s*"?([^"<]*?)"?\s*<[^<>]*>\s*$/.exec(from ?? '');
  return m ? m[1]!.trim() : '';
};

export function autoReplyService(s: AutoReplyDeps, enqueue: EnqueueFn) {
  const repo = autoRepliesRepo(s.ctx.db);
  // Mailbox texts, our domains and the accounts that may send as a mailbox: cached per node (routing/settings.ts).
  const settings = s.settings ?? routingSettings(s);
  const log = s.ctx.log.child({ mod: 'routing.autoReply' });

  return {
    repo,
    /** The route hook: answers undefined when no recipient mailbox has an auto-reply (nothing to record). */
    async handle(c: StepContext): Promise<AutoReplyOutcome | undefined> {
      if (c.routing?.skip) return undefined;
      const ids = [...new Set(c.recipients.filter((r) => (r.kind === 'mailbox' || r.kind === 'catchall') && r.mailbox_id).map((r) => Number(r.mailbox_id)))];
      // One message to two of our mailboxes gets one reply: from the first recipient mailbox that has one.
      const box = (await settings.autoReplyBoxes(ids))[0];
      if (!box) return undefined;
      const routing = c.routing ?? {};
      // With cases, only a message that opened a case is answered; a follow-up on a case is not.
      if (routing.caseId && !routing.caseCreated) return { sent: false, reason: 'existing-case', mailboxId: box.id };
      const headers = headOf(c).fields;
      const v = guard({ mailFrom: c.msg.mail_from ?? '', headers, kind: c.kind ?? c.msg.kind ?? undefined, ownDomains: await settings.ownDomains() });
      if (!v.reply) {
        log.info({ evt: 'autoreply.suppressed', inboundId: c.msg.id, mailboxId: box.id, reason: v.reason }, 'no auto-reply');
        return { sent: false, reason: v.reason, mailboxId: box.id };
      }
      const account = mailboxAccount(box.address, await settings.senderAccounts());
      if (!account) return { sent: false, reason: 'no-account', mailboxId: box.id };

      const messageId = c.fields.message_id ?? c.msg.message_id ?? null;
      // The same message delivered twice (two SMTP transactions, one per mailbox) is one trigger: its sender and Message-ID.
      const trigger = routing.caseId ? `case:${routing.caseId}`
        : messageId ? `mid:${createHash('sha256').update(`${v.to}\0${messageId}`).digest('hex').slice(0, 40)}` : `in:${c.msg.id}`;
      const { maxPerSender, periodMs } = limitOf(s.ctx);
      const now = s.ctx.clock.now();
      const row = await repo.claim({ mailboxId: box.id, sender: v.to, bucket: periodBucket(now, periodMs), maxPerPeriod: maxPerSender, trigger, inboundId: c.msg.id }, now);
      if (!row) {
        log.info({ evt: 'autoreply.limited', inboundId: c.msg.id, mailboxId: box.id }, 'auto-reply limit reached for this sender');
        return { sent: false, reason: 'limit', mailboxId: box.id };
      }
      if (row.inbound_id !== c.msg.id) return { sent: false, reason: 'duplicate', mailboxId: box.id };

      const subject = c.fields.subject ?? c.msg.subject ?? '';
      const from = headers.find(([k]) => k === 'from')?.[1];
      const reply = renderReply({ subject: box.subject, text: box.text }, {
        Case: { number: routing.caseNumber ? String(routing.caseNumber) : '', subject: routing.caseId ? subject : '' },
        Person: { name: displayName(c.root?.headers.get('from') ?? from), email: v.to },
        Mailbox: { name: box.name, address: box.address }, Message: { subject },
      });
      // A re-run (crash before the step result was written) queues nothing twice: the unique key is the claim's.
      const r = await enqueue(s, {
        message: {
          source: 'auto-reply', account_id: account.id, message_type_id: account.message_type_id, from_addr: box.address, from_name: box.name.replace(/[\r\n]+/g, ' '),
          reply_to: null, subject: reply.subject, html: null, text: reply.text, bulk: false, created_by: null, send_at: null,
          headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All', ...threadHeaders(messageId, headers.find(([k]) => k === 'references')?.[1]) },
        },
        recipients: [{ address: v.to, kind: 'to' }],
        uniqueKeyPrefix: `auto-reply:${row.id}`,
      });
      if (r.messageId) await repo.setOutbound(row.id, r.messageId);
      log.info({ evt: 'autoreply.queued', inboundId: c.msg.id, mailboxId: box.id, messageId: r.messageId, duplicates: r.duplicates }, 'auto-reply queued');
      return { sent: true, to: v.to, mailboxId: box.id, messageId: r.messageId || (row.outbound_message_id ?? 0), duplicate: r.duplicates > 0 };
    },
  };
}
export type AutoReplyService = ReturnType<typeof autoReplyService>;
