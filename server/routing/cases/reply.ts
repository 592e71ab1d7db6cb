/*
 * Replies from a case: an agent's answer goes out From the case's mailbox (its name or the
 * agent's, per mailbox), Reply-To the signed case address, with our signed Message-ID (indexed
 * for the References rung), In-Reply-To/References/Thread-Topic/Thread-Index (replyHeaders.ts),
 * through the account that may send as the mailbox; recorded in the case's stream, the case
 * set to pending (waiting for the customer) unless closed, and `case.updated` (change 'reply').
 */
import type { WebhookEmit } from '../../webhooks/events.js';
import type { EnqueueDeps, EnqueueFn } from '../../outbound/enqueue.js';
import type { AccountsService } from '../../outbound/accounts/service.js';
import type { InboundView } from '../../inbound/view/service.js';
import type { CasesService } from './service.js';
import type { CaseMessageRow } from '../../db/repos/cases/cases.js';
import { caseRepliesRepo, type CaseReplyRow } from '../../db/repos/cases/replies.js';
import { mailboxIdsOf, type MailAccess, type Principal } from '../../auth/access.js';
import { addressOf, splitAddresses, LIMITS } from '../../outbound/compose/compose.js';
import { readHeaderSection } from '../../lib/headers.js';
import { conflict, invalid, notFound, type FieldError } from '../../errors.js';
import { mailboxAccount } from '../mailboxAccount.js';
import { replyHeaders } from './replyHeaders.js';
import { IDEMPOTENCY_KEY_RULE, idempotencyHash, validIdempotencyKey } from '../../lib/idempotency.js';

export interface CaseReplyDeps extends EnqueueDeps {
  cases: Pick<CasesService, 'repo' | 'replyAddress' | 'messageIdFor' | 'rememberMessageId'>;
  accounts: Pick<AccountsService, 'senderAccounts'>;
  access: Pick<MailAccess, 'scopeOf'>;
  inboundView: Pick<InboundView, 'rawChunks'>;
  emit?: WebhookEmit;
}
export interface CaseReplyInput {
  text?: string; html?: string | null; to?: string[] | string; cc?: string[] | string; principal: Principal;
  /** The same key (per sender and case) sends one reply: a repeat answers the first one's result. */
  idempotencyKey?: string;
}
export interface CaseReplyResult { replyId: number; messageId: string; outboundMessageId: number; status: string; to: string[]; cc: string[]; repeated?: boolean }

/** One entry of a case's stream: a message that came in, or a reply that went out. */
export type StreamItem =
  | { direction: 'in'; at: number; message: CaseMessageRow }
  | { direction: 'out'; at: number; reply: CaseReplyRow };

/** A reply's To or Cc as stored (comma-separated, as queued) back as a list. */
export const storedAddresses = (v: string | null) => (v ? v.split(/,\s*/).filter(Boolean) : []);

/** Inbound messages and replies in time order (a reply sorts after a message of the same instant). */
export function mergeStream(messages: CaseMessageRow[], replies: CaseReplyRow[]): StreamItem[] {
  const items: StreamItem[] = [...messages.map((m) => ({ direction: 'in' as const, at: m.at, message: m })), ...replies.map((r) => ({ direction: 'out' as const, at: r.at, reply: r }))];
  return items.sort((a, b) => a.at - b.at || (a.direction === b.direction ? 0 : a.direction === 'in' ? -1 : 1));
}

/** The header fields of a stored message (the first chunk is enough: header sections are small). */
async function headersOf(view: CaseReplyDeps['inboundView'], inboundId: number): Promise<Array<[string, string]>> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of view.rawChunks(inboundId)) {
    parts.push(c); size += c.length;
    if (size >= 256 * 1024 || c.includes('\r\n\r\n') || c.includes('\n\n')) break;
  }
  return readHeaderSection(Buffer.concat(parts)).fields;
}

/** A recorded reply still without its queued message this long after it was recorded was abandoned (its request died). */
export const STALE_REPLY_MS = 60_000;

export function caseReplyService(s: CaseReplyDeps, enqueue: EnqueueFn) {
  const repo = caseRepliesRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'cases.reply' });
  const now = () => s.ctx.clock.now();

  /** The addresses of a To/Cc input; bad ones become field errors. */
  function addresses(field: 'to' | 'cc', v: string[] | string | undefined, errs: FieldError[]): string[] {
    const out: string[] = [];
    for (const item of splitAddresses(v)) {
      const a = /[\r\n]/.test(item) ? null : addressOf(item);
      if (!a) errs.push({ field, message: `not a valid address: ${item.slice(0, 100)}`, key: 'cases.reply.err.address' });
      else if (!out.includes(a.toLowerCase())) out.push(a.toLowerCase());
    }
    return out;
  }

  /**
   * A reply recorded with this key, once its message is queued; 'stale' when it never was and its
   * request is long over (it died between recording the reply and queueing it): the repeat sends it.
   */
  async function settled(r: CaseReplyRow): Promise<CaseReplyRow | 'stale'> {
    // The same key sent side by side: the first request is queueing its message (milliseconds); wait
    // for it, unless it was recorded so long ago that its request is over.
    for (let i = 0; i < 100 && r.outbound_message_id === null && now() - r.at <= STALE_REPLY_MS; i++) {
      await new Promise((done) => setTimeout(done, 50));
      r = (await repo.byKey(r.case_id, r.idem_key!)) ?? r;
    }
    if (r.outbound_message_id !== null) return r;
    if (now() - r.at > STALE_REPLY_MS) return 'stale';
    throw conflict('a reply with this idempotency key is still being sent');
  }

  /** A reply already sent with this key: its result again, nothing sent twice. */
  async function repeated(r: CaseReplyRow): Promise<CaseReplyResult> {
    const status = (await s.cases.repo.get(r.case_id))?.status ?? 'pending';
    return {
      replyId: r.id, messageId: r.message_id, outboundMessageId: r.outbound_message_id!, status,
      to: storedAddresses(r.to_addrs), cc: storedAddresses(r.cc_addrs), repeated: true,
    };
  }

  return {
    repo,
    /** Sends a reply from the case; agents reach only the cases of their mailboxes (others are 404). */
    async reply(caseId: number, input: CaseReplyInput): Promise<CaseReplyResult> {
      const scope = mailboxIdsOf(await s.access.scopeOf(input.principal));
      const c = await s.cases.repo.get(caseId);
      if (!c || (scope && !(await s.cases.repo.inScope(caseId, scope)))) throw notFound('Case');
      if (input.idempotencyKey !== undefined && !validIdempotencyKey(input.idempotencyKey)) {
        throw invalid([{ field: 'idempotencyKey', message: IDEMPOTENCY_KEY_RULE, key: 'cases.reply.err.key' }]);
      }
      const idemKey = input.idempotencyKey === undefined ? null : idempotencyHash(`u${input.principal.userId ?? 0}`, input.idempotencyKey);
      const earlier = idemKey ? await repo.byKey(caseId, idemKey) : undefined;
      const before = earlier ? await settled(earlier) : undefined;
      if (before && before !== 'stale') return repeated(before);
      // Recorded by a request that died before queueing it: send it now under the same row (the queue's
      // unique keys, `case-reply:<id>:<address>`, keep a message queued just before that death single).
      const resume = before === 'stale' ? earlier! : null;

      const errs: FieldError[] = [];
      const text = (input.text ?? '').replace(/\r\n?/g, '\n');
      const html = input.html?.trim() ? input.html : null;
      if (!text.trim() && !html) errs.push({ field: 'text', message: 'write the reply', key: 'cases.reply.err.text' });
      if (text.length > LIMITS.body || (html?.length ?? 0) > LIMITS.body) errs.push({ field: 'text', message: 'the reply is too large', key: 'cases.reply.err.tooLarge' });
      const box = c.mailbox_id ? await repo.mailbox(c.mailbox_id) : undefined;
      if (!box || !box.active) errs.push({ field: 'text', message: 'the case has no active mailbox to reply from', key: 'cases.reply.err.mailbox' });
      const account = box ? mailboxAccount(box.address, await s.accounts.senderAccounts()) : undefined;
      if (box && !account) errs.push({ field: 'text', message: `no active upstream account may send as ${box.address}`, key: 'cases.reply.err.account' });

      // The message answered: the newest of the stream, ours or theirs (a person's, not an out-of-office).
      const [inbound, ours] = await Promise.all([repo.lastInbound(caseId), repo.lastReply(caseId, resume?.id)]);
      const explicitTo = addresses('to', input.to, errs);
      const cc = addresses('cc', input.cc, errs);
      // The customer: the last person who wrote in, else who opened the case.
      const to = explicitTo.length ? explicitTo : [inbound?.from_addr ?? c.from_addr].filter((a): a is string => Boolean(a)).map((a) => a.toLowerCase());
      if (!to.length && !errs.some((e) => e.field === 'to')) errs.push({ field: 'to', message: 'the case has no customer address: give one', key: 'cases.reply.err.to' });
      if (to.length + cc.length > LIMITS.recipients) errs.push({ field: 'cc', message: `at most ${LIMITS.recipients} recipients`, key: 'cases.reply.err.tooMany' });
      if (errs.length || !box || !account) throw invalid(errs);

      let parent: { messageId: string | null; references?: string | null; threadIndex?: string | null } | null = null;
      if (ours && (!inbound || ours.at >= inbound.at)) parent = { messageId: ours.message_id, threadIndex: ours.thread_index };
      else if (inbound) {
        const h = await headersOf(s.inboundView, inbound.inbound_id);
        const get = (n: string) => h.find(([k]) => k === n)?.[1] ?? null;
        parent = { messageId: inbound.message_id ?? get('message-id')?.replace(/^\s*<|>\s*$/g, '') ?? null, references: get('references'), threadIndex: get('thread-index') };
      }
      const at = now();
      const messageId = resume ? resume.message_id : s.cases.messageIdFor(caseId);
      const replyTo = await s.cases.replyAddress(caseId);
      const thread = await repo.threadIds(caseId);
      const r = replyHeaders({
        caseNumber: c.number, caseSubject: c.subject || inbound?.subject || '', caseCreatedAt: c.created_at, parent, thread,
        guidSeed: `${caseId}:${replyTo}`, at, random: at & 0xff,
      });
      const agentName = input.principal.userId && box.reply_from_name === 'agent' ? await repo.userName(input.principal.userId) : null;
      const fromName = (agentName || box.name).replace(/[\r\n]+/g, ' ').trim().slice(0, 200);

      const replyId = resume ? resume.id : await repo.insert({
        case_id: caseId, message_id: messageId, user_id: input.principal.userId, from_addr: box.address, to_addrs: to.join(', '), cc_addrs: cc.length ? cc.join(', ') : null,
        subject: r.subject, thread_index: r.headers['Thread-Index'] ?? null, at, idem_key: idemKey,
      });
      // The same key sent side by side: the other request recorded the reply first.
      if (replyId === null) {
        const other = await settled((await repo.byKey(caseId, idemKey!))!);
        if (other === 'stale') throw conflict('a reply with this idempotency key is still being sent');
        return repeated(other);
      }
      // The outbound renderer sends our Message-ID (signed case token) instead of deriving one.
      const q = await enqueue(s, {
        message: {
          source: 'case-reply', account_id: account.id, message_type_id: account.message_type_id, from_addr: box.address, from_name: fromName,
          reply_to: replyTo, subject: r.subject, html, text: text.trim() ? text : null, bulk: false, created_by: input.principal.userId, send_at: null,
          headers: { 'Message-ID': `<${messageId}>`, ...r.headers, ...(resume?.thread_index ? { 'Thread-Index': resume.thread_index } : {}) },
        },
        recipients: [...to.map((address) => ({ address, kind: 'to' as const })), ...cc.filter((a) => !to.includes(a)).map((address) => ({ address, kind: 'cc' as const }))],
        uniqueKeyPrefix: `case-reply:${replyId}`,
      });
      await repo.setOutbound(replyId, q.messageId);
      await s.cases.rememberMessageId(messageId, caseId);
      const status = (await s.cases.repo.markReplied(caseId, at)) ?? c.status;
      log.info({ evt: 'cases.reply_queued', caseId, replyId, outboundMessageId: q.messageId, userId: input.principal.userId, queued: q.queued, suppressed: q.suppressed, status }, 'case reply queued');
      await s.emit?.('case.updated', { caseId, number: c.number, change: 'reply', replyId, messageId, outboundMessageId: q.messageId, userId: input.principal.userId, status }, `case.updated:${caseId}:reply:${replyId}`)
        .catch((e: unknown) => log.error({ evt: 'cases.webhook_failed', err: e, event: 'case.updated' }, 'case webhook event not queued'));
      return { replyId, messageId, outboundMessageId: q.messageId, status, to, cc };
    },
    /** A case's replies, oldest first (with each one's delivery state). */
    replies: (caseId: number) => repo.ofCase(caseId),
    /** The case's stream: its messages and its replies in time order. */
    async stream(caseId: number, messages: CaseMessageRow[]): Promise<StreamItem[]> { return mergeStream(messages, await repo.ofCase(caseId)); },
  };
}
export type CaseReplyService = ReturnType<typeof caseReplyService>;
