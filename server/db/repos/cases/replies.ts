/*
 * Writes: case_replies. Reads: case_replies, case_messages, case_message_ids, inbound_messages,
 * mailboxes, users, outbound_queue.
 * Replies sent from a case: one row per reply with its outbound message, and the reads a reply
 * needs (the message it answers, the thread's Message-IDs, the mailbox's From settings).
 */
import type { Db } from '../../connect.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';

export interface CaseReplyRow {
  id: number; case_id: number; message_id: string; outbound_message_id: number | null; user_id: number | null;
  from_addr: string; to_addrs: string; cc_addrs: string | null; subject: string; thread_index: string | null; at: number;
  idem_key?: string | null;
  /** The delivery state and id of its first recipient row (queued, sent, deferred, failed…), when queued. */
  state?: string | null; queue_id?: number | null;
}
export interface NewCaseReply {
  case_id: number; message_id: string; user_id: number | null; from_addr: string; to_addrs: string; cc_addrs: string | null;
  subject: string; thread_index: string | null; at: number;
  /** The hashed idempotency key (one reply per case and key), or none. */
  idem_key?: string | null;
}
/** The newest inbound message of a case written by a person (not a bounce or an out-of-office). */
export interface LastInbound { inbound_id: number; at: number; message_id: string | null; from_addr: string | null; subject: string | null }

const toReply = (r: DbRow): CaseReplyRow => ({
  id: Number(r.id), case_id: Number(r.case_id), message_id: String(r.message_id), outbound_message_id: numOrNull(r.outbound_message_id), user_id: numOrNull(r.user_id),
  from_addr: String(r.from_addr), to_addrs: String(r.to_addrs), cc_addrs: strOrNull(r.cc_addrs), subject: String(r.subject), thread_index: strOrNull(r.thread_index),
  at: Number(r.at), idem_key: strOrNull(r.idem_key), ...(r.state !== undefined ? { state: strOrNull(r.state), queue_id: numOrNull(r.queue_id) } : {}),
});

export function caseRepliesRepo(db: Db) {
  const k = db.knex;
  return {
    /** The new reply's id, or null when the case already has a reply with this idempotency key. */
    async insert(r: NewCaseReply): Promise<number | null> {
      try {
        const [id] = await k('case_replies').insert({ ...r, message_id: r.message_id.slice(0, 191), subject: r.subject.slice(0, 998) });
        return Number(id);
      } catch (e) {
        if (r.idem_key && (await this.byKey(r.case_id, r.idem_key))) return null;
        throw e;
      }
    },
    async byKey(caseId: number, idemKey: string): Promise<CaseReplyRow | undefined> {
      const r = await k('case_replies').where({ case_id: caseId, idem_key: idemKey }).first();
      return r ? toReply(r) : undefined;
    },
    async setOutbound(id: number, outboundMessageId: number) { await k('case_replies').where({ id }).update({ outbound_message_id: outboundMessageId }); },
    /** A case's replies, oldest first, with the delivery state of each one's first recipient row. */
    async ofCase(caseId: number): Promise<CaseReplyRow[]> {
      const first = (col: string) => k('outbound_queue').select(col).whereRaw('outbound_queue.message_id = case_replies.outbound_message_id').orderBy('id').limit(1);
      const rows = await k('case_replies').where({ case_id: caseId }).select('case_replies.*', first('state').as('state'), first('id').as('queue_id'))
        .orderBy([{ column: 'at' }, { column: 'id' }]);
      return rows.map(toReply);
    },
    /** The newest reply of the case (other than `except`: a reply being sent again answers the one before it). */
    async lastReply(caseId: number, except?: number): Promise<CaseReplyRow | undefined> {
      const r = await k('case_replies').where({ case_id: caseId }).modify((q) => { if (except) q.whereNot('id', except); }).orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
      return r ? toReply(r) : undefined;
    },
    async lastInbound(caseId: number): Promise<LastInbound | undefined> {
      const r = await k('case_messages').join('inbound_messages', 'inbound_messages.id', 'case_messages.inbound_id').where('case_messages.case_id', caseId)
        .where((q) => q.whereNull('inbound_messages.kind').orWhere('inbound_messages.kind', 'normal'))
        .orderBy([{ column: 'case_messages.at', order: 'desc' }, { column: 'case_messages.inbound_id', order: 'desc' }])
        .first('case_messages.inbound_id', 'case_messages.at', 'inbound_messages.message_id', 'inbound_messages.from_addr', 'inbound_messages.subject');
      if (!r) return undefined;
      return { inbound_id: Number(r.inbound_id), at: Number(r.at), message_id: strOrNull(r.message_id), from_addr: strOrNull(r.from_addr), subject: strOrNull(r.subject) };
    },
    /** Every Message-ID known on the case (received and sent), oldest first. */
    async threadIds(caseId: number): Promise<string[]> {
      const rows = await k('case_message_ids').where({ case_id: caseId }).select('message_id').orderBy([{ column: 'at' }, { column: 'message_id' }]);
      return rows.map((r: DbRow) => String(r.message_id));
    },
    async mailbox(id: number): Promise<{ id: number; address: string; name: string; reply_from_name: string; active: boolean } | undefined> {
      const r = await k('mailboxes').where({ id }).first('id', 'address', 'name', 'reply_from_name', 'active');
      return r ? { id: Number(r.id), address: String(r.address), name: String(r.name ?? ''), reply_from_name: String(r.reply_from_name ?? 'mailbox'), active: Boolean(r.active) } : undefined;
    },
    async userName(userId: number): Promise<string | null> {
      const r = await k('users').where({ id: userId }).first('name', 'username');
      return r ? String(r.name || r.username) : null;
    },
  };
}
export type CaseRepliesRepo = ReturnType<typeof caseRepliesRepo>;
