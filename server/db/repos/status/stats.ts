/*
 * Writes: mail_stats, mail_stats_checkpoints, mail_stats_health. Reads: those, outbound_attempts, outbound_queue,
 * inbound_messages, inbound_recipients, bounce_events, webhook_attempts.
 * The hourly mail counters: a roll-up that reads each event table forward from its checkpoint
 * (primary-key ranges, never a time scan) and adds the events to their hour in the same
 * transaction that moves the checkpoint; and the reads of the dashboard, the status page and /metrics.
 * Why a roll-up and not counters bumped where the events are written: those writers are the hot,
 * group-committed paths (delivery results, SMTP commit, pipeline steps, webhook attempts), each
 * owned and tuned elsewhere; a roll-up leaves them untouched, costs one primary-key range read a
 * minute (~80–130k rows/s measured) and counts each event exactly once. The price is a lag of
 * two to three minutes, which the pages state.
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

const HOUR = 3_600_000;
/** Bucket 0 holds the all-time totals (never purged): the Prometheus counters read it. */
export const TOTAL_BUCKET = 0;

interface Ev { at: number; kind: string; scope: string }
interface HealthEv { scope: string; at: number; ok: boolean }
interface Batch { lastId: number; rows: number; events: Ev[]; health: HealthEv[] }
type Reader = (k: Knex.Transaction, after: number, limit: number, settledBefore: number) => Promise<Batch | null>;

/**
 * Rows are taken in id order up to the first one younger than `settledBefore`: an id is
 * assigned when a transaction inserts but becomes visible when it commits, so a younger row
 * may still have an older, uncommitted neighbour the checkpoint must not pass. The margin
 * (default 2 min) is far longer than any of the writers' transactions.
 */
function settled(rows: DbRow[], atOf: (r: DbRow) => number, settledBefore: number): DbRow[] {
  const out: DbRow[] = [];
  for (const r of rows) { if (atOf(r) >= settledBefore) break; out.push(r); }
  return out;
}
const last = (rows: DbRow[]) => Number(rows[rows.length - 1]!.id);
const OUTCOME: Record<string, string> = { sent: 'out.sent', deferred: 'out.deferred', failed: 'out.failed', suppressed: 'out.suppressed' };

/** One reader per event table; each maps a row to the counters it adds. */
const READERS: Record<string, Reader> = {
  // Delivery outcomes (and each account's health: a sent row is a success, a deferral or a pause an error).
  async outbound_attempts(k, after, limit, before) {
    const rows = settled(await k('outbound_attempts as a').leftJoin('outbound_queue as q', 'q.id', 'a.queue_id')
      .where('a.id', '>', after).orderBy('a.id').limit(limit).select('a.id', 'a.at', 'a.result', 'q.account_id') as DbRow[], (r) => Number(r.at), before);
    if (!rows.length) return null;
    const events: Ev[] = [];
    const health: HealthEv[] = [];
    for (const r of rows) {
      const at = Number(r.at), kind = OUTCOME[String(r.result)], acct = r.account_id === null ? null : `a:${Number(r.account_id)}`;
      if (kind) { events.push({ at, kind, scope: '' }); if (acct) events.push({ at, kind, scope: acct }); }
      if (acct && (r.result === 'sent' || r.result === 'deferred' || r.result === 'paused')) health.push({ scope: acct, at, ok: r.result === 'sent' });
    }
    return { lastId: last(rows), rows: rows.length, events, health };
  },
  // Rows suppressed when they were queued (enqueue, mass email expansion) have no attempt; those the worker suppressed have one (counted above).
  async outbound_queue(k, after, limit, before) {
    const rows = settled(await k('outbound_queue').where('id', '>', after).orderBy('id').limit(limit).select('id', 'created_at', 'state', 'account_id') as DbRow[],
      (r) => Number(r.created_at), before);
    if (!rows.length) return null;
    const sup = rows.filter((r) => r.state === 'suppressed');
    const attempted = new Set(sup.length ? (await k('outbound_attempts').whereIn('queue_id', sup.map((r) => Number(r.id))).distinct('queue_id') as DbRow[]).map((r) => Number(r.queue_id)) : []);
    const events: Ev[] = [];
    for (const r of sup) {
      if (attempted.has(Number(r.id))) continue;
      events.push({ at: Number(r.created_at), kind: 'out.suppressed', scope: '' });
      if (r.account_id !== null) events.push({ at: Number(r.created_at), kind: 'out.suppressed', scope: `a:${Number(r.account_id)}` });
    }
    return { lastId: last(rows), rows: rows.length, events, health: [] };
  },
  async inbound_messages(k, after, limit, before) {
    const rows = settled(await k('inbound_messages').where('id', '>', after).orderBy('id').limit(limit).select('id', 'received_at', 'listener') as DbRow[], (r) => Number(r.received_at), before);
    if (!rows.length) return null;
    const events = rows.map((r) => ({ at: Number(r.received_at), kind: r.listener === 'submission' ? 'in.submitted' : 'in.received', scope: '' }));
    return { lastId: last(rows), rows: rows.length, events, health: [] };
  },
  // Per mailbox: its recipients of each received message.
  async inbound_recipients(k, after, limit, before) {
    const rows = settled(await k('inbound_recipients as r').join('inbound_messages as m', 'm.id', 'r.message_id').where('r.id', '>', after).orderBy('r.id').limit(limit)
      .select('r.id', 'r.mailbox_id', 'm.received_at') as DbRow[], (r) => Number(r.received_at), before);
    if (!rows.length) return null;
    const events = rows.filter((r) => r.mailbox_id !== null).map((r) => ({ at: Number(r.received_at), kind: 'in.received', scope: `m:${Number(r.mailbox_id)}` }));
    const health = events.map((e) => ({ scope: e.scope, at: e.at, ok: true }));
    return { lastId: last(rows), rows: rows.length, events, health };
  },
  async bounce_events(k, after, limit, before) {
    const rows = settled(await k('bounce_events').where('id', '>', after).orderBy('id').limit(limit).select('id', 'at', 'source', 'class', 'account_id') as DbRow[], (r) => Number(r.at), before);
    if (!rows.length) return null;
    const events: Ev[] = [];
    for (const r of rows) {
      const kind = r.source === 'arf' ? 'complaint' : r.class === 'hard' ? 'bounce.hard' : r.class === 'soft' ? 'bounce.soft' : null;
      if (!kind) continue;
      events.push({ at: Number(r.at), kind, scope: '' });
      if (r.account_id !== null) events.push({ at: Number(r.at), kind, scope: `a:${Number(r.account_id)}` });
    }
    return { lastId: last(rows), rows: rows.length, events, health: [] };
  },
  async webhook_attempts(k, after, limit, before) {
    const rows = settled(await k('webhook_attempts').where('id', '>', after).orderBy('id').limit(limit).select('id', 'at', 'response_status', 'error') as DbRow[], (r) => Number(r.at), before);
    if (!rows.length) return null;
    const ok = (r: DbRow) => !r.error && r.response_status !== null && Number(r.response_status) >= 200 && Number(r.response_status) < 300;
    const events = rows.map((r) => ({ at: Number(r.at), kind: ok(r) ? 'webhook.ok' : 'webhook.error', scope: '' }));
    return { lastId: last(rows), rows: rows.length, events, health: [] };
  },
};
export const STAT_SOURCES = Object.keys(READERS);

export interface StatRow { scope: string; bucket: number; kind: string; n: number; last_at: number | null }
export interface HealthRow { scope: string; last_ok_at: number | null; first_error_at: number | null; last_error_at: number | null }

export function mailStatsRepo(db: Db) {
  const k = db.knex;
  const mysql = db.dialect === 'mysql';
  const upsertSql = mysql
    ? 'INSERT INTO mail_stats (scope, bucket, kind, n, last_at) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE n = n + VALUES(n), last_at = GREATEST(COALESCE(last_at, 0), VALUES(last_at))'
    : 'INSERT INTO mail_stats (scope, bucket, kind, n, last_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (scope, bucket, kind) DO UPDATE SET n = n + excluded.n, last_at = MAX(COALESCE(last_at, 0), excluded.last_at)';

  async function add(trx: Knex.Transaction, events: Ev[]) {
    const sums = new Map<string, StatRow>();
    for (const e of events) {
      for (const bucket of [Math.floor(e.at / HOUR), TOTAL_BUCKET]) {
        const key = `${e.scope}|${bucket}|${e.kind}`;
        const cur = sums.get(key);
        if (cur) { cur.n++; cur.last_at = Math.max(cur.last_at ?? 0, e.at); } else sums.set(key, { scope: e.scope, bucket, kind: e.kind, n: 1, last_at: e.at });
      }
    }
    for (const r of sums.values()) await trx.raw(upsertSql, [r.scope, r.bucket, r.kind, r.n, r.last_at]);
  }

  /** Health per scope, in event order: a success clears "failing since", the first error after it sets it. */
  async function health(trx: Knex.Transaction, evs: HealthEv[]) {
    const by = new Map<string, HealthEv[]>();
    for (const e of evs) by.set(e.scope, [...(by.get(e.scope) ?? []), e]);
    for (const [scope, list] of by) {
      const cur = (await trx('mail_stats_health').where({ scope }).first()) as DbRow | undefined;
      let okAt = cur?.last_ok_at == null ? null : Number(cur.last_ok_at);
      let firstErr = cur?.first_error_at == null ? null : Number(cur.first_error_at);
      let lastErr = cur?.last_error_at == null ? null : Number(cur.last_error_at);
      for (const e of list) {
        if (e.ok) { okAt = Math.max(okAt ?? 0, e.at); if (firstErr !== null && firstErr <= e.at) firstErr = null; } else {
          lastErr = Math.max(lastErr ?? 0, e.at);
          if (firstErr === null && (okAt === null || e.at >= okAt)) firstErr = e.at;
        }
      }
      const row = { last_ok_at: okAt, first_error_at: firstErr, last_error_at: lastErr };
      if (cur) await trx('mail_stats_health').where({ scope }).update(row); else await trx('mail_stats_health').insert({ scope, ...row });
    }
  }

  return {
    /**
     * Rolls each event table forward from its checkpoint, `limit` rows per transaction, at most
     * `maxBatches` per table a run (60 × 5,000 rows: ~2 s on SQLite, ~4 s on MariaDB, measured).
     * Two runs at once never count a batch twice: the checkpoint moves only from the value the
     * transaction read (the loser rolls back and stops). Answers the rows read per table.
     */
    async rollup(now: number, o: { settleMs: number; limit?: number; maxBatches?: number }): Promise<Record<string, number>> {
      const limit = o.limit ?? 5000;
      const out: Record<string, number> = {};
      for (const [source, read] of Object.entries(READERS)) {
        await k('mail_stats_checkpoints').insert({ source, last_id: 0, updated_at: now }).onConflict('source').ignore();
        out[source] = 0;
        for (let i = 0; i < (o.maxBatches ?? 60); i++) {
          const n = await k.transaction(async (trx) => {
            // MySQL: a second run waits here and then reads the moved checkpoint (SQLite runs one writer at a time).
            const q = trx('mail_stats_checkpoints').where({ source }).first();
            const cp = Number(((await (mysql ? q.forUpdate() : q)) as DbRow).last_id);
            const b = await read(trx, cp, limit, now - o.settleMs);
            if (!b) return 0;
            await add(trx, b.events);
            await health(trx, b.health);
            const moved = await trx('mail_stats_checkpoints').where({ source, last_id: cp }).update({ last_id: b.lastId, updated_at: now });
            if (moved !== 1) throw Object.assign(new Error('checkpoint moved meanwhile'), { code: 'STATS_RACE' });
            return b.rows;
          }).catch((e: { code?: string }) => { if (e.code === 'STATS_RACE') return 0; throw e; });
          if (!n) break;
          out[source] += n;
        }
        // Caught up to `now` (less the margin) even when nothing was new: the page's "rolled up at".
        await k('mail_stats_checkpoints').where({ source }).where('updated_at', '<', now).update({ updated_at: now });
      }
      return out;
    },
    /** Counters of one scope from `fromHour` on (hour buckets), by kind. */
    async hourly(scope: string, fromHour: number): Promise<StatRow[]> {
      const rows = (await k('mail_stats').where({ scope }).where('bucket', '>=', Math.max(1, fromHour)).select('scope', 'bucket', 'kind', 'n', 'last_at')) as DbRow[];
      return rows.map((r) => ({ scope: String(r.scope), bucket: Number(r.bucket), kind: String(r.kind), n: Number(r.n), last_at: r.last_at == null ? null : Number(r.last_at) }));
    },
    /** Sums per scope and kind since `fromHour`, for many scopes at once (the status page's hour and day columns). */
    async sums(scopes: string[], fromHour: number): Promise<Array<{ scope: string; kind: string; n: number }>> {
      if (!scopes.length) return [];
      const rows = (await k('mail_stats').whereIn('scope', scopes).where('bucket', '>=', Math.max(1, fromHour)).groupBy('scope', 'kind')
        .select('scope', 'kind').sum({ n: 'n' })) as DbRow[];
      return rows.map((r) => ({ scope: String(r.scope), kind: String(r.kind), n: Number(r.n) }));
    },
    /** All-time totals by kind (scope ''): the Prometheus counters. */
    async totals(): Promise<Record<string, number>> {
      const rows = (await k('mail_stats').where({ scope: '', bucket: TOTAL_BUCKET }).select('kind', 'n')) as DbRow[];
      return Object.fromEntries(rows.map((r) => [String(r.kind), Number(r.n)]));
    },
    async health(scopes: string[]): Promise<Map<string, HealthRow>> {
      if (!scopes.length) return new Map();
      const rows = (await k('mail_stats_health').whereIn('scope', scopes)) as DbRow[];
      const n = (v: unknown) => (v == null ? null : Number(v));
      return new Map(rows.map((r) => [String(r.scope), {
        scope: String(r.scope), last_ok_at: n(r.last_ok_at), first_error_at: n(r.first_error_at), last_error_at: n(r.last_error_at),
      }]));
    },
    async checkpoints(): Promise<Record<string, { lastId: number; at: number }>> {
      const rows = (await k('mail_stats_checkpoints')) as DbRow[];
      return Object.fromEntries(rows.map((r) => [String(r.source), { lastId: Number(r.last_id), at: Number(r.updated_at) }]));
    },
    /** Forgets hour buckets older than `beforeHour` (the totals stay). */
    async purge(beforeHour: number): Promise<number> {
      return k('mail_stats').where('bucket', '>', TOTAL_BUCKET).where('bucket', '<', beforeHour).delete();
    },
  };
}
export type MailStatsRepo = ReturnType<typeof mailStatsRepo>;
