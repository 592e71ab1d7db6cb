/*
 * The outbound owner (db/repos/outbound/: queue.ts, results.ts, admin.ts) is the only writer of outbound_messages,
 * outbound_attachments, outbound_queue, outbound_attempts and sandbox_mails; this file is its enqueue and render part.
 * Writes: outbound_messages, outbound_attachments, outbound_queue. Reads: outbound_messages, outbound_attachments, outbound_queue, upstream_accounts, sandbox_mails.
 * The outbound queue's writes: messages with their recipients (unique keys), and what rendering reads: recipients, attachments.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery } from '../../list.js';
import { inList, powerOfTwoGroups, transact } from '../../exec.js';
import { claim, type LeasedRow, type QueueSpec } from '../../queue.js';
import { columns, numOrNull } from '../../row.js';

/** An outbound_messages row as the renderer reads it (numbers may arrive as strings, booleans as 0/1). */
export interface OutboundMessageRow {
  id: number | string; from_addr: string; from_name?: string | null; reply_to?: string | null; subject: string | null;
  html?: string | null; text?: string | null; headers?: string | null; bulk?: unknown; inbound_id?: number | string | null;
  [col: string]: unknown;
}
/** An outbound_attachments row. */
export interface AttachmentRow { filename: string; content_type: string; content: Buffer | Uint8Array | string; [col: string]: unknown }

/** The outbound queue as db/queue.ts claims, sweeps and gauges it. */
export const OUTBOUND_QUEUE: QueueSpec = { table: 'outbound_queue', readyStates: ['queued', 'deferred'], claimedState: 'sending', returnState: 'queued' };

export const QUEUE_KEY_MAX = 191;
/** Unique keys stay within the column: long ones keep their prefix and a hash of the rest. */
export const uniqueKey = (prefix: string, address: string) => {
  const key = `${prefix}:${address.toLowerCase()}`;
  return key.length <= QUEUE_KEY_MAX ? key : `${prefix.slice(0, 140)}:#${createHash('sha256').update(key).digest('base64url')}`;
};

/** A queue row's columns as insertMessage writes them (message_id first). */
const QUEUE_COLUMNS = ['message_id', 'recipient', 'rcpt_kind', 'unique_key', 'state', 'suppressed_reason', 'run_at', 'account_id', 'message_type_id', 'source', 'created_at', 'updated_at'];

export function outboundQueueRepo(db: Db) {
  const k = db.knex;
  return {
    /**
     * One message row and one queue row per recipient; rows whose unique key exists are skipped.
     * Plain SQL in two round trips on MariaDB (Exec.batch): the check with the BEGIN, then the
     * message, its attachments and its rows with the COMMIT. Through knex it was BEGIN, the check,
     * one INSERT per row and COMMIT, each a round trip and a query build: the auto-reply's ~5 of the
     * routing drain's 6.2 round trips a message in the mail that got one (bench/routing-drain.sh).
     */
    async insertMessage(m: Record<string, unknown>, attachments: Array<{ filename: string; contentType: string; content: Buffer }>,
      rows: Array<{ recipient: string; rcpt_kind: string; unique_key: string; state: string; suppressed_reason: string | null; run_at: number }>, now: number) {
      const keys = rows.map((r) => r.unique_key);
      // Undefined columns are left out (their defaults), as knex's insert did.
      const msg = Object.entries({ ...m, created_at: now, updated_at: now }).filter(([, v]) => v !== undefined);
      const insertMsg = { sql: `INSERT INTO outbound_messages (${msg.map(([c]) => `\`${c}\``).join(', ')}) VALUES (${inList(msg.length)})`, params: msg.map(([, v]) => v) };
      return transact(db, async (x) => {
        const [seen] = await x.batch([{ sql: `SELECT unique_key, message_id FROM outbound_queue WHERE unique_key IN (${inList(keys.length)})`, params: keys }]);
        const existing = new Map(seen!.rows.map((r) => [String(r.unique_key), Number(r.message_id)]));
        const fresh = rows.filter((r) => !existing.has(r.unique_key));
        // Everything was queued before: answer with the message that holds those rows.
        if (!fresh.length) return { messageId: existing.get(rows[0]!.unique_key) ?? null, inserted: 0, duplicates: rows.length };
        const mysql = x.dialect === 'mysql';
        // MariaDB: the message's id as a session variable, so its rows go in the same round trip.
        const mid = mysql ? '@outbound_message_id' : '?';
        const writes = (id: number[]) => [
          ...attachments.map((a) => ({ sql: `INSERT INTO outbound_attachments (message_id, filename, content_type, content) VALUES (${mid}, ?, ?, ?)`, params: [...id, a.filename, a.contentType, a.content] })),
          ...powerOfTwoGroups(fresh).map((g) => ({
            sql: `INSERT INTO outbound_queue (${QUEUE_COLUMNS.join(', ')}) VALUES ${g.map(() => `(${mid}, ${inList(QUEUE_COLUMNS.length - 1)})`).join(', ')}`,
            params: g.flatMap((r) => [...id, r.recipient, r.rcpt_kind, r.unique_key, r.state, r.suppressed_reason, r.run_at, m.account_id, m.message_type_id, m.source, now, now]),
          })),
        ];
        let messageId: number;
        if (mysql) messageId = (await x.batch([insertMsg, { sql: `SET ${mid} = LAST_INSERT_ID()` }, ...writes([])], { last: true }))[0]!.lastId;
        else {
          messageId = (await x.run(insertMsg.sql, insertMsg.params)).lastId;
          await x.batch(writes([messageId]));
        }
        return { messageId, inserted: fresh.length, duplicates: rows.length - fresh.length };
      });
    },
    /** Claims up to `limit` due rows of one upstream account under a lease (db/queue.ts#claim). */
    async claimForAccount<T extends LeasedRow>(accountId: number, o: { workerId: string; leaseMs: number; limit: number; now: number }): Promise<T[]> {
      return claim<T>(db, OUTBOUND_QUEUE, { ...o, filter: (q) => q.where('account_id', accountId) });
    },
    async message(id: number) { return k('outbound_messages').where({ id }).first(); },
    async recipientsOf(messageId: number): Promise<Array<{ recipient: string; rcpt_kind: string }>> { return k('outbound_queue').where({ message_id: messageId }).select('recipient', 'rcpt_kind'); },
    async attachments(id: number) { return k('outbound_attachments').where({ message_id: id }).orderBy('id'); },
    /**
     * Accounts with a due row. One indexed probe per account (account_id, state, run_at): a
     * DISTINCT over due rows read every one of them, each pass, with 100,000 queued.
     */
    async dueAccountIds(now: number): Promise<number[]> {
      const out: number[] = [];
      for (const a of await k('upstream_accounts').select('id').orderBy('id')) {
        for (const state of ['queued', 'deferred']) {
          if (await k('outbound_queue').select('id').where({ account_id: a.id, state }).where('run_at', '<=', now).first()) { out.push(Number(a.id)); break; }
        }
      }
      return out;
    },
  };
}

/* The sandbox account's stored messages. */
export interface SandboxRow { id: number; queue_id: number; account_id: number | null; recipient: string; subject: string | null; created_at: number }

export function sandboxRepo(db: Db) {
  const k = db.knex;
  return {
    list: (q: ListQuery) => listPage(k('sandbox_mails').select('id', 'queue_id', 'account_id', 'recipient', 'subject', 'created_at'),
      { sortable: ['id', 'created_at', 'recipient'], defaultSort: 'id', defaultDir: 'desc', searchable: ['recipient', 'subject'] }, q,
      (r): SandboxRow => ({
        ...columns<SandboxRow>(r), id: Number(r.id), queue_id: Number(r.queue_id), account_id: numOrNull(r.account_id), created_at: Number(r.created_at),
      })),
    async get(id: number): Promise<{ id: number; recipient: string; subject: string | null; raw: Buffer } | undefined> {
      const r = await k('sandbox_mails').where({ id }).first();
      return r && { id: Number(r.id), recipient: r.recipient, subject: r.subject, raw: Buffer.isBuffer(r.raw) ? r.raw : Buffer.from(r.raw) };
    },
  };
}
