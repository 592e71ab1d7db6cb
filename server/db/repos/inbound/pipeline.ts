/*
 * The inbound owner (db/repos/inbound/: store.ts, pipeline.ts, views.ts) is the only writer of inbound_messages,
 * inbound_raw and inbound_recipients; this file is its pipeline part.
 * Writes: inbound_messages. Reads: inbound_raw, inbound_recipients.
 * The pipeline's reads and writes for a claimed batch: what each message needs (raw bytes,
 * recipients) in two queries per group, and every message's results (parsed fields, its
 * step results as one JSON column, final state, fenced on its lease) in one transaction.
 */
import type { Db } from '../../connect.js';
import { transact } from '../../exec.js';
import type { StoredRecipient } from './store.js';

export interface StepRecord { step: string; status: 'ok' | 'skipped' | 'failed'; result: unknown; at: number }
/** Columns of inbound_messages a pipeline run may set. */
export type InboundFields = Partial<Record<'message_id' | 'subject' | 'from_addr' | 'kind' | 'spf' | 'dkim' | 'dmarc' | 'arc' | 'auth_results' | 'parse_error', string | null>>;
export interface BatchResult {
  /** `records`: every step result of the message, earlier runs' included (the column is rewritten whole). */
  id: number; token: string; records: StepRecord[]; fields: InboundFields;
  final: { state: string; attempts?: number; last_error?: string | null; run_at?: number; processed_at?: number };
}

const FIELD_COLS = new Set(['message_id', 'subject', 'from_addr', 'kind', 'spf', 'dkim', 'dmarc', 'arc', 'auth_results', 'parse_error']);
const FINAL_COLS = new Set(['state', 'attempts', 'last_error', 'run_at', 'processed_at']);

/** The step results stored on a message row (the `steps` column), oldest first. */
export function stepsOf(column: unknown): StepRecord[] {
  if (typeof column !== 'string' || !column) return [];
  try { const v = JSON.parse(column); return Array.isArray(v) ? v : []; } catch { return []; }
}

export function inboundBatchRepo(db: Db) {
  const k = db.knex;
  return {
    /** Raw bytes and recipients of these messages, in the order of `ids`. */
    async load(ids: number[]) {
      const [chunks, rcpts] = await Promise.all([
        k('inbound_raw').whereIn('message_id', ids).orderBy(['message_id', 'seq']).select('message_id', 'chunk'),
        k('inbound_recipients').whereIn('message_id', ids).orderBy('id').select('message_id', 'address', 'kind', 'mailbox_id', 'target_id'),
      ]);
      const parts = new Map<number, Buffer[]>();
      for (const c of chunks) {
        const id = Number(c.message_id);
        if (!parts.has(id)) parts.set(id, []);
        parts.get(id)!.push(Buffer.isBuffer(c.chunk) ? c.chunk : Buffer.from(c.chunk));
      }
      const recipients = new Map<number, StoredRecipient[]>();
      for (const r of rcpts) {
        const id = Number(r.message_id);
        if (!recipients.has(id)) recipients.set(id, []);
        recipients.get(id)!.push({
          address: r.address, kind: r.kind, mailbox_id: r.mailbox_id === null ? null : Number(r.mailbox_id), target_id: r.target_id === null ? null : Number(r.target_id),
        });
      }
      return ids.map((id) => ({
        id,
        raw: parts.has(id) ? Buffer.concat(parts.get(id)!) : Buffer.alloc(0), recipients: recipients.get(id) ?? [],
      }));
    },

    /** Writes every result of a group in one transaction; a message whose lease was lost keeps its state. */
    async finish(results: BatchResult[], now: number): Promise<void> {
      await transact(db, async (x) => {
        for (const r of results) {
          const set: Record<string, unknown> = { ...pick(r.fields, FIELD_COLS), ...pick(r.final, FINAL_COLS), steps: JSON.stringify(r.records) };
          const cols = Object.keys(set);
          await x.run(`UPDATE inbound_messages SET ${cols.map((c) => `${c} = ?`).join(', ')}, locked_by = NULL, locked_until = NULL, updated_at = ?`
            + ` WHERE id = ? AND locked_by = ? AND state = 'processing'`, [...cols.map((c) => set[c]), now, r.id, r.token]);
        }
      });
    },
  };
}

/** Only known column names ever reach the SQL text. */
function pick(o: Record<string, unknown>, allowed: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(o)) if (allowed.has(key) && v !== undefined) out[key] = v;
  return out;
}
