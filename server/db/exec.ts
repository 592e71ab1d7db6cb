/*
 * Plain SQL for the hot paths (accepting mail, the pipeline, delivery results), run in one
 * transaction. On SQLite it holds the pool's one connection and runs cached prepared
 * statements: knex prepares every statement anew and builds it through its query
 * compiler, which was ~70% of the CPU per accepted message (bench/inbound.sh profile:
 * knex 37%, better-sqlite3 prepare 10%, run 28%). On MySQL it holds one pooled connection
 * and runs mysql2 prepared statements (`execute`, cached per connection): binary rows, the raw
 * mail sent as bytes rather than hex text, no knex query building, BEGIN/COMMIT as plain
 * round trips; `transactScript` sends a whole small transaction in one round trip.
 * Repositories own the SQL; this file only executes it.
 */
import type { Db } from './connect.js';
import { withTxRetry } from './retry.js';

export interface RunResult { changes: number; lastId: number }
/** One statement's outcome in a batch: its rows (a read) or what it changed (a write). */
export interface BatchResult extends RunResult { rows: Array<Record<string, unknown>> }
export interface Exec {
  readonly dialect: Db['dialect'];
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Statements run in order; on MySQL in ONE round trip (a multi-statement text query, values
   * still bound by the driver), inside `transact` with the BEGIN in front of the first batch and,
   * with `last`, the COMMIT behind it. For a transaction of a few dependent steps (the case a
   * routed message opens: 11 round trips → 2), where on a loaded 2-core box each round trip cost
   * ~100 µs of socket writes and a wait for the server (bench/routing-drain.sh profile, MariaDB).
   * A failing statement stops the batch (the transaction is rolled back). SQLite runs them one by one.
   */
  batch(statements: ReadonlyArray<{ sql: string; params?: readonly unknown[] }>, o?: { last?: boolean }): Promise<BatchResult[]>;
}

interface Statement { reader: boolean; run(...p: unknown[]): { changes: number; lastInsertRowid: number | bigint }; all(...p: unknown[]): unknown[] }
interface SqliteConn { prepare(sql: string): Statement; exec(sql: string): void; inTransaction: boolean }

/** Sees every statement run through this file (benchmarks count queries per message); null: nobody looks. */
let observer: ((sql: string) => void) | null = null;
export function observeExec(fn: ((sql: string) => void) | null): void { observer = fn; }

/** better-sqlite3 binds numbers, strings, bigints, buffers and null only. */
const bind = (params: readonly unknown[]) => params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));

const STATEMENTS_PER_CONNECTION = 256;
const caches = new WeakMap<object, Map<string, Statement>>();
function prepared(conn: SqliteConn, sql: string): Statement {
  let cache = caches.get(conn);
  if (!cache) { cache = new Map(); caches.set(conn, cache); }
  let st = cache.get(sql);
  if (!st) {
    st = conn.prepare(sql);
    if (cache.size >= STATEMENTS_PER_CONNECTION) cache.delete(cache.keys().next().value!);
    cache.set(sql, st);
  }
  return st;
}

function sqliteExec(conn: SqliteConn): Exec {
  return {
    dialect: 'sqlite',
    async run(sql, params = []) {
      observer?.(sql);
      const r = prepared(conn, sql).run(...bind(params));
      return { changes: r.changes, lastId: Number(r.lastInsertRowid) };
    },
    async all<T>(sql: string, params: readonly unknown[] = []) { observer?.(sql); return prepared(conn, sql).all(...bind(params)) as T[]; },
    async batch(statements) {
      return statements.map(({ sql, params = [] }) => {
        observer?.(sql);
        const st = prepared(conn, sql);
        if (st.reader) return { rows: st.all(...bind(params)) as Array<Record<string, unknown>>, changes: 0, lastId: 0 };
        const r = st.run(...bind(params));
        return { rows: [], changes: r.changes, lastId: Number(r.lastInsertRowid) };
      });
    },
  };
}

/** A pooled mysql2 connection (knex hands out mysql2's callback API). */
interface MysqlConn {
  query(sql: string, cb: (e: Error | null, r: unknown) => void): void;
  query(sql: string, params: unknown[], cb: (e: Error | null, r: unknown) => void): void;
  execute(sql: string, params: unknown[], cb: (e: Error | null, r: unknown) => void): void;
}
/** Prepared statements bind no undefined; an array (an IN list knex would expand) needs the text protocol. */
function mysqlCall(conn: MysqlConn, sql: string, params: readonly unknown[]): Promise<unknown> {
  observer?.(sql);
  const p = params.map((v) => (v === undefined ? null : v));
  return new Promise((resolve, reject) => {
    const cb = (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r));
    if (p.some((v) => Array.isArray(v))) conn.query(sql, p, cb);
    else conn.execute(sql, p, cb);
  });
}

/** Where a MySQL transaction stands: BEGIN sent (maybe with a batch), COMMIT sent with the last batch. */
interface TxState { begun: boolean; committed: boolean }

function mysqlExec(conn: MysqlConn, tx?: TxState): Exec {
  // Marked begun when the BEGIN is queued: the connection runs its commands in order, so a statement
  // queued after it (even one started side by side) runs inside the transaction.
  const begin = async () => { if (tx && !tx.begun) { tx.begun = true; await sendQuery(conn, 'BEGIN'); } };
  return {
    dialect: 'mysql',
    async run(sql, params = []) {
      await begin();
      const r = (await mysqlCall(conn, sql, params)) as { affectedRows: number; insertId: number };
      return { changes: Number(r.affectedRows), lastId: Number(r.insertId) };
    },
    async all<T>(sql: string, params: readonly unknown[] = []) { await begin(); return (await mysqlCall(conn, sql, params)) as T[]; },
    async batch(statements, o = {}) {
      const head = tx && !tx.begun ? ['BEGIN'] : [];
      if (tx) tx.begun = true;
      const tail = tx && o.last ? ['COMMIT'] : [];
      const sqls = [...head, ...statements.map((st) => st.sql), ...tail];
      for (const sql of sqls) observer?.(sql);
      const params = statements.flatMap((st) => (st.params ?? []).map((v) => (v === undefined ? null : v)));
      const out = await new Promise<unknown>((resolve, reject) => conn.query(sqls.join(';\n'), params, (e, r) => (e ? reject(e) : resolve(r))));
      if (tx && o.last) tx.committed = true;
      // One statement answers its result, several an array of them.
      const results = (sqls.length === 1 ? [out] : (out as unknown[])).slice(head.length, head.length + statements.length);
      return results.map((r) => (Array.isArray(r) ? { rows: r as Array<Record<string, unknown>>, changes: 0, lastId: 0 }
        : { rows: [], changes: Number((r as { affectedRows?: number }).affectedRows ?? 0), lastId: Number((r as { insertId?: number }).insertId ?? 0) }));
    },
  };
}

type Pool<C> = { acquireConnection(): Promise<C>; releaseConnection(c: C): Promise<void> };
const sendQuery = (conn: MysqlConn, sql: string) => new Promise<void>((resolve, reject) => { observer?.(sql); conn.query(sql, (e) => (e ? reject(e) : resolve())); });

async function mysqlTransact<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  const client = db.knex.client as Pool<MysqlConn>;
  const conn = await client.acquireConnection();
  try {
    // BEGIN goes with the first statement's round trip when that is a batch (else on its own, first).
    const tx: TxState = { begun: false, committed: false };
    try {
      const out = await fn(mysqlExec(conn, tx));
      // With innodb_flush_log_at_trx_commit=1 the COMMIT returns once the redo log is flushed:
      // InnoDB's group commit shares that flush among the connections committing at once.
      if (tx.begun && !tx.committed) await sendQuery(conn, 'COMMIT');
      return out;
    } catch (e) {
      await sendQuery(conn, 'ROLLBACK').catch(() => {});
      throw e;
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Runs `fn` in one transaction (retried whole when the database picks it as a deadlock
 * victim). `fn` must use only `x`: on SQLite the connection is held for its whole run, so
 * a knex query inside it would wait for itself.
 */
export async function transact<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  if (db.dialect === 'mysql') return withTxRetry(() => mysqlTransact(db, fn), 5);
  const client = db.knex.client as { acquireConnection(): Promise<SqliteConn>; releaseConnection(c: SqliteConn): Promise<void> };
  return withTxRetry(async () => {
    const conn = await client.acquireConnection();
    try {
      observer?.('BEGIN IMMEDIATE');
      conn.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(sqliteExec(conn));
        observer?.('COMMIT');
        conn.exec('COMMIT');
        // The WAL is copied into the database off the event loop, not inside a later COMMIT.
        db.checkpointSoon?.();
        return out;
      } catch (e) {
        if (conn.inTransaction) conn.exec('ROLLBACK');
        throw e;
      }
    } finally {
      await client.releaseConnection(conn);
    }
  });
}

/**
 * MySQL: runs `statements` (text, `?` placeholders) as one transaction in ONE round trip
 * (BEGIN; …; COMMIT as a multi-statement query); returns each statement's result. For the
 * inbound commit, where on a loaded 2-core box every round trip waited several ms for the
 * server to be scheduled (5 messages a batch, 23 ms a transaction of 8 round trips).
 * A failing statement stops the script; the transaction is rolled back and the error thrown.
 */
export async function transactScript(db: Db, statements: Array<{ sql: string; params: readonly unknown[] }>): Promise<RunResult[]> {
  if (db.dialect !== 'mysql') throw new Error('transactScript is for MySQL');
  const client = db.knex.client as Pool<MysqlConn>;
  return withTxRetry(async () => {
    const conn = await client.acquireConnection();
    try {
      const sql = ['BEGIN', ...statements.map((st) => st.sql), 'COMMIT'].join(';\n');
      const params = statements.flatMap((st) => st.params.map((v) => (v === undefined ? null : v)));
      const results = await new Promise<Array<{ affectedRows?: number; insertId?: number }>>((resolve, reject) =>
        conn.query(sql, params, (e, r) => (e ? reject(e) : resolve(r as Array<{ affectedRows?: number; insertId?: number }>))));
      return results.slice(1, -1).map((r) => ({ changes: Number(r.affectedRows ?? 0), lastId: Number(r.insertId ?? 0) }));
    } catch (e) {
      await sendQuery(conn, 'ROLLBACK').catch(() => {});
      throw e;
    } finally {
      await client.releaseConnection(conn);
    }
  }, 5);
}

/**
 * Reads on a hot path (a tracking hit): on SQLite cached prepared statements on the pool's
 * connection, without a transaction (knex built and prepared each statement anew: 27 % of a
 * pixel hit's CPU, bench/tracking.sh); on MySQL prepared statements on one pooled connection.
 */
export async function readExec<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  if (db.dialect === 'mysql') {
    const client = db.knex.client as Pool<MysqlConn>;
    const conn = await client.acquireConnection();
    try { return await fn(mysqlExec(conn)); } finally { await client.releaseConnection(conn); }
  }
  const client = db.knex.client as { acquireConnection(): Promise<SqliteConn>; releaseConnection(c: SqliteConn): Promise<void> };
  const conn = await client.acquireConnection();
  try { return await fn(sqliteExec(conn)); } finally { await client.releaseConnection(conn); }
}

/** Rows per multi-row statement: a power of two up to 64, so a connection prepares at most 7 shapes of one. */
const GROUP_MAX_ROWS = 64;
const GROUP_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Splits rows for multi-row statements run as prepared statements: groups of a power-of-two
 * length, each within 64 rows and (but for a lone row) 4 MiB of `bytes`.
 */
export function powerOfTwoGroups<T>(rows: readonly T[], bytes: (r: T) => number = () => 0): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length;) {
    let n = 0, b = 0;
    while (i + n < rows.length && n < GROUP_MAX_ROWS && (n === 0 || b + bytes(rows[i + n]!) <= GROUP_MAX_BYTES)) b += bytes(rows[i + n++]!);
    const take = 2 ** Math.floor(Math.log2(n));
    out.push(rows.slice(i, i + take));
    i += take;
  }
  return out;
}

/** `?, ?, …` for `n` values (an IN list, one row). */
export const inList = (n: number) => Array<string>(n).fill('?').join(', ');
/** `(?, ?, …), (?, ?, …)` for `rows` rows of `cols` values. */
export const valuesList = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${inList(cols)})`).join(', ');

/**
 * An INSERT whose rows clashing with any unique key are skipped (MySQL INSERT IGNORE, SQLite ON
 * CONFLICT DO NOTHING), `values` its VALUES rows. Columns are quoted (`read` is a MySQL keyword).
 */
export function insertIgnore(dialect: Db['dialect'], table: string, cols: readonly string[], values: string): string {
  const mysql = dialect === 'mysql';
  return `INSERT${mysql ? ' IGNORE' : ''} INTO ${table} (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ${values}${mysql ? '' : ' ON CONFLICT DO NOTHING'}`;
}

/** The upsert tail for an insert whose unique key matched: update `cols` from the new row. */
export function onConflictUpdate(dialect: Db['dialect'], key: readonly string[], cols: readonly string[]): string {
  return dialect === 'mysql'
    ? ` ON DUPLICATE KEY UPDATE ${cols.map((c) => `${c} = VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}
