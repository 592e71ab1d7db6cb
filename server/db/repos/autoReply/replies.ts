/*
 * Writes: auto_replies. Reads: auto_replies, mailboxes, domains.
 * Auto-replies per mailbox and sender: claiming a reply under the two unique keys (one per
 * trigger, N per sender and period), recording what was queued, and the mailbox settings and
 * our own domains the guards need.
 */
import type { Db } from '../../connect.js';
import { numOrNull, type DbRow } from '../../row.js';
import { insertIgnore, readExec, valuesList } from '../../exec.js';

export interface AutoReplyRow {
  id: number; mailbox_id: number; sender: string; bucket: number; slot: number; trigger_key: string; inbound_id: number; outbound_message_id: number | null; created_at: number;
}
export interface AutoReplyMailbox { id: number; address: string; name: string; subject: string; text: string }

const toRow = (r: DbRow): AutoReplyRow => ({
  id: Number(r.id), mailbox_id: Number(r.mailbox_id), sender: String(r.sender), bucket: Number(r.bucket), slot: Number(r.slot), trigger_key: String(r.trigger_key),
  inbound_id: Number(r.inbound_id), outbound_message_id: numOrNull(r.outbound_message_id), created_at: Number(r.created_at),
});

const BY_TRIGGER = 'SELECT * FROM auto_replies WHERE trigger_key = ? LIMIT 1';

export function autoRepliesRepo(db: Db) {
  const k = db.knex;
  // The claim runs once per answered message: plain SQL as cached prepared statements (db/exec.ts), not knex builds.
  const byTrigger = async (trigger: string) => { const [r] = await readExec(db, (x) => x.all(BY_TRIGGER, [trigger])); return r ? toRow(r) : undefined; };
  const claimSql = insertIgnore(db.dialect, 'auto_replies', ['mailbox_id', 'sender', 'bucket', 'slot', 'trigger_key', 'inbound_id', 'created_at'], valuesList(1, 7));
  return {
    byTrigger,
    /**
     * Takes the first free slot of the sender's period for this trigger, or finds the row the
     * trigger already has (a re-run). Never "check then insert": each insert either wins a unique
     * key or is ignored, so two workers never both get the same slot or trigger. Null: the
     * sender's period is full.
     */
    async claim(r: { mailboxId: number; sender: string; bucket: number; maxPerPeriod: number; trigger: string; inboundId: number }, now: number):
      Promise<AutoReplyRow | null> {
      // A re-run's trigger row makes every insert below a no-op: the first read after it finds that row.
      if (r.maxPerPeriod < 1) return (await byTrigger(r.trigger)) ?? null;
      for (let slot = 0; slot < r.maxPerPeriod; slot++) {
        // No conflict target: a clash on either unique key is ignored (SQLite ON CONFLICT DO NOTHING, MySQL INSERT IGNORE).
        const sender = r.sender.slice(0, 191);
        // The insert and the read of the trigger's row in one round trip (Exec.batch on MariaDB): an ignored insert
        // (the sender's period is full, or a re-run) needed a second one for the read (0.96 → 0.58 round trips per
        // routed message, bench/routing-drain.sh).
        const [ins, read] = await readExec(db, (x) => x.batch([
          { sql: claimSql, params: [r.mailboxId, sender, r.bucket, slot, r.trigger, r.inboundId, now] },
          { sql: BY_TRIGGER, params: [r.trigger] },
        ]));
        // The insert won both keys: the row is the one just written.
        if (ins!.changes === 1 && ins!.lastId > 0) {
          return { id: ins!.lastId, mailbox_id: r.mailboxId, sender, bucket: r.bucket, slot, trigger_key: r.trigger, inbound_id: r.inboundId,
            outbound_message_id: null, created_at: now };
        }
        if (read!.rows[0]) return toRow(read!.rows[0]);
      }
      return null;
    },
    async setOutbound(id: number, messageId: number) { await readExec(db, (x) => x.run('UPDATE auto_replies SET outbound_message_id = ? WHERE id = ?', [messageId, id])); },
    async countFor(mailboxId: number, sender: string): Promise<number> {
      const r = await k('auto_replies').where({ mailbox_id: mailboxId, sender }).count({ n: '*' }).first();
      return Number(r?.n ?? 0);
    },
    /** The active mailboxes among `ids` that have an auto-reply with a text, in the order of `ids`. */
    async mailboxes(ids: number[]): Promise<AutoReplyMailbox[]> {
      if (!ids.length) return [];
      const rows: DbRow[] = await k('mailboxes').whereIn('id', ids).where({ auto_reply: true, active: true }).select('id', 'address', 'name', 'auto_reply_subject', 'auto_reply_body');
      const byId = new Map(rows.filter((r) => String(r.auto_reply_body ?? '').trim()).map((r) => [Number(r.id), {
        id: Number(r.id), address: String(r.address), name: String(r.name ?? ''), subject: String(r.auto_reply_subject ?? ''), text: String(r.auto_reply_body ?? ''),
      }]));
      return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
    /** Every local and bounce domain name, lower-case (inactive ones too: they are still ours). */
    async ownDomains(): Promise<Set<string>> {
      return new Set((await k('domains').select('name')).map((r: DbRow) => String(r.name).toLowerCase()));
    },
  };
}
export type AutoRepliesRepo = ReturnType<typeof autoRepliesRepo>;
