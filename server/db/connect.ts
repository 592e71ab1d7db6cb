/*
 * Opens the database: embedded SQLite (better-sqlite3, WAL, foreign keys) for a file path,
 * MySQL 8 / MariaDB 10.6+ (InnoDB, utf8mb4) for a mysql:// URL. Refuses servers without
 * SKIP LOCKED and warns once at start when commits are not durable (InnoDB log flush, binlog
 * sync). `durable()` resolves once everything committed so far is on disk: what SMTP waits
 * for before its 250 (on MySQL the COMMIT itself flushed the redo log).
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { AppError } from '../errors.js';
import { walSyncer } from './durable.js';
import { walCheckpointer, WRITER_PAGES } from './checkpointer.js';
import type { Log } from '../log.js';

export type Dialect = 'sqlite' | 'mysql';
export interface Db {
  knex: Knex;
  dialect: Dialect;
  close(): Promise<void>;
  /** Resolves when every transaction committed before the call is durable (fsynced). */
  durable(): Promise<void>;
  /** One round trip to the database (the health check). */
  ping(): Promise<void>;
  /**
   * SQLite file: asks for a WAL checkpoint off the event loop (db/checkpointer.ts); `transact`
   * asks after every COMMIT, the checkpointer paces them; returns at once. Absent elsewhere.
   */
  checkpointSoon?(): void;
  /**
   * MySQL: the step between the ids of one multi-row INSERT (the first is its insertId), or
   * null when the server does not promise consecutive ids (innodb_autoinc_lock_mode=2).
   */
  idStep?: number | null;
}

export const isMysql = (url: string) => /^mysql2?:\/\//i.test(url);

export async function openDb(url: string, opts: { log?: Log; poolMax?: number } = {}): Promise<Db> {
  if (isMysql(url)) return openMysql(url, opts);
  return openSqlite(url, opts.log);
}

function openSqlite(path: string, log?: Log): Db {
  const filename = path === ':memory:' ? ':memory:' : resolve(path);
  let connections = 0;
  // The connection's autocheckpoint (pages), which the checkpointer raises while its worker copies the WAL.
  let autoPages = WRITER_PAGES;
  let current: { pragma(s: string): unknown } | null = null;
  if (filename !== ':memory:') createPrivate(filename);
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite has one writer anyway, and a single connection makes every
    // knex transaction exclusive within this process.
    pool: {
      min: 1, max: 1,
      afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        // NORMAL: COMMIT appends to the WAL without an fsync on the event loop (which blocked
        // every session: 29% of the inbound profile); durable() then fsyncs the WAL on the
        // thread pool before anything is acknowledged, so an acked commit is on disk as with
        // FULL. Checkpoints still fsync (NORMAL syncs the WAL before and the database after).
        conn.pragma('synchronous = NORMAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 10000');
        conn.pragma(`wal_autocheckpoint = ${autoPages}`);
        current = conn;
        connections++;
        done(null, conn);
      },
    },
  });
  const wal = filename === ':memory:' ? null : walSyncer(`${filename}-wal`, () => connections);
  const ckpt = filename === ':memory:' ? null
    : walCheckpointer(filename, (message) => log?.warn({ evt: 'db.checkpoint_failed', message }, 'WAL checkpoint off the event loop failed (COMMIT checkpoints instead)'),
      (pages) => { autoPages = pages; try { current?.pragma(`wal_autocheckpoint = ${pages}`); } catch { /* closed: the next connection gets autoPages */ } });
  return {
    knex, dialect: 'sqlite', close: async () => { await ckpt?.close(); current = null; await knex.destroy(); await wal?.close(); }, durable: wal ? wal.durable : async () => {},
    ping: async () => { await knex.raw('SELECT 1'); },
    ...(ckpt ? { checkpointSoon: ckpt.soon } : {}),
  };
}

/**
 * The database holds password hashes, sealed upstream secrets and mail, so a new one is
 * created owner-only (0600, in a 0700 directory if we make it). SQLite gives its -wal and
 * -shm files the database file's mode. An existing file keeps the mode its operator chose.
 */
function createPrivate(filename: string) {
  mkdirSync(dirname(filename), { recursive: true, mode: 0o700 });
  if (!existsSync(filename)) closeSync(openSync(filename, 'a', 0o600));
}

async function openMysql(url: string, opts: { log?: Log; poolMax?: number }): Promise<Db> {
  const u = new URL(url.replace(/^mysql2:/i, 'mysql:'));
  const knex = knexFactory({
    client: 'mysql2',
    connection: {
      host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password), database: u.pathname.replace(/^\//, ''),
      charset: 'utf8mb4', timezone: 'Z', supportBigNumbers: true, bigNumberStrings: false,
      // Prepared statements (db/exec.ts) per connection; least recently used ones are closed.
      maxPreparedStatements: 256,
      // db/exec.ts#transactScript sends a whole transaction in one round trip. Every value
      // still goes as a bound parameter (knex and exec.ts never splice values into SQL text).
      multipleStatements: true,
    },
    pool: { min: 0, max: opts.poolMax ?? 10 },
  });
  let idStep: number | null;
  try {
    idStep = await checkMysqlServer(knex, opts.log);
  } catch (e) {
    await knex.destroy();
    throw e;
  }
  // InnoDB (innodb_flush_log_at_trx_commit=1, checked above) flushes its log inside COMMIT.
  return { knex, dialect: 'mysql', close: () => knex.destroy(), durable: async () => {}, ping: async () => { await knex.raw('SELECT 1'); }, idStep };
}

/** SKIP LOCKED arrived in MySQL 8.0.1 and MariaDB 10.6: the queues need it. */
export function mysqlVersionOk(version: string): { ok: boolean; product: string } {
  const m = /^(\d+)\.(\d+)/.exec(version);
  const major = Number(m?.[1] ?? 0), minor = Number(m?.[2] ?? 0);
  if (/mariadb/i.test(version)) return { ok: major > 10 || (major === 10 && minor >= 6), product: 'MariaDB' };
  return { ok: major >= 8, product: 'MySQL' };
}

/** Why an acknowledged commit could be lost on this server, as log lines (none when commits are durable). */
export function durabilityWarnings(v: { flushLogAtTrxCommit: number; logBin: number; syncBinlog: number }): Array<{ fields: Record<string, unknown>; message: string }> {
  const out: Array<{ fields: Record<string, unknown>; message: string }> = [];
  if (v.flushLogAtTrxCommit !== 1) {
    out.push({ fields: { evt: 'db.not_durable', innodb_flush_log_at_trx_commit: v.flushLogAtTrxCommit },
      message: 'innodb_flush_log_at_trx_commit is not 1: a database crash may lose mail that was already acknowledged' });
  }
  // With the binlog on, crash recovery keeps only the transactions found in it (two-phase
  // commit): a binlog not synced at each commit can lose acknowledged ones too.
  if (v.logBin === 1 && v.syncBinlog !== 1) {
    out.push({ fields: { evt: 'db.binlog_not_durable', sync_binlog: v.syncBinlog },
      message: 'the binary log is on and sync_binlog is not 1: a database crash may lose mail that was already acknowledged' });
  }
  return out;
}

/** What a node needs to know about the server; warns once when an acknowledged commit could be lost. Returns the id step. */
async function checkMysqlServer(knex: Knex, log?: Log): Promise<number | null> {
  const [rows] = (await knex.raw('SELECT VERSION() AS v, @@innodb_flush_log_at_trx_commit AS f, @@log_bin AS bin, @@sync_binlog AS sb,'
    + ' @@innodb_autoinc_lock_mode AS lm, @@auto_increment_increment AS inc')) as [Array<{ v: string; f: number; bin: number; sb: number; lm: number; inc: number }>];
  const { v, f, bin, sb, lm, inc } = rows[0]!;
  const { ok, product } = mysqlVersionOk(v);
  if (!ok) {
    throw new AppError('db_unsupported', `${product} ${v} is too old: Postern needs MySQL 8.0+ or MariaDB 10.6+ (for SELECT … FOR UPDATE SKIP LOCKED)`);
  }
  for (const w of durabilityWarnings({ flushLogAtTrxCommit: Number(f), logBin: Number(bin), syncBinlog: Number(sb) })) log?.warn(w.fields, w.message);
  // Modes 0 and 1 give a multi-row INSERT ("simple insert") consecutive ids; mode 2 may interleave them.
  return Number(lm) <= 1 ? Number(inc) || 1 : null;
}
