/*
 * The pipeline's reads and writes for a claimed batch: what each message needs (finished
 * steps, raw bytes, recipients) in three queries per group, and every message's results
 * (parsed fields, step results, final state, fenced on its lease) in one transaction.
 */
import type { Db } from '../connect.js';
import { transact, valuesList, onConflictUpdate } from '../exec.js';
import type { StoredRecipient } from './inboundStore.js';

export interface StepRecord { step: string; status: 'ok' | 'skipped' | 'failed'; result: unknown; at: number }
/** Columns of inbound_messages a pipeline run may set. */
export type InboundFields = Partial<Record<'message_id' | 'subject' | 'from_addr' | 'kind' | 'spf' | 'dkim' | 'dmarc' | 'arc' | 'auth_results' | 'parse_error', string | null>>;
export interface BatchResult {
  id: number; token: string; records: StepRecord[]; fields: InboundFields;
  final: { state: string; attempts?: number; last_error?: string | null; run_at?: number; processed_at?: number };
}

const FIELD_COLS = new Set(['message_id', 'subject', 'from_addr', 'kind', 'spf', 'dkim', 'dmarc', 'arc', 'auth_results', 'parse_error']);
const FINAL_COLS = new Set(['state', 'attempts', 'last_error', 'run_at', 'processed_at']);
const STEP_COLS = ['message_id', 'step', 'status', 'result', 'at'];

export function inboundBatchRepo(db: Db) {
  const k = db.knex;
  return {
    /** Finished steps, raw bytes and recipients of these messages, by id. */
    async load(ids: number[]) {
      const [steps, chunks, rcpts] = await Promise.all([
        k('inbound_steps').whereIn('message_id', ids).select('message_id', 'step', 'status'),
        k('inbound_raw').whereIn('message_id', ids).orderBy(['message_id', 'seq']).select('message_id', 'chunk'),
        k('inbound_recipients').whereIn('message_id', ids).orderBy('id').select('message_id', 'address', 'kind', 'mailbox_id', 'target_id'),
      ]);
      const done = new Map<number, Map<string, string>>();
      for (const s of steps) { const id = Number(s.message_id); if (!done.has(id)) done.set(id, new Map()); done.get(id)!.set(s.step, s.status); }
      const parts = new Map<number, Buffer[]>();
      for (const c of chunks) { const id = Number(c.message_id); if (!parts.has(id)) parts.set(id, []); parts.get(id)!.push(Buffer.isBuffer(c.chunk) ? c.chunk : Buffer.from(c.chunk)); }
      const recipients = new Map<number, StoredRecipient[]>();
      for (const r of rcpts) {
        const id = Number(r.message_id);
        if (!recipients.has(id)) recipients.set(id, []);
        recipients.get(id)!.push({ address: r.address, kind: r.kind, mailbox_id: r.mailbox_id === null ? null : Number(r.mailbox_id), target_id: r.target_id === null ? null : Number(r.target_id) });
      }
      return ids.map((id) => ({
        id, done: done.get(id) ?? new Map<string, string>(),
        raw: parts.has(id) ? Buffer.concat(parts.get(id)!) : Buffer.alloc(0), recipients: recipients.get(id) ?? [],
      }));
    },

    /** Writes every result of a group in one transaction; a message whose lease was lost keeps its state. */
    async finish(results: BatchResult[], now: number): Promise<void> {
      await transact(db, async (x) => {
        const records = results.flatMap((r) => r.records.map((s) => [r.id, s.step, s.status, s.result === undefined ? null : JSON.stringify(s.result), s.at]));
        if (records.length) {
          await x.run(`INSERT INTO inbound_steps (${STEP_COLS.join(', ')}) VALUES ${valuesList(records.length, STEP_COLS.length)}`
            + onConflictUpdate(x.dialect, ['message_id', 'step'], ['status', 'result', 'at']), records.flat());
        }
        for (const r of results) {
          const set = { ...pick(r.fields, FIELD_COLS), ...pick(r.final, FINAL_COLS) };
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
