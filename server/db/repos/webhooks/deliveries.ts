/*
 * Writes: webhook_deliveries, webhook_attempts. Reads: webhook_deliveries, webhook_attempts.
 * Webhook deliveries as a table-backed queue (claimed, fenced and swept by db/queue.ts) and
 * the history of their attempts; the purge of old history.
 */
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { claim, complete, type LeasedRow, type QueueSpec } from '../../queue.js';
import { withTxRetry } from '../../retry.js';
import { columns, numOrNull, strOrNull, type DbRow } from '../../row.js';

/** The webhook queue as db/queue.ts claims, sweeps and gauges it. */
export const WEBHOOK_QUEUE: QueueSpec = { table: 'webhook_deliveries', readyStates: ['pending', 'retry'], claimedState: 'sending', returnState: 'pending' };

export interface DeliveryRow {
  id: number; endpoint_id: number; event_id: string; event: string; data: string; occurred_at: number; unique_key: string | null; resend_of: number | null;
  state: string; run_at: number; attempts: number; locked_by: string | null; last_error: string | null; first_attempt_at: number | null;
  last_status: number | null; finished_at: number | null; created_at: number; updated_at: number;
}
export interface AttemptRow {
  id: number; delivery_id: number; attempt: number; at: number; request_body: string; response_status: number | null; response_body: string | null;
  duration_ms: number; error: string | null;
}
export interface NewDelivery {
  endpoint_id: number; event_id: string; event: string; data: string; occurred_at: number; unique_key: string | null; resend_of?: number | null;
}
export interface NewAttempt {
  attempt: number; at: number; request_body: string; response_status: number | null; response_body: string | null; duration_ms: number; error: string | null;
}

const toDelivery = (r: DbRow): DeliveryRow => ({
  ...columns<DeliveryRow>(r), id: Number(r.id), endpoint_id: Number(r.endpoint_id), occurred_at: Number(r.occurred_at), resend_of: numOrNull(r.resend_of),
  run_at: Number(r.run_at), attempts: Number(r.attempts), first_attempt_at: numOrNull(r.first_attempt_at), last_status: numOrNull(r.last_status),
  finished_at: numOrNull(r.finished_at), created_at: Number(r.created_at), updated_at: Number(r.updated_at), data: String(r.data), last_error: strOrNull(r.last_error),
});
const toAttempt = (r: DbRow): AttemptRow => ({
  ...columns<AttemptRow>(r), id: Number(r.id), delivery_id: Number(r.delivery_id), attempt: Number(r.attempt), at: Number(r.at), request_body: String(r.request_body),
  response_status: numOrNull(r.response_status), response_body: strOrNull(r.response_body), duration_ms: Number(r.duration_ms), error: strOrNull(r.error),
});

export function webhookDeliveriesRepo(db: Db) {
  const k = db.knex;
  return {
    /** Queues deliveries; one whose unique key exists is skipped. Returns how many were new. */
    async enqueue(rows: NewDelivery[], now: number): Promise<number> {
      let n = 0;
      for (const r of rows) {
        const row = { ...r, resend_of: r.resend_of ?? null, state: 'pending', run_at: now, created_at: now, updated_at: now };
        if (r.unique_key === null) { await k('webhook_deliveries').insert(row); n++; continue; }
        const before = await k('webhook_deliveries').where({ unique_key: r.unique_key }).first('id');
        if (before) continue;
        await k('webhook_deliveries').insert(row).onConflict('unique_key').ignore();
        n++;
      }
      return n;
    },
    /**
     * Queues many deliveries in a few statements (one read of the keys that exist, multi-row
     * INSERTs that skip a key inserted meanwhile): the delivery worker's groups. Returns how many were new.
     */
    async enqueueMany(rows: NewDelivery[], now: number): Promise<number> {
      if (!rows.length) return 0;
      const keys = [...new Set(rows.map((r) => r.unique_key).filter((x): x is string => x !== null))];
      const seen = new Set<string>();
      for (let i = 0; i < keys.length; i += 500) {
        for (const x of await k('webhook_deliveries').whereIn('unique_key', keys.slice(i, i + 500)).pluck('unique_key')) seen.add(String(x));
      }
      const fresh = rows.filter((r) => r.unique_key === null || (!seen.has(r.unique_key) && (seen.add(r.unique_key), true)))
        .map((r) => ({ ...r, resend_of: r.resend_of ?? null, state: 'pending', run_at: now, created_at: now, updated_at: now }));
      for (let i = 0; i < fresh.length; i += 200) await k('webhook_deliveries').insert(fresh.slice(i, i + 200)).onConflict('unique_key').ignore();
      return fresh.length;
    },
    /** One delivery without a unique key (a test or a re-send); returns its id. */
    async insertOne(r: NewDelivery, now: number): Promise<number> {
      const [id] = await k('webhook_deliveries').insert({ ...r, resend_of: r.resend_of ?? null, state: 'pending', run_at: now, created_at: now, updated_at: now });
      return Number(id);
    },
    /** Claims due rows under a lease (db/queue.ts#claim); `id` narrows to one row. */
    async claim(o: { workerId: string; leaseMs: number; limit: number; now: number; id?: number }): Promise<Array<DeliveryRow & LeasedRow>> {
      const rows = await claim(db, WEBHOOK_QUEUE, { ...o, filter: o.id === undefined ? undefined : (q) => q.where('id', o.id) });
      return rows.map((r) => ({ ...toDelivery(r), locked_by: String(r.locked_by) }));
    },
    /**
     * Records one attempt and, fenced by the lease token, the row's new state. The attempt is
     * history (the request went out) and is kept even when the lease was lost meanwhile.
     */
    async finish(id: number, token: string, attempt: NewAttempt, patch: Record<string, unknown>, now: number): Promise<boolean> {
      // Retried whole when InnoDB picks it as a deadlock victim (two nodes claiming and finishing
      // side by side): unretried, the row stayed `sending` though its request had gone out.
      return withTxRetry(() => k.transaction(async (trx) => {
        await trx('webhook_attempts').insert({ ...attempt, delivery_id: id });
        return complete(db, WEBHOOK_QUEUE, id, token, patch, now, trx);
      }));
    },
    async get(id: number): Promise<DeliveryRow | undefined> { const r = await k('webhook_deliveries').where({ id }).first(); return r ? toDelivery(r) : undefined; },
    list: (q: ListQuery): Promise<Page<DeliveryRow>> => listPage(k('webhook_deliveries').select('*'),
      { sortable: ['id', 'created_at', 'run_at'], defaultSort: 'id', defaultDir: 'desc', searchable: ['event'], filterable: ['endpoint_id', 'state', 'event'] }, q, toDelivery),
    async attempts(deliveryId: number): Promise<AttemptRow[]> { return (await k('webhook_attempts').where({ delivery_id: deliveryId }).orderBy('id')).map(toAttempt); },
    /** Forgets attempts older than `before`, and finished deliveries (with their attempts) finished before it. */
    async purge(before: number): Promise<{ attempts: number; deliveries: number }> {
      const attempts = await k('webhook_attempts').where('at', '<', before).delete();
      const deliveries = await k('webhook_deliveries').whereIn('state', ['delivered', 'failed']).where('finished_at', '<', before).delete();
      return { attempts, deliveries };
    },
    async countByEndpoint(endpointId: number, state: string): Promise<number> {
      const [{ n }] = (await k('webhook_deliveries').where({ endpoint_id: endpointId, state }).count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
  };
}
export type WebhookDeliveriesRepo = ReturnType<typeof webhookDeliveriesRepo>;
