/*
 * The outbound owner (db/repos/outbound/: queue.ts, results.ts, admin.ts) is the only writer of outbound_messages,
 * outbound_attachments, outbound_queue, outbound_attempts and sandbox_mails; this file is its delivery-results part.
 * Writes: outbound_queue, outbound_attempts, sandbox_mails (account_usage through accounts.ts#addUsage). Reads: outbound_messages, outbound_queue, outbound_attachments.
 * The delivery worker's writes for a group of finished rows, in one transaction: each row's
 * new state (fenced on its lease, as db/queue.ts#complete), its attempt, sandbox copies,
 * the account's usage counters. Plus account health, and the batched reads a pass needs (the
 * messages of claimed rows, their To/Cc lists and attachments). On MySQL a group's row updates
 * are a few statements (lock and read the leases, then one UPDATE … JOIN per shape of patch)
 * instead of one round trip per row.
 */
import type { Db } from '../../connect.js';
import { powerOfTwoGroups, transact, valuesList, onConflictUpdate, type Exec } from '../../exec.js';
import type { OutboundMessageRow, AttachmentRow } from './queue.js';
import { addUsage } from '../accounts.js';

/** A message's To/Cc list and attachments, fetched for a whole batch. */
export interface MessageParts { recipients: Array<{ recipient: string; rcpt_kind: string }>; attachments: AttachmentRow[] }

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

const PATCHABLE = new Set(['state', 'attempts', 'first_attempt_at', 'sent_at', 'run_at', 'upstream_response', 'upstream_queue_id', 'last_error', 'suppressed_reason']);
const ATTEMPT_COLS = ['queue_id', 'at', 'result', 'code', 'response', 'duration_ms'];

const patchCols = (r: RowResult) => Object.keys(r.patch).filter((c) => PATCHABLE.has(c));

/** Row by row: each UPDATE fenced on its lease (SQLite runs them in-process, as prepared statements). */
async function updateRows(x: Exec, results: RowResult[], now: number): Promise<Set<number>> {
  const applied = new Set<number>();
  for (const r of results) {
    const cols = patchCols(r);
    const mid = r.messageId ? ', smtp_message_id = COALESCE(smtp_message_id, ?)' : '';
    const res = await x.run(`UPDATE outbound_queue SET ${cols.map((c) => `${c} = ?`).join(', ')}${mid}, locked_by = NULL, locked_until = NULL, updated_at = ?`
      + ` WHERE id = ? AND locked_by = ? AND state = 'sending'`, [...cols.map((c) => r.patch[c]), ...(r.messageId ? [r.messageId] : []), now, r.id, r.token]);
    if (res.changes === 1) applied.add(r.id);
  }
  return applied;
}

/**
 * MySQL: the same fence for a whole group in few round trips. The rows are locked and their
 * leases read (FOR UPDATE, so no claim or sweep changes them before the update), then the rows
 * whose lease still holds are updated from a derived table, one statement per shape of patch.
 * Ids go as BIGINT parameters so the join and the IN list use the primary key.
 */
async function updateRowsMysql(x: Exec, results: RowResult[], now: number): Promise<Set<number>> {
  const applied = new Set<number>();
  const held = new Map<number, string>();
  for (const g of powerOfTwoGroups(results)) {
    const rows = await x.all<{ id: number | string; locked_by: string | null }>(
      `SELECT id, locked_by FROM outbound_queue WHERE id IN (${g.map(() => '?').join(', ')}) AND state = 'sending' FOR UPDATE`, g.map((r) => BigInt(r.id)));
    for (const r of rows) if (r.locked_by !== null) held.set(Number(r.id), r.locked_by);
  }
  const shapes = new Map<string, RowResult[]>();
  for (const r of results) {
    // A row's first result takes the lease; a second one for the same row finds it gone, as row by row.
    if (held.get(r.id) !== r.token || applied.has(r.id)) continue;
    applied.add(r.id);
    const key = `${patchCols(r).join(',')}${r.messageId ? '+mid' : ''}`;
    shapes.set(key, [...(shapes.get(key) ?? []), r]);
  }
  for (const rows of shapes.values()) {
    const cols = patchCols(rows[0]!);
    const mid = Boolean(rows[0]!.messageId);
    const fields = ['id', ...cols, ...(mid ? ['smtp_message_id'] : [])];
    for (const g of powerOfTwoGroups(rows)) {
      const derived = g.map((_, i) => `SELECT ${fields.map((f) => (i === 0 ? `? AS ${f}` : '?')).join(', ')}`).join(' UNION ALL ');
      await x.run(`UPDATE outbound_queue q JOIN (${derived}) v ON q.id = v.id SET ${cols.map((c) => `q.${c} = v.${c}`).join(', ')}`
        + `${mid ? ', q.smtp_message_id = COALESCE(q.smtp_message_id, v.smtp_message_id)' : ''}, q.locked_by = NULL, q.locked_until = NULL, q.updated_at = ?`
        + ` WHERE q.id IN (${g.map(() => '?').join(', ')})`,
      [...g.flatMap((r) => [BigInt(r.id), ...cols.map((c) => r.patch[c]), ...(mid ? [r.messageId] : [])]), now, ...g.map((r) => BigInt(r.id))]);
    }
  }
  return applied;
}

export function deliveryResultsRepo(db: Db) {
  const k = db.knex;
  return {
    /** Message rows by id, for a claimed batch (one query). */
    async messages(ids: number[]): Promise<Map<number, OutboundMessageRow>> {
      const rows: OutboundMessageRow[] = ids.length ? await k('outbound_messages').whereIn('id', [...new Set(ids)]) : [];
      return new Map(rows.map((r) => [Number(r.id), r]));
    },
    /**
     * To/Cc lists and attachments of these messages, for composing them (two queries). Bulk
     * messages name one recipient per copy: their recipients are not read (a mass email's
     * message has every recipient: reading them per batch cost 78 ms a batch at 60,000 and grew
     * with the audience, bench/campaign-send.sh).
     */
    async parts(ids: number[], bulk: ReadonlySet<number> = new Set()): Promise<Map<number, MessageParts>> {
      const unique = [...new Set(ids)];
      const out = new Map<number, MessageParts>(unique.map((id) => [id, { recipients: [], attachments: [] }]));
      if (!unique.length) return out;
      const listed = unique.filter((id) => !bulk.has(id));
      const [rcpts, files] = await Promise.all([
        listed.length ? k('outbound_queue').whereIn('message_id', listed).orderBy('id').select('message_id', 'recipient', 'rcpt_kind') : [],
        k('outbound_attachments').whereIn('message_id', unique).orderBy('id'),
      ]);
      for (const r of rcpts) out.get(Number(r.message_id))?.recipients.push({ recipient: r.recipient, rcpt_kind: r.rcpt_kind });
      for (const f of files) out.get(Number(f.message_id))?.attachments.push(f);
      return out;
    },
    /** Writes a group of results; returns the ids whose lease still held (the others were re-claimed). */
    async write(results: RowResult[], now: number): Promise<Set<number>> {
      return transact(db, async (x) => {
        const applied = x.dialect === 'mysql' ? await updateRowsMysql(x, results, now) : await updateRows(x, results, now);
        // Power-of-two groups on MySQL keep the prepared shapes few; SQLite takes the group whole.
        for (const g of x.dialect === 'mysql' ? powerOfTwoGroups(results) : [results]) {
          if (!g.length) continue;
          await x.run(`INSERT INTO outbound_attempts (${ATTEMPT_COLS.join(', ')}) VALUES ${valuesList(g.length, ATTEMPT_COLS.length)}`,
            g.flatMap((r) => [r.id, r.attempt.at, r.attempt.result, r.attempt.code, r.attempt.response, r.attempt.duration_ms]));
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
          await addUsage(x, accountId, `h:${Math.floor(now / 3_600_000)}`, n);
          await addUsage(x, accountId, `d:${Math.floor(now / 86_400_000)}`, n);
        }
        return applied;
      });
    },
  };
}
