/*
 * Queue primitives every table-backed queue uses (inbound pipeline, outbound delivery,
 * campaign expansion, webhooks): claim a batch under a lease, fence every completion by the
 * lease token, extend a lease, and sweep expired leases back to the ready state.
 * Tables follow migrations/helpers.ts#queueColumns (plus an `updated_at` column).
 */
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Db } from './connect.js';
import { withTxRetry } from './retry.js';

export interface QueueSpec {
  table: string;
  /** States a row can be claimed from (its run_at must also be due). */
  readyStates: string[];
  /** State a claimed row is in while its lease holds. */
  claimedState: string;
  /** State the sweeper returns an expired row to. */
  returnState: string;
}

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  limit: number;
  now: number;
  /** Narrows the claim, e.g. to one upstream account. */
  filter?: (qb: Knex.QueryBuilder) => void;
}

export interface LeasedRow { id: number; locked_by: string; [col: string]: unknown }

let seq = 0;
/** A token unique to one claim: a worker that re-claims its own row gets a new one. */
export function leaseToken(workerId: string): string {
  seq = (seq + 1) % 1e9;
  return `${workerId.slice(0, 50)}:${seq}:${randomBytes(6).toString('base64url')}`;
}

export async function claim<T extends LeasedRow = LeasedRow>(db: Db, spec: QueueSpec, o: ClaimOptions): Promise<T[]> {
  const token = leaseToken(o.workerId);
  const lease = { state: spec.claimedState, locked_by: token, locked_until: o.now + o.leaseMs, updated_at: o.now };
  const due = (qb: Knex.QueryBuilder) => {
    qb.whereIn('state', spec.readyStates).where('run_at', '<=', o.now);
    if (o.filter) o.filter(qb);
    qb.orderBy([{ column: 'run_at' }, { column: 'id' }]).limit(o.limit);
  };
  if (db.dialect === 'sqlite') {
    // One UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING: atomic in SQLite, so two
    // processes on one file never claim the same row.
    const rows = (await db.knex(spec.table)
      .whereIn('id', db.knex(spec.table).select('id').modify(due))
      .update(lease)
      .returning('*')) as T[];
    return rows.sort((a, b) => a.id - b.id);
  }
  return withTxRetry(() => db.knex.transaction(async (trx) => {
    const picked = (await trx(spec.table).select('id').modify(due).forUpdate().skipLocked()) as Array<{ id: number }>;
    if (picked.length === 0) return [];
    const ids = picked.map((r) => r.id);
    await trx(spec.table).whereIn('id', ids).update(lease);
    return (await trx(spec.table).whereIn('id', ids).orderBy('id')) as T[];
  }), 5);
}

/**
 * Finishes a claimed row: applies `patch` and drops the lease, but only while `token` still
 * holds it. Returns false for a late completion (the lease expired and someone re-claimed).
 */
export async function complete(db: Db, spec: QueueSpec, id: number, token: string, patch: Record<string, unknown>, now: number, trx?: Knex.Transaction): Promise<boolean> {
  const n = await (trx ?? db.knex)(spec.table)
    .where({ id, locked_by: token, state: spec.claimedState })
    .update({ ...patch, locked_by: null, locked_until: null, updated_at: now });
  return n === 1;
}

/** Returns a claimed row to `state` (default the return state) to run at `runAt`. */
export async function release(
  db: Db, spec: QueueSpec, id: number, token: string, o: { now: number; runAt?: number; state?: string; patch?: Record<string, unknown> },
): Promise<boolean> {
  return complete(db, spec, id, token, { ...o.patch, state: o.state ?? spec.returnState, run_at: o.runAt ?? o.now }, o.now);
}

/** Extends the lease of rows still held by `token`; returns how many it still holds. */
export async function extendLease(db: Db, spec: QueueSpec, ids: number[], token: string, leaseMs: number, now: number): Promise<number> {
  if (ids.length === 0) return 0;
  return db.knex(spec.table).whereIn('id', ids).where({ locked_by: token, state: spec.claimedState })
    .update({ locked_until: now + leaseMs, updated_at: now });
}

/** Returns rows whose lease expired (their worker died or stalled) to the return state. */
export async function sweep(db: Db, spec: QueueSpec, now: number): Promise<number> {
  // InnoDB may pick the sweep as a deadlock victim against a worker's claim: run it again.
  return withTxRetry(() => db.knex(spec.table).where('state', spec.claimedState).where('locked_until', '<', now)
    .update({ state: spec.returnState, locked_by: null, locked_until: null, updated_at: now }), 5);
}

/** Releases every lease a stopping worker still holds, so others need not wait for expiry. */
export async function releaseAllHeldBy(db: Db, spec: QueueSpec, workerId: string, now: number): Promise<number> {
  // '!' as the LIKE escape: a backslash means different things in MySQL and SQLite literals.
  const prefix = workerId.slice(0, 50).replace(/[!%_]/g, (c) => `!${c}`);
  return db.knex(spec.table).where('state', spec.claimedState).whereRaw("locked_by LIKE ? ESCAPE '!'", [`${prefix}:%`])
    .update({ state: spec.returnState, locked_by: null, locked_until: null, updated_at: now });
}

/** Counts rows per state (for /metrics and the status page). */
export async function countByState(db: Db, table: string): Promise<Record<string, number>> {
  const rows = (await db.knex(table).select('state').count({ n: '*' }).groupBy('state')) as Array<{ state: string; n: number | string }>;
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
