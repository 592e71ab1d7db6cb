/*
 * Plain SQL for the hot paths (accepting mail, the pipeline, delivery results), run in one
 * transaction. On SQLite it holds the pool's one connection and runs cached prepared
 * statements: knex prepares every statement anew and builds it through its query
 * compiler, which was ~70% of the CPU per accepted message (bench/inbound.sh profile:
 * knex 37%, better-sqlite3 prepare 10%, run 28%). On MySQL it runs the same SQL through knex.
 * Repositories own the SQL; this file only executes it.
 */
import type { Knex } from 'knex';
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

function mysqlExec(trx: Knex.Transaction): Exec {
  return {
    dialect: 'mysql',
    async run(sql, params = []) {
      const [r] = (await trx.raw(sql, params as Knex.RawBinding[])) as [{ affectedRows: number; insertId: number }];
      return { changes: Number(r.affectedRows), lastId: Number(r.insertId) };
    },
    async all<T>(sql: string, params: readonly unknown[] = []) { return ((await trx.raw(sql, params as Knex.RawBinding[])) as [T[]])[0]; },
  };
}

/**
 * Runs `fn` in one transaction (retried whole when the database picks it as a deadlock
 * victim). `fn` must use only `x`: on SQLite the connection is held for its whole run, so
 * a knex query inside it would wait for itself.
 */
export async function transact<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  if (db.dialect === 'mysql') return withTxRetry(() => db.knex.transaction((trx) => fn(mysqlExec(trx))), 5);
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
 * Reads on a hot path (a tracking hit): on SQLite cached prepared statements on the pool's
 * connection, without a transaction (knex built and prepared each statement anew: 27 % of a
 * pixel hit's CPU, bench/tracking.sh); on MySQL plain queries.
 */
export async function readExec<T>(db: Db, fn: (x: Exec) => Promise<T>): Promise<T> {
  if (db.dialect === 'mysql') return fn(mysqlExec(db.knex as unknown as Knex.Transaction));
  const client = db.knex.client as { acquireConnection(): Promise<SqliteConn>; releaseConnection(c: SqliteConn): Promise<void> };
  const conn = await client.acquireConnection();
  try { return await fn(sqliteExec(conn)); } finally { await client.releaseConnection(conn); }
}

/** `(?, ?, …), (?, ?, …)` for `rows` rows of `cols` values. */
export const valuesList = (rows: number, cols: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(', ')})`).join(', ');

/** The upsert tail for an insert whose unique key matched: update `cols` from the new row. */
export function onConflictUpdate(dialect: Db['dialect'], key: readonly string[], cols: readonly string[]): string {
  return dialect === 'mysql'
    ? ` ON DUPLICATE KEY UPDATE ${cols.map((c) => `${c} = VALUES(${c})`).join(', ')}`
    : ` ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}`;
}
