/*
 * The inbound owner (db/repos/inbound/: store.ts, pipeline.ts, views.ts) is the only writer of inbound_messages,
 * inbound_raw and inbound_recipients; this file is its accept part (SMTP commits).
 * Writes: inbound_messages, inbound_raw, inbound_recipients. Reads: inbound_messages, inbound_raw, inbound_recipients.
 * Writes accepted messages: one transaction per batch stores each message's row (state
 * `received`), its raw bytes in ≤1 MiB chunks and its classified recipients. Reads the raw
 * back chunk by chunk.
 */
import type { Db } from '../../connect.js';
import { transact, valuesList, type Exec } from '../../exec.js';
import { numOrNull, type DbRow } from '../../row.js';

export interface StoredRecipient { address: string; kind: string; mailbox_id: number | null; target_id: number | null }
export interface NewInbound {
  listener: 'mx' | 'submission'; mail_from: string; rcpt_to: string[]; remote_ip: string; helo: string; tls: boolean;
  credential_id: number | null; size: number; chunks: () => AsyncIterable<Buffer>; recipients: StoredRecipient[];
}

const MESSAGE_COLS = ['state', 'run_at', 'listener', 'mail_from', 'rcpt_to', 'remote_ip', 'helo', 'tls', 'credential_id', 'size', 'received_at', 'created_at', 'updated_at'];
const INSERT_MESSAGE = `INSERT INTO inbound_messages (${MESSAGE_COLS.join(', ')}) VALUES ${valuesList(1, MESSAGE_COLS.length)}`;
const INSERT_CHUNK = 'INSERT INTO inbound_raw (message_id, seq, chunk) VALUES (?, ?, ?)';
const RECIPIENT_COLS = ['message_id', 'address', 'kind', 'mailbox_id', 'target_id'];

/** Stores one message inside the caller's transaction: its row, raw chunks and recipients. */
export async function insertInbound(x: Exec, m: NewInbound, now: number): Promise<number> {
  const { lastId: id } = await x.run(INSERT_MESSAGE, ['received', now, m.listener, m.mail_from, JSON.stringify(m.rcpt_to), m.remote_ip,
    m.helo.slice(0, 255), m.tls, m.credential_id, m.size, now, now, now]);
  let seq = 0;
  for await (const chunk of m.chunks()) await x.run(INSERT_CHUNK, [id, seq++, chunk]);
  if (m.recipients.length) {
    await x.run(`INSERT INTO inbound_recipients (${RECIPIENT_COLS.join(', ')}) VALUES ${valuesList(m.recipients.length, RECIPIENT_COLS.length)}`,
      m.recipients.flatMap((r) => [id, r.address, r.kind, r.mailbox_id, r.target_id]));
  }
  return id;
}

export function inboundStoreRepo(db: Db) {
  return {
    /** Stores every message of a batch in one transaction (one fsync for all); returns their ids in order. */
    async insertBatch(batch: NewInbound[], now: number): Promise<number[]> {
      return transact(db, async (x) => {
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
