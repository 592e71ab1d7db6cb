/*
 * The outbound owner (db/repos/outbound/: queue.ts, results.ts, admin.ts) is the only writer of outbound_messages,
 * outbound_attachments, outbound_queue, outbound_attempts and sandbox_mails; this file is its operator part.
 * Writes: outbound_queue (retry, cancel). Reads: outbound_queue, outbound_messages, outbound_attachments, outbound_attempts, upstream_accounts, message_types.
 * Read and admin-action side of the outbound queue: filtered lists, one row with its
 * message, attachments and every attempt, and the operator actions (retry now, cancel, bulk
 * "retry failed only"). Every action is a guarded UPDATE on the row's current state, so it
 * never races the worker: a row being sent (leased) is never touched.
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { columns, strOrNull, type DbRow } from '../../row.js';

export interface QueueFilters {
  state?: string; accountId?: number; source?: string; messageTypeId?: number; messageId?: number;
  /** Exact address (case-insensitive). */ recipient?: string;
  /** Part of an address. */ search?: string;
  /** created_at window, epoch ms, inclusive start / exclusive end. */ since?: number; until?: number;
  /** Only rows whose message this user created or that were sent from one of these addresses. */ scope?: OutboundScope;
}
export interface OutboundScope { userId: number; fromAddrs: string[] }
export interface QueueRow {
  id: number; state: string; run_at: number; attempts: number; message_id: number; account_id: number | null;
  message_type_id: number | null; source: string; recipient: string; rcpt_kind: string; unique_key: string;
  smtp_message_id: string | null; sent_at: number | null; upstream_response: string | null; upstream_queue_id: string | null;
  suppressed_reason: string | null; last_error: string | null; created_at: number; updated_at: number;
  subject: string | null; from_addr: string | null; account_name: string | null; message_type_name: string | null;
}
export interface Attempt { id: number; at: number; result: string; code: number | null; response: string | null; duration_ms: number | null }

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toRow = (r: DbRow): QueueRow => ({
  ...columns<QueueRow>(r), id: Number(r.id), run_at: Number(r.run_at), attempts: Number(r.attempts), message_id: Number(r.message_id),
  account_id: num(r.account_id), message_type_id: num(r.message_type_id), sent_at: num(r.sent_at),
  created_at: Number(r.created_at), updated_at: Number(r.updated_at),
  subject: strOrNull(r.subject), from_addr: strOrNull(r.from_addr), account_name: strOrNull(r.account_name), message_type_name: strOrNull(r.message_type_name),
});

/** The filters as WHERE clauses on outbound_queue (no joins: the list adds names by sub-select). */
function applyFilters(qb: Knex.QueryBuilder, f: QueueFilters) {
  if (f.state) qb.where('outbound_queue.state', f.state);
  if (f.accountId) qb.where('outbound_queue.account_id', f.accountId);
  if (f.source) qb.where('outbound_queue.source', f.source);
  if (f.messageTypeId) qb.where('outbound_queue.message_type_id', f.messageTypeId);
  if (f.messageId) qb.where('outbound_queue.message_id', f.messageId);
  if (f.recipient) qb.where('outbound_queue.recipient', f.recipient.trim().toLowerCase());
  if (f.search) qb.whereRaw("?? LIKE ? ESCAPE '!'", ['outbound_queue.recipient', `%${f.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`]);
  if (f.since !== undefined) qb.where('outbound_queue.created_at', '>=', f.since);
  if (f.until !== undefined) qb.where('outbound_queue.created_at', '<', f.until);
  if (f.scope) {
    const { userId, fromAddrs } = f.scope;
    qb.whereIn('outbound_queue.message_id', function (this: Knex.QueryBuilder) {
      this.select('id').from('outbound_messages').where((w) => {
        w.where('created_by', userId);
        if (fromAddrs.length) w.orWhereIn(w.client.raw('LOWER(??)', ['from_addr']), fromAddrs.map((a) => a.toLowerCase()));
      });
    });
  }
  return qb;
}

export function queueViewRepo(db: Db) {
  const k = db.knex;
  const withNames = () => k('outbound_queue').select(
    'outbound_queue.*',
    k('outbound_messages').select('subject').whereRaw('outbound_messages.id = outbound_queue.message_id').as('subject'),
    k('outbound_messages').select('from_addr').whereRaw('outbound_messages.id = outbound_queue.message_id').as('from_addr'),
    k('upstream_accounts').select('name').whereRaw('upstream_accounts.id = outbound_queue.account_id').as('account_name'),
    k('message_types').select('name').whereRaw('message_types.id = outbound_queue.message_type_id').as('message_type_name'),
  );
  const ready = (now: number) => ({ state: 'queued', run_at: now, locked_by: null, locked_until: null, first_attempt_at: null, give_up_at: null, updated_at: now });

  return {
    async list(q: ListQuery, f: QueueFilters): Promise<Page<QueueRow>> {
      return listPage(applyFilters(withNames(), f), {
        sortable: ['id', 'state', 'recipient', 'source', 'attempts', 'run_at', 'sent_at', 'created_at', 'updated_at'],
        defaultSort: 'id', defaultDir: 'desc',
      }, { ...q, q: undefined, filters: {} }, toRow);
    },
    async get(id: number, scope?: OutboundScope): Promise<QueueRow | undefined> {
      const r = await applyFilters(withNames(), { scope }).where('outbound_queue.id', id).first();
      return r && toRow(r);
    },
    async attempts(queueId: number): Promise<Attempt[]> {
      const rows = await k('outbound_attempts').where({ queue_id: queueId }).orderBy([{ column: 'at' }, { column: 'id' }]);
      return (rows as DbRow[]).map((r) => ({
        id: Number(r.id), at: Number(r.at), result: String(r.result), code: num(r.code), response: strOrNull(r.response), duration_ms: num(r.duration_ms),
      }));
    },
    async message(messageId: number) {
      const m = await k('outbound_messages').where({ id: messageId }).first();
      if (!m) return undefined;
      const atts = await k('outbound_attachments').where({ message_id: messageId }).select('id', 'filename', 'content_type', k.raw('LENGTH(content) as size')).orderBy('id');
      return {
        ...m, id: Number(m.id), account_id: num(m.account_id), message_type_id: num(m.message_type_id), inbound_id: num(m.inbound_id),
        bulk: Boolean(m.bulk), send_at: num(m.send_at), created_at: Number(m.created_at),
        attachments: (atts as DbRow[]).map((a) => ({ id: Number(a.id), filename: String(a.filename), content_type: String(a.content_type), size: Number(a.size) })),
      };
    },
    async attachment(messageId: number, attId: number) {
      const a = await k('outbound_attachments').where({ message_id: messageId, id: attId }).first();
      return a ? { filename: String(a.filename), content_type: String(a.content_type), content: Buffer.from(a.content) } : undefined;
    },
    /** failed / deferred → queued, due now. Returns false when the row is in another state. */
    async retry(id: number, now: number): Promise<boolean> {
      return (await k('outbound_queue').where({ id }).whereIn('state', ['failed', 'deferred']).update(ready(now))) === 1;
    },
    /** queued / deferred → canceled (a row being sent is left alone). */
    async cancel(id: number, now: number): Promise<boolean> {
      return (await k('outbound_queue').where({ id }).whereIn('state', ['queued', 'deferred'])
        .update({ state: 'canceled', locked_by: null, locked_until: null, updated_at: now })) === 1;
    },
    /** Bulk "retry failed only": the filters narrow it, the state is always `failed`. */
    async retryFailed(f: QueueFilters, now: number): Promise<number> {
      const qb = applyFilters(k('outbound_queue'), { ...f, state: undefined }).where('outbound_queue.state', 'failed');
      return Number(await qb.update(ready(now)));
    },
    async countByState(f: QueueFilters = {}): Promise<Record<string, number>> {
      const rows = await applyFilters(k('outbound_queue'), { ...f, state: undefined }).select('state').count({ n: '*' }).groupBy('state');
      return Object.fromEntries((rows as DbRow[]).map((r) => [String(r.state), Number(r.n)]));
    },
  };
}
