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
export interface Exec {
  readonly dialect: Db['dialect'];
  run(sql: string, params?: readonly unknown[]): Promise<RunResult>;
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

interface Statement { reader: boolean; run(...p: unknown[]): { changes: number; lastInsertRowid: number | bigint }; all(...p: unknown[]): unknown[] }
interface SqliteConn { prepare(sql: string): Statement; exec(sql: string): void; inTransaction: boolean }

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
      const r = prepared(conn, sql).run(...bind(params));
      return { changes: r.changes, lastId: Number(r.lastInsertRowid) };
    },
    async all<T>(sql: string, params: readonly unknown[] = []) { return prepared(conn, sql).all(...bind(params)) as T[]; },
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
  const p = params.map((v) => (v === undefined ? null : v));
  return new Promise((resolve, reject) => {
    const cb = (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r));
    if (p.some((v) => Array.isArray(v))) conn.query(sql, p, cb);
    else conn.execute(sql, p, cb);
  });
}

function mysqlExec(conn: MysqlConn): Exec {
  return {
    dialect: 'mysql',
    async run(sql, params = []) {
      const r = (await mysqlCall(conn, sql, params)) as { affectedRows: number; insertId: number };
      return { changes: Number(r.affectedRows), lastId: Number(r.insertId) };
    },
    async all<T>(sql: string, params: readonly unknown[] = []) { return (await mysqlCall(conn, sql, params)) as T[]; },
  };
}

type Pool<C> = { acquireConnection(): Promise<C>; releaseConnection(c: C): Promise<void> };
const sendQuery = (conn: MysqlConn, sql: string) => new Promise<void>((resolve, reject) => conn.query(sql, (e) => (e ? reject(e) : resolve())));

async function mysqlTransact<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  const client = db.knex.client as Pool<MysqlConn>;
  const conn = await client.acquireConnection();
  try {
    await sendQuery(conn, 'BEGIN');
    try {
      const out = await fn(mysqlExec(conn));
      // With innodb_flush_log_at_trx_commit=1 the COMMIT returns once the redo log is flushed:
      // InnoDB's group commit shares that flush among the connections committing at once.
      await sendQuery(conn, 'COMMIT');
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
      conn.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(sqliteExec(conn));
        conn.exec('COMMIT');
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

/** `(?, ?, …), (?, ?, …)` for `rows` rows of `cols` values. */
export const valuesList = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(', ')})`).join(', ');

/** The upsert tail for an insert whose unique key matched: update `cols` from the new row. */
export function onConflictUpdate(dialect: Db['dialect'], key: readonly string[], cols: readonly string[]): string {
  return dialect === 'mysql'
    ? ` ON DUPLICATE KEY UPDATE ${cols.map((c) => `${c} = VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}
