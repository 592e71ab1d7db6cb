/*
 * The delivery worker's writes for a group of finished rows, in one transaction: each row's
 * new state (fenced on its lease, as db/queue.ts#complete), its attempt, sandbox copies,
 * the account's usage counters. Plus account health, and the batched reads a pass needs (the
 * messages of claimed rows, their To/Cc lists and attachments).
 */
import type { Db } from '../connect.js';
import { transact, valuesList, onConflictUpdate, type Exec } from '../exec.js';

export interface RowResult {
  id: number; token: string; accountId: number; recipient: string;
  /** Columns of outbound_queue to set (the lease columns are cleared by the write). */
  patch: Record<string, string | number | null>;
  /** `sending` rows are completed; a paused account's rows go back to `queued` the same way. */
  attempt: { at: number; result: string; code: number | null; response: string | null; duration_ms: number };
  messageId?: string;
  sandbox?: { subject: string | null; raw: Buffer };
  sent?: boolean;
}
export interface AccountTouch { id: number; lastSuccessAt?: number; lastError?: { text: string; at: number }; slowUntil?: number }

const PATCHABLE = new Set(['state', 'attempts', 'first_attempt_at', 'sent_at', 'run_at', 'upstream_response', 'upstream_queue_id', 'last_error', 'suppressed_reason']);
const ATTEMPT_COLS = ['queue_id', 'at', 'result', 'code', 'response', 'duration_ms'];

async function usage(x: Exec, accountId: number, bucket: string, n: number) {
  const tail = x.dialect === 'mysql' ? ' ON DUPLICATE KEY UPDATE sent = sent + VALUES(sent)' : ' ON CONFLICT (account_id, bucket) DO UPDATE SET sent = sent + excluded.sent';
  await x.run(`INSERT INTO account_usage (account_id, bucket, sent) VALUES (?, ?, ?)${tail}`, [accountId, bucket, n]);
}

export function deliveryResultsRepo(db: Db) {
  const k = db.knex;
  return {
    /** Message rows by id, for a claimed batch (one query). */
    async messages(ids: number[]): Promise<Map<number, Record<string, any> & { id: number; from_addr: string; subject: string | null }>> {
      const rows = ids.length ? await k('outbound_messages').whereIn('id', [...new Set(ids)]) : [];
      return new Map(rows.map((r: any) => [Number(r.id), r]));
    },
    /** To/Cc lists and attachments of these messages, for composing them (two queries). */
    async parts(ids: number[]): Promise<Map<number, { recipients: Array<{ recipient: string; rcpt_kind: string }>; attachments: Array<Record<string, any>> }>> {
      const unique = [...new Set(ids)];
      const out = new Map(unique.map((id) => [id, { recipients: [] as Array<{ recipient: string; rcpt_kind: string }>, attachments: [] as Array<Record<string, any>> }]));
      if (!unique.length) return out;
      const [rcpts, files] = await Promise.all([
        k('outbound_queue').whereIn('message_id', unique).orderBy('id').select('message_id', 'recipient', 'rcpt_kind'),
        k('outbound_attachments').whereIn('message_id', unique).orderBy('id'),
      ]);
      for (const r of rcpts) out.get(Number(r.message_id))?.recipients.push({ recipient: r.recipient, rcpt_kind: r.rcpt_kind });
      for (const f of files) out.get(Number(f.message_id))?.attachments.push(f);
      return out;
    },
    /** Account health after a batch: last success, last error, slowed down until (never `updated_at`: that is for edits). */
    async touchAccount(t: AccountTouch): Promise<void> {
      const set: Record<string, number | string> = {};
      if (t.lastSuccessAt !== undefined) set.last_success_at = t.lastSuccessAt;
      if (t.lastError) { set.last_error = t.lastError.text.slice(0, 1000); set.last_error_at = t.lastError.at; }
      if (t.slowUntil !== undefined) set.slow_until = t.slowUntil;
      if (Object.keys(set).length) await k('upstream_accounts').where({ id: t.id }).update(set);
    },
    /** Writes a group of results; returns the ids whose lease still held (the others were re-claimed). */
    async write(results: RowResult[], now: number): Promise<Set<number>> {
      return transact(db, async (x) => {
        const applied = new Set<number>();
        for (const r of results) {
          const cols = Object.keys(r.patch).filter((c) => PATCHABLE.has(c));
          const mid = r.messageId ? ', smtp_message_id = COALESCE(smtp_message_id, ?)' : '';
          const res = await x.run(`UPDATE outbound_queue SET ${cols.map((c) => `${c} = ?`).join(', ')}${mid}, locked_by = NULL, locked_until = NULL, updated_at = ?`
            + ` WHERE id = ? AND locked_by = ? AND state = 'sending'`, [...cols.map((c) => r.patch[c]), ...(r.messageId ? [r.messageId] : []), now, r.id, r.token]);
          if (res.changes === 1) applied.add(r.id);
        }
        if (results.length) {
          await x.run(`INSERT INTO outbound_attempts (${ATTEMPT_COLS.join(', ')}) VALUES ${valuesList(results.length, ATTEMPT_COLS.length)}`,
            results.flatMap((r) => [r.id, r.attempt.at, r.attempt.result, r.attempt.code, r.attempt.response, r.attempt.duration_ms]));
        }
        for (const r of results) {
          if (!r.sandbox || !applied.has(r.id)) continue;
          await x.run(`INSERT INTO sandbox_mails (queue_id, account_id, recipient, subject, raw, created_at) VALUES (?, ?, ?, ?, ?, ?)${onConflictUpdate(x.dialect, ['queue_id'], ['raw', 'created_at'])}`,
            [r.id, r.accountId, r.recipient, r.sandbox.subject, r.sandbox.raw, now]);
        }
        // Usage counts every message the upstream accepted, even one whose lease had lapsed.
        const sent = new Map<number, number>();
        for (const r of results) if (r.sent) sent.set(r.accountId, (sent.get(r.accountId) ?? 0) + 1);
        for (const [accountId, n] of sent) {
          await usage(x, accountId, `h:${Math.floor(now / 3_600_000)}`, n);
          await usage(x, accountId, `d:${Math.floor(now / 86_400_000)}`, n);
        }
        return applied;
      });
    },
  };
}
