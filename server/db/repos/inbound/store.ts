/*
 * The inbound owner (db/repos/inbound/: store.ts, pipeline.ts, views.ts) is the only writer of inbound_messages,
 * inbound_raw and inbound_recipients; this file is its accept part (SMTP commits).
 * Writes: inbound_messages, inbound_raw, inbound_recipients. Reads: inbound_messages, inbound_raw, inbound_recipients.
 * Writes accepted messages: one transaction per batch stores each message's row (state
 * `received`), its raw bytes in ≤1 MiB chunks and its classified recipients. Reads the raw
 * back chunk by chunk. On MySQL a batch is one round trip (BEGIN, one multi-row INSERT per
 * table, COMMIT as one script; a batch with big messages: prepared multi-row INSERTs) instead
 * of three round trips per message: the round trips, not the CPU, capped acceptance there
 * (README, MySQL figures: 3.0 INSERTs per message, batches of ~10, 229 msgs/s with the listener alone).
 * The raw stays a LONGBLOB (byte-exact, stored in the row while it fits, off-page beyond).
 */
import type { Db } from '../../connect.js';
import { powerOfTwoGroups, transact, transactScript, valuesList, type Exec, type RunResult } from '../../exec.js';
import { numOrNull, type DbRow } from '../../row.js';

export interface StoredRecipient { address: string; kind: string; mailbox_id: number | null; target_id: number | null }
export interface NewInbound {
  listener: 'mx' | 'submission' | 'imap'; mail_from: string; rcpt_to: string[]; remote_ip: string; helo: string; tls: boolean;
  credential_id: number | null; size: number; chunks: () => AsyncIterable<Buffer>; recipients: StoredRecipient[];
  /** The whole message when the caller holds it in memory (the IMAP sync): stored from it, chunks() not iterated. */
  raw?: Buffer;
  /** Old mail imported in bulk (an IMAP account's first sync): routed as any, notifies nobody. */
  bulk?: boolean;
}

const MESSAGE_COLS = ['state', 'run_at', 'listener', 'mail_from', 'rcpt_to', 'remote_ip', 'helo', 'tls', 'credential_id', 'size', 'received_at', 'created_at', 'updated_at', 'bulk'];
/** A message row's values in MESSAGE_COLS order, pushed onto `out` (multi-row INSERTs push many rows into one array). */
function pushMessage(out: unknown[], m: NewInbound, now: number, rcptJson = JSON.stringify(m.rcpt_to)): void {
  out.push('received', now, m.listener, m.mail_from, rcptJson, m.remote_ip, m.helo.slice(0, 255), m.tls, m.credential_id, m.size, now, now, now, Boolean(m.bulk));
}
const INSERT_MESSAGE = `INSERT INTO inbound_messages (${MESSAGE_COLS.join(', ')}) VALUES ${valuesList(1, MESSAGE_COLS.length)}`;
const INSERT_CHUNK = 'INSERT INTO inbound_raw (message_id, seq, chunk) VALUES (?, ?, ?)';
const RECIPIENT_COLS = ['message_id', 'address', 'kind', 'mailbox_id', 'target_id'];

/** Stores one message inside the caller's transaction: its row, raw chunks and recipients. */
export async function insertInbound(x: Exec, m: NewInbound, now: number): Promise<number> {
  const params: unknown[] = [];
  pushMessage(params, m, now);
  const { lastId: id } = await x.run(INSERT_MESSAGE, params);
  let seq = 0;
  for await (const chunk of m.chunks()) await x.run(INSERT_CHUNK, [id, seq++, chunk]);
  if (m.recipients.length) {
    await x.run(`INSERT INTO inbound_recipients (${RECIPIENT_COLS.join(', ')}) VALUES ${valuesList(m.recipients.length, RECIPIENT_COLS.length)}`,
      m.recipients.flatMap((r) => [id, r.address, r.kind, r.mailbox_id, r.target_id]));
  }
  return id;
}

/** Messages up to this size go in the multi-row INSERTs (their chunks held in memory for the batch); bigger ones alone. */
const MULTI_ROW_MAX_BYTES = 256 * 1024;
/** Up to this many raw bytes a batch goes as one script (sent as hex text: twice that, within max_allowed_packet's 16 MiB default). */
const SCRIPT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * MySQL, the common case (small messages): the whole batch in one round trip, three multi-row
 * INSERTs between BEGIN and COMMIT; the raw rows and recipients find their message's id from
 * the first INSERT's LAST_INSERT_ID() and the server's id step. Null when the batch does not fit.
 */
async function insertScript(db: Db, batch: NewInbound[], now: number, step: number): Promise<number[] | null> {
  if (batch.some((m) => m.size > MULTI_ROW_MAX_BYTES) || batch.reduce((n, m) => n + m.size, 0) > SCRIPT_MAX_BYTES) return null;
  const chunks: Buffer[][] = [];
  for (const m of batch) chunks.push(await chunksOf(m));
  const raw = chunks.flatMap((cs, i) => cs.map((chunk, seq) => [i * step, seq, chunk] as const));
  const rcpts = batch.flatMap((m, i) => m.recipients.map((r) => [i * step, r.address, r.kind, r.mailbox_id, r.target_id] as const));
  const statements: Array<{ sql: string; params: readonly unknown[] }> = [
    { sql: `INSERT INTO inbound_messages (${MESSAGE_COLS.join(', ')}) VALUES ${valuesList(batch.length, MESSAGE_COLS.length)}`,
      params: batch.reduce<unknown[]>((out, m) => { pushMessage(out, m, now); return out; }, []) },
    { sql: 'SET @postern_first_id = LAST_INSERT_ID()', params: [] },
  ];
  if (raw.length) {
    statements.push({ sql: `INSERT INTO inbound_raw (message_id, seq, chunk) VALUES ${raw.map(() => '(@postern_first_id + ?, ?, ?)').join(', ')}`, params: raw.flat() });
  }
  if (rcpts.length) {
    statements.push({ sql: `INSERT INTO inbound_recipients (${RECIPIENT_COLS.join(', ')}) VALUES ${rcpts.map(() => '(@postern_first_id + ?, ?, ?, ?, ?)').join(', ')}`, params: rcpts.flat() });
  }
  const [first] = await transactScript(db, statements);
  return batch.map((_, i) => first!.lastId + i * step);
}

/**
 * Every small message of a batch in multi-row INSERTs (a large one alone); `idOf` gives the id of
 * row `k` of an INSERT of `rows` rows from its result: MySQL from the first id and the server's
 * step, SQLite from the last id (see insertInboundBatch).
 */
async function insertMany(x: Exec, batch: NewInbound[], now: number, idOf: (r: RunResult, rows: number, k: number) => number): Promise<number[]> {
  const ids: number[] = new Array(batch.length);
  const small: Array<{ m: NewInbound; i: number; chunks: Buffer[] }> = [];
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i]!;
    if (m.size > MULTI_ROW_MAX_BYTES) { ids[i] = await insertInbound(x, m, now); continue; }
    // Held in memory (the IMAP sync): its chunks without an await (500 of them a batch).
    small.push({ m, i, chunks: m.raw ? rawChunks(m.raw) : await chunksOf(m) });
  }
  // Parameters pushed into one array per statement (no array per row to flatten), and the
  // rcpt_to JSON of a list the batch shares (the IMAP sync's) serialised once.
  let lastRcpt: string[] | null = null, lastJson = '';
  for (const group of powerOfTwoGroups(small)) {
    const params: unknown[] = [];
    for (const { m } of group) {
      if (m.rcpt_to !== lastRcpt) { lastRcpt = m.rcpt_to; lastJson = JSON.stringify(m.rcpt_to); }
      pushMessage(params, m, now, lastJson);
    }
    const r = await x.run(`INSERT INTO inbound_messages (${MESSAGE_COLS.join(', ')}) VALUES ${valuesList(group.length, MESSAGE_COLS.length)}`, params);
    if (r.changes !== group.length) throw new Error(`inbound batch: ${r.changes} of ${group.length} rows inserted`);
    group.forEach((g, k) => { ids[g.i] = idOf(r, group.length, k); });
  }
  const raw = small.flatMap(({ i, chunks }) => chunks.map((chunk, seq) => ({ id: ids[i]!, seq, chunk })));
  for (const group of powerOfTwoGroups(raw, (r) => r.chunk.length)) {
    const params: unknown[] = [];
    for (const r of group) params.push(r.id, r.seq, r.chunk);
    await x.run(`INSERT INTO inbound_raw (message_id, seq, chunk) VALUES ${valuesList(group.length, 3)}`, params);
  }
  const rcpts = small.flatMap(({ m, i }) => m.recipients.map((r) => [ids[i]!, r.address, r.kind, r.mailbox_id, r.target_id]));
  for (const group of powerOfTwoGroups(rcpts)) {
    await x.run(`INSERT INTO inbound_recipients (${RECIPIENT_COLS.join(', ')}) VALUES ${valuesList(group.length, RECIPIENT_COLS.length)}`, group.flat());
  }
  return ids;
}

/** MySQL: row k of a multi-row INSERT has its first id plus k times the server's step. */
const byStep = (step: number) => (r: RunResult, _rows: number, k: number) => r.lastId + k * step;

export function inboundStoreRepo(db: Db) {
  return {
    /** Stores every message of a batch in one transaction (one fsync for all); returns their ids in order. */
    async insertBatch(batch: NewInbound[], now: number): Promise<number[]> {
      if (db.dialect === 'mysql' && db.idStep) {
        const ids = await insertScript(db, batch, now, db.idStep);
        if (ids) return ids;
      }
      return transact(db, async (x) => {
        if (x.dialect === 'mysql' && db.idStep) return insertMany(x, batch, now, byStep(db.idStep));
        const ids: number[] = [];
        for (const m of batch) ids.push(await insertInbound(x, m, now));
        return ids;
      });
    },
    async *rawChunks(id: number): AsyncIterable<Buffer> {
      for (let seq = 0; ; seq++) {
        const row = await db.knex('inbound_raw').where({ message_id: id, seq }).first();
        if (!row) return;
        yield Buffer.isBuffer(row.chunk) ? row.chunk : Buffer.from(row.chunk);
      }
    },
    async readRaw(id: number): Promise<Buffer> {
      const parts: Buffer[] = [];
      for await (const c of this.rawChunks(id)) parts.push(c);
      return Buffer.concat(parts);
    },
    async recipients(id: number): Promise<StoredRecipient[]> {
      const rows: DbRow[] = await db.knex('inbound_recipients').where({ message_id: id }).orderBy('id');
      return rows.map((r) => ({ address: String(r.address), kind: String(r.kind), mailbox_id: numOrNull(r.mailbox_id), target_id: numOrNull(r.target_id) }));
    },
    async get(id: number) { return db.knex('inbound_messages').where({ id }).first(); },
  };
}
export async function readRaw(db: Db, id: number): Promise<Buffer> { return inboundStoreRepo(db).readRaw(id); }

/**
 * Stores a batch inside another owner's transaction (the IMAP sync's lease-fenced commit,
 * which writes its UID log in the same transaction): on MySQL with a known id step the
 * multi-row INSERTs of insertMany (a 500-message IMAP batch: ~25 round trips instead of
 * ~1,500; bench/imap on MariaDB went from 0.12–0.17 to 0.39–0.73 with the IMAP sync's
 * overlapped commits, README); on SQLite too (the sync's commit of 10,000 2 KB messages took
 * 67–82 µs of main-thread CPU a message one at a time, 58–69 so: five runs each, alternated):
 * SQLite gives the rows of one INSERT consecutive ids (AUTOINCREMENT: each row the largest id so
 * far plus one, and one writer), so the first is the statement's last id less the rows after it.
 * Else (MySQL without a known step) one message at a time. Returns the ids in order.
 */
export async function insertInboundBatch(x: Exec, batch: NewInbound[], now: number, idStep: number | null | undefined): Promise<number[]> {
  if (x.dialect === 'mysql' && idStep) return insertMany(x, batch, now, byStep(idStep));
  if (x.dialect === 'sqlite') return insertMany(x, batch, now, (r, rows, k) => r.lastId - rows + 1 + k);
  const ids: number[] = [];
  for (const m of batch) ids.push(await insertInbound(x, m, now));
  return ids;
}

/** A message's raw chunks (≤ 1 MiB): views of `raw` when the caller holds it, else read from chunks(). */
async function chunksOf(m: NewInbound): Promise<Buffer[]> {
  if (m.raw) return rawChunks(m.raw);
  const out: Buffer[] = [];
  for await (const c of m.chunks()) out.push(c);
  return out;
}
/** A message held in memory as inbound_raw's chunks (≤ 1 MiB each); also what a holder's `chunks()` yields. */
export function rawChunks(raw: Buffer): Buffer[] {
  // One chunk (nearly every message): the caller's Buffer itself, not a view of it.
  if (raw.length <= RAW_CHUNK) return [raw];
  const out: Buffer[] = [];
  for (let i = 0; i < raw.length; i += RAW_CHUNK) out.push(raw.subarray(i, i + RAW_CHUNK));
  return out;
}
const RAW_CHUNK = 1024 * 1024;
