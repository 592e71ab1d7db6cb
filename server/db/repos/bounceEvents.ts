/*
 * Writes: bounce_events. Reads: bounce_events, outbound_queue.
 * Bounce events (SMTP-time, DSN, ARF) merged per (queue row, recipient, source); reports
 * kept without a queue row (unmatched, for an admin); the queue row a signed token names.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns, numOrNull } from '../row.js';

export interface BounceEventInput {
  queue_id: number | null; recipient: string; source: 'smtp' | 'dsn' | 'arf'; status: string | null; action: string | null;
  class: string | null; reason: string | null; side: string | null; reply_code: number | null; diagnostic: string | null;
  inbound_id: number | null; account_id: number | null; at: number;
}

export interface QueueRef { id: number; recipient: string; account_id: number | null }
export interface UnmatchedEvent {
  id: number; recipient: string; source: 'dsn' | 'arf'; status: string | null; class: string | null; reason: string | null; side: string | null;
  diagnostic: string | null; inbound_id: number | null; at: number;
}

export function bounceEventsRepo(db: Db) {
  const k = db.knex;
  return {
    /**
     * Inserts or, for the same (queue row, recipient, source), updates in place: a DSN that
     * arrives twice (retransmission, forwarding) stays one event. Returns the event id and
     * whether it was new.
     */
    async upsert(e: BounceEventInput): Promise<{ id: number; created: boolean }> {
      const find = () => k('bounce_events').select('id').where({ queue_id: e.queue_id, recipient: e.recipient, source: e.source }).first();
      const update = async (id: number) => { await k('bounce_events').where({ id }).update(e); return { id, created: false }; };
      if (e.queue_id !== null) {
        const existing = await find();
        if (existing) return update(Number(existing.id));
      }
      try {
        const [id] = await k('bounce_events').insert(e);
        return { id: Number(id), created: true };
      } catch (err) {
        // Another node recorded the same event a moment ago (unique key): it counts once.
        const existing = e.queue_id !== null ? await find() : undefined;
        if (!existing) throw err;
        return update(Number(existing.id));
      }
    },
    async forQueue(queueId: number) { return k('bounce_events').where({ queue_id: queueId }).orderBy('at'); },
    async forRecipient(recipient: string, limit = 50) { return k('bounce_events').where({ recipient }).orderBy('at', 'desc').limit(limit); },
    /** The outbound queue row a signed token (VERP, opt-out) names. */
    async queueById(id: number): Promise<QueueRef | undefined> {
      const r = await k('outbound_queue').select('id', 'recipient', 'account_id').where({ id }).first();
      return r && { id: Number(r.id), recipient: String(r.recipient), account_id: r.account_id === null ? null : Number(r.account_id) };
    },
    /**
     * Reports kept without evidence of our mail (no queue row): what they said, for an admin
     * to judge. Newest first; `source` narrows to dsn or arf.
     */
    async unmatched(q: ListQuery & { filters?: { source?: string } }): Promise<Page<UnmatchedEvent>> {
      return listPage(k('bounce_events').select('id', 'recipient', 'source', 'status', 'class', 'reason', 'side', 'diagnostic', 'inbound_id', 'at')
        .whereNull('queue_id').whereIn('source', ['dsn', 'arf']), {
        sortable: ['at', 'recipient', 'source', 'reason'], defaultSort: 'at', defaultDir: 'desc', searchable: ['recipient'], filterable: ['source'],
      }, q, (r): UnmatchedEvent => ({ ...columns<UnmatchedEvent>(r), id: Number(r.id), at: Number(r.at), inbound_id: numOrNull(r.inbound_id) }));
    },
  };
}
