/*
 * Writes accepted messages: one transaction per batch stores each message's row (state
 * `received`), its raw bytes in ≤1 MiB chunks and its classified recipients. Reads the raw
 * back chunk by chunk.
 */
import type { Knex } from 'knex';
import type { Db } from '../connect.js';

export interface StoredRecipient { address: string; kind: string; mailbox_id: number | null; target_id: number | null }
export interface NewInbound {
  listener: 'mx' | 'submission'; mail_from: string; rcpt_to: string[]; remote_ip: string; helo: string; tls: boolean;
  credential_id: number | null; size: number; chunks: () => AsyncIterable<Buffer>; recipients: StoredRecipient[];
}

export async function insertInbound(trx: Knex.Transaction, m: NewInbound, now: number): Promise<number> {
  const [id] = await trx('inbound_messages').insert({
    state: 'received', run_at: now, listener: m.listener, mail_from: m.mail_from, rcpt_to: JSON.stringify(m.rcpt_to), remote_ip: m.remote_ip,
    helo: m.helo.slice(0, 255), tls: m.tls, credential_id: m.credential_id, size: m.size, received_at: now, created_at: now, updated_at: now,
  });
  const messageId = Number(id);
  let seq = 0;
  for await (const chunk of m.chunks()) await trx('inbound_raw').insert({ message_id: messageId, seq: seq++, chunk });
  if (m.recipients.length) await trx('inbound_recipients').insert(m.recipients.map((r) => ({ ...r, message_id: messageId })));
  return messageId;
}

export function inboundStoreRepo(db: Db) {
  return {
    /** Stores every message of a batch in one transaction (one fsync for all); returns their ids in order. */
    async insertBatch(batch: NewInbound[], now: number): Promise<number[]> {
      return db.knex.transaction(async (trx) => {
        const ids: number[] = [];
        for (const m of batch) ids.push(await insertInbound(trx, m, now));
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
      return (await db.knex('inbound_recipients').where({ message_id: id }).orderBy('id')).map((r: any) => ({ address: r.address, kind: r.kind, mailbox_id: r.mailbox_id === null ? null : Number(r.mailbox_id), target_id: r.target_id === null ? null : Number(r.target_id) }));
    },
    async get(id: number) { return db.knex('inbound_messages').where({ id }).first(); },
  };
}
export async function readRaw(db: Db, id: number): Promise<Buffer> { return inboundStoreRepo(db).readRaw(id); }
