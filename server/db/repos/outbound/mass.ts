/*
 * Part of the outbound owner (queue.ts header): the rows of campaign mass emails.
 * Writes: outbound_messages, outbound_queue, mass_email_releases. Reads: target_list_members, records,
 * record_emails, email_addresses, users, mass_email_skips, mass_email_releases.
 * A mass email's one message row, its recipients queued set-based per member batch (held until
 * released), portions released under the sliding hourly window, and the operator's pause,
 * resume, cancel and retry of its rows.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';
import { withTxRetry } from '../../retry.js';
import { BATCH_WHERE, batchParams, changedRows, insertIgnore, massKeySql, memberSource, type MemberBatch } from '../campaigns/sql.js';

export const WINDOW_MS = 3_600_000;

export function massQueueRepo(db: Db) {
  const k = db.knex;
  const ins = insertIgnore(db);
  return {
    /** The mass email's message row (its template as it was at the start). */
    async createMessage(m: Record<string, unknown>, now: number): Promise<number> {
      const [id] = await k('outbound_messages').insert({ ...m, created_at: now, updated_at: now });
      return Number(id);
    },
    /**
     * Queues (held) every member of the batch not skipped, through its primary address; the
     * unique key (mass email, address id) makes an address one row however many records hold
     * it, and a re-run after a crash adds nothing.
     */
    async queueBatch(me: { id: number; messageId: number; accountId: number; messageTypeId: number | null }, b: MemberBatch, now: number): Promise<number> {
      const src = memberSource(b.type);
      const sql = `${ins} INTO outbound_queue (state, run_at, attempts, message_id, account_id, message_type_id, source, recipient, rcpt_kind, unique_key,
          mass_email_id, record_type, record_id, created_at, updated_at)
        SELECT 'held', ?, 0, ?, ?, ?, 'campaign', ea.address, 'to', ${massKeySql(db, '?', 'ea.id')}, ?, m.member_type, m.member_id, ?, ?
        FROM ${src.from}
        WHERE ${BATCH_WHERE} AND ea.id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM mass_email_skips k WHERE k.mass_email_id = ? AND k.member_type = m.member_type AND k.member_id = m.member_id)
        ORDER BY m.member_id`;
      // InnoDB may pick this insert as a deadlock victim against the delivery worker's claims.
      return withTxRetry(async () => changedRows(await k.raw(sql, [
        now, me.messageId, me.accountId, me.messageTypeId, String(me.id), me.id, now, now, ...batchParams(b), me.id,
      ])), 5);
    },
    /** Messages released to the delivery queue in the 60 minutes before `now`, across every node and mass email. */
    async releasedInWindow(now: number): Promise<number> {
      const r = await k('mass_email_releases').where('at', '>', now - WINDOW_MS).sum({ n: 'count' }).first() as DbRow | undefined;
      return Number(r?.n ?? 0);
    },
    /** The next `limit` held rows of a mass email, in id order. */
    async nextHeld(massEmailId: number, limit: number): Promise<Array<{ id: number; recipient: string }>> {
      const rows = await k('outbound_queue').where({ mass_email_id: massEmailId, state: 'held' }).orderBy('id').limit(limit).select('id', 'recipient') as DbRow[];
      return rows.map((r) => ({ id: Number(r.id), recipient: String(r.recipient) }));
    },
    /**
     * Releases `ids` (held) to the queue and notes the portion for the window; `suppress` rows
     * (blocked or opted out meanwhile) are closed with their reason instead. One transaction.
     */
    async release(massEmailId: number, ids: number[], suppress: Array<{ id: number; reason: string }>, now: number): Promise<number> {
      return withTxRetry(() => k.transaction(async (trx) => {
        for (const s of suppress) {
          await trx('outbound_queue').where({ id: s.id, state: 'held' }).update({ state: 'suppressed', suppressed_reason: s.reason, updated_at: now });
        }
        let n = 0;
        for (let i = 0; i < ids.length; i += 500) {
          n += await trx('outbound_queue').whereIn('id', ids.slice(i, i + 500)).where('state', 'held').update({ state: 'queued', run_at: now, updated_at: now });
        }
        if (n) await trx('mass_email_releases').insert({ mass_email_id: massEmailId, at: now, count: n });
        return n;
      }), 5);
    },
    /** Pause: rows not yet on their way go back to held (a row being sent finishes). */
    async hold(massEmailId: number, now: number): Promise<number> {
      return k('outbound_queue').where('mass_email_id', massEmailId).whereIn('state', ['queued', 'deferred']).update({ state: 'held', updated_at: now });
    },
    async cancel(massEmailId: number, now: number): Promise<number> {
      return k('outbound_queue').where('mass_email_id', massEmailId).whereIn('state', ['held', 'queued', 'deferred'])
        .update({ state: 'canceled', last_error: 'mass email cancelled', updated_at: now });
    },
    /** "Retry failed only": failed rows are held again with fresh attempts (released in portions like the rest). */
    async retryFailed(massEmailId: number, now: number): Promise<number> {
      return k('outbound_queue').where({ mass_email_id: massEmailId, state: 'failed' })
        .update({ state: 'held', attempts: 0, first_attempt_at: null, last_error: null, updated_at: now });
    },
    /** A test send: its own message row (never counted with the mass email) and one queued row per address. */
    async queueTest(m: Record<string, unknown>, rows: Array<{ recipient: string; record_type: string | null; record_id: number | null }>, now: number): Promise<number> {
      return withTxRetry(() => k.transaction(async (trx) => {
        const [id] = await trx('outbound_messages').insert({ ...m, created_at: now, updated_at: now });
        const messageId = Number(id);
        for (const r of rows) {
          await trx('outbound_queue').insert({
            ...r, state: 'queued', run_at: now, message_id: messageId, account_id: m.account_id, message_type_id: m.message_type_id, source: m.source,
            rcpt_kind: 'to', unique_key: `test:${messageId}:${r.recipient}`.slice(0, 191), created_at: now, updated_at: now,
          });
        }
        return messageId;
      }), 5);
    },
    /** After an opt-out: no unsent row of any mass email goes to the address (a row already being sent finishes). */
    async suppressUnsent(address: string, now: number): Promise<number> {
      return k('outbound_queue').where('recipient', address).whereNotNull('mass_email_id').whereIn('state', ['held', 'queued', 'deferred'])
        .update({ state: 'suppressed', suppressed_reason: 'opted_out', updated_at: now });
    },
    async purgeReleases(before: number): Promise<number> { return k('mass_email_releases').where('at', '<', before).delete(); },
  };
}
