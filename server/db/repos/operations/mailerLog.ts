/*
 * Writes: mailer_log. Reads: mailer_log.
 * The mailer log: entries written many rows per INSERT (the service buffers them), the
 * filtered list (newest first, paged), id-ordered pages for the streamed exports, and the
 * retention purge in bounded batches (a month of a busy log is never one huge DELETE).
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { listPage, type ListQuery, type Page } from '../../list.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';

/** One entry; `level` and `source` are the mailer log's vocabularies (server/operations/types.ts). */
export interface MailerLogRow {
  id: number; at: number; level: string; source: string; event: string; message: string; reply: string | null;
  account_id: number | null; mailbox_id: number | null; address: string | null; inbound_id: number | null; queue_id: number | null; mass_email_id: number | null;
}
export type NewMailerLogRow = Omit<MailerLogRow, 'id'>;
export interface MailerLogFilter {
  level?: string; source?: string; accountId?: number; mailboxId?: number; massEmailId?: number;
  /** From this time (epoch ms, inclusive) to that one (exclusive). */
  from?: number; to?: number;
  /** Words in the message, the event name, the address or the reply. */
  q?: string;
}

const INSERT_CHUNK = 500;
const PURGE_CHUNK = 5000;
const SEARCHABLE = ['message', 'event', 'address', 'reply'];

const toRow = (r: DbRow): MailerLogRow => ({
  id: Number(r.id), at: Number(r.at), level: String(r.level), source: String(r.source), event: String(r.event),
  message: String(r.message ?? ''), reply: strOrNull(r.reply), account_id: numOrNull(r.account_id), mailbox_id: numOrNull(r.mailbox_id), address: strOrNull(r.address),
  inbound_id: numOrNull(r.inbound_id), queue_id: numOrNull(r.queue_id), mass_email_id: numOrNull(r.mass_email_id),
});

/** The filter as WHERE clauses ('!' is the LIKE escape: MySQL and SQLite disagree about backslashes). */
function filtered(q: Knex.QueryBuilder, f: MailerLogFilter, withText = true): Knex.QueryBuilder {
  if (f.level) q.where('level', f.level);
  if (f.source) q.where('source', f.source);
  if (f.accountId) q.where('account_id', f.accountId);
  if (f.mailboxId) q.where('mailbox_id', f.mailboxId);
  if (f.massEmailId) q.where('mass_email_id', f.massEmailId);
  if (f.from !== undefined) q.where('at', '>=', f.from);
  if (f.to !== undefined) q.where('at', '<', f.to);
  if (withText && f.q) {
    const needle = `%${f.q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    q.where((w) => { for (const col of SEARCHABLE) w.orWhereRaw("?? LIKE ? ESCAPE '!'", [col, needle]); });
  }
  return q;
}

export function mailerLogRepo(db: Db) {
  const k = db.knex;
  return {
    /** Inserts entries, many per statement, in one transaction. */
    async insertMany(rows: NewMailerLogRow[]): Promise<void> {
      if (!rows.length) return;
      if (rows.length <= INSERT_CHUNK) { await k('mailer_log').insert(rows); return; }
      await k.transaction(async (trx) => { for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx('mailer_log').insert(rows.slice(i, i + INSERT_CHUNK)); });
    },
    /** A page of the filtered log; the count stops at 100,000 (`capped`): an exact count over millions of rows is seconds of scanning. */
    list: (f: MailerLogFilter, q: ListQuery): Promise<Page<MailerLogRow>> =>
      listPage(filtered(k('mailer_log').select('*'), f, false), { sortable: ['id', 'at'], defaultSort: 'id', defaultDir: 'desc', searchable: SEARCHABLE, countCap: 100_000 },
        { ...q, q: f.q, filters: {} }, toRow),
    /** The filtered entries after `after`, in id order: one page of an export. */
    async after(f: MailerLogFilter, after: number, limit: number): Promise<MailerLogRow[]> {
      return (await filtered(k('mailer_log').where('id', '>', after), f).orderBy('id').limit(limit)).map(toRow);
    },
    /** Deletes entries older than `before`, PURGE_CHUNK at a time; returns how many. */
    async purge(before: number): Promise<number> {
      let n = 0;
      for (;;) {
        const ids = (await k('mailer_log').where('at', '<', before).orderBy('id').limit(PURGE_CHUNK).pluck('id')).map(Number);
        if (!ids.length) return n;
        n += await k('mailer_log').whereIn('id', ids).delete();
        if (ids.length < PURGE_CHUNK) return n;
      }
    },
    async count(): Promise<number> {
      const [{ n }] = (await k('mailer_log').count({ n: '*' })) as Array<{ n: number | string }>;
      return Number(n);
    },
  };
}
export type MailerLogRepo = ReturnType<typeof mailerLogRepo>;
