/*
 * Reads: the queue tables the features declare (outbound_queue, inbound_messages, webhook_deliveries, …).
 * Queue depth by state and the oldest row waiting for a worker, for the status page and
 * /metrics. Both read the (state, run_at) index every queue table has (migrations/helpers.ts).
 */
import type { Db } from '../../connect.js';
import type { QueueSpec } from '../../queue.js';
import { countByState } from '../../queue.js';

export interface QueueDepth { byState: Record<string, number>; waiting: number; oldestDueAt: number | null }

export function queueDepthRepo(db: Db) {
  return {
    /** Rows per state; `waiting` = rows in a ready state; `oldestDueAt` = the earliest run_at among those due now. */
    async depth(spec: QueueSpec, now: number): Promise<QueueDepth> {
      const [byState, oldestDueAt] = await Promise.all([countByState(db, spec.table), this.oldestDue(spec, now)]);
      const waiting = spec.readyStates.reduce((a, s) => a + (byState[s] ?? 0), 0);
      return { byState, waiting, oldestDueAt };
    },
    /** One index probe per ready state (the dashboard's alert reads only this, never the counts). */
    async oldestDue(spec: QueueSpec, now: number): Promise<number | null> {
      const r = (await db.knex(spec.table).whereIn('state', spec.readyStates).where('run_at', '<=', now).min({ m: 'run_at' }).first()) as { m: number | string | null } | undefined;
      return r?.m == null ? null : Number(r.m);
    },
  };
}
