/* The outbound queue's writes: messages with their recipients, attempts, sandbox copies, message bodies for rendering. */
import { createHash } from 'node:crypto';
import type { Db } from '../connect.js';
import { listPage, type ListQuery } from '../list.js';
import { withTxRetry } from '../retry.js';

export const QUEUE_KEY_MAX = 191;
/** Unique keys stay within the column: long ones keep their prefix and a hash of the rest. */
export const uniqueKey = (prefix: string, address: string) => {
  const key = `${prefix}:${address.toLowerCase()}`;
  return key.length <= QUEUE_KEY_MAX ? key : `${prefix.slice(0, 140)}:#${createHash('sha256').update(key).digest('base64url')}`;
};

export function outboundQueueRepo(db: Db) {
  const k = db.knex;
  return {
    /** One message row and one queue row per recipient; rows whose unique key exists are skipped. */
    async insertMessage(m: Record<string, unknown>, attachments: Array<{ filename: string; contentType: string; content: Buffer }>,
      rows: Array<{ recipient: string; rcpt_kind: string; unique_key: string; state: string; suppressed_reason: string | null; run_at: number }>, now: number) {
      // InnoDB may pick this insert as a deadlock victim against claimers' locks: the whole
      // transaction rolled back, so running it again is safe.
      return withTxRetry(() => k.transaction(async (trx) => {
        const existing = new Set((await trx('outbound_queue').whereIn('unique_key', rows.map((r) => r.unique_key)).select('unique_key')).map((r: any) => r.unique_key));
        const fresh = rows.filter((r) => !existing.has(r.unique_key));
        if (!fresh.length) {
          // Everything was queued before: answer with the message that holds those rows.
          const prev = await trx('outbound_queue').where('unique_key', rows[0]!.unique_key).select('message_id').first();
          return { messageId: prev ? Number(prev.message_id) : null, inserted: 0, duplicates: rows.length };
        }
        const [id] = await trx('outbound_messages').insert({ ...m, created_at: now, updated_at: now });
        const messageId = Number(id);
        for (const a of attachments) await trx('outbound_attachments').insert({ message_id: messageId, filename: a.filename, content_type: a.contentType, content: a.content });
        for (const r of fresh) {
          await trx('outbound_queue').insert({ ...r, message_id: messageId, account_id: m.account_id, message_type_id: m.message_type_id, source: m.source, created_at: now, updated_at: now });
        }
        return { messageId, inserted: fresh.length, duplicates: rows.length - fresh.length };
      }), 5);
    },
    async message(id: number) { return k('outbound_messages').where({ id }).first(); },
    async recipientsOf(messageId: number): Promise<Array<{ recipient: string; rcpt_kind: string }>> { return k('outbound_queue').where({ message_id: messageId }).select('recipient', 'rcpt_kind'); },
    async attachments(id: number) { return k('outbound_attachments').where({ message_id: id }).orderBy('id'); },
    async setMessageId(queueId: number, mid: string) { await k('outbound_queue').where({ id: queueId }).whereNull('smtp_message_id').update({ smtp_message_id: mid }); },
    async attempt(a: { queue_id: number; at: number; result: string; code: number | null; response: string | null; duration_ms: number }) { await k('outbound_attempts').insert(a); },
    async sandbox(row: { queue_id: number; account_id: number; recipient: string; subject: string | null; raw: Buffer; created_at: number }) {
      await k('sandbox_mails').insert(row).onConflict('queue_id').merge();
    },
    async accountTouched(id: number, patch: Record<string, unknown>, now: number) { await k('upstream_accounts').where({ id }).update({ ...patch, updated_at: now }); },
    async dueAccountIds(now: number): Promise<number[]> {
      const rows = await k('outbound_queue').distinct('account_id').whereIn('state', ['queued', 'deferred']).where('run_at', '<=', now).whereNotNull('account_id');
      return rows.map((r: any) => Number(r.account_id));
    },
  };
}

/* The sandbox account's stored messages. */
export function sandboxRepo(db: Db) {
  const k = db.knex;
  return {
    list: (q: ListQuery) => listPage(k('sandbox_mails').select('id', 'queue_id', 'account_id', 'recipient', 'subject', 'created_at'),
      { sortable: ['id', 'created_at', 'recipient'], defaultSort: 'id', defaultDir: 'desc', searchable: ['recipient', 'subject'] }, q, (r) => ({ ...r, id: Number(r.id), queue_id: Number(r.queue_id) })),
    async get(id: number): Promise<{ id: number; recipient: string; subject: string | null; raw: Buffer } | undefined> {
      const r = await k('sandbox_mails').where({ id }).first();
      return r && { id: Number(r.id), recipient: r.recipient, subject: r.subject, raw: Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw) };
    },
  };
}
