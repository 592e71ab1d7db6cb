/*
 * Writes: imap_folders, imap_messages (and, through the inbound owner's insertInboundBatch, the
 * inbound store; through fenceLease, the account's lease). Reads: imap_folders, imap_messages, imap_accounts.
 * Per-folder sync state and the UID log. A batch of fetched messages is committed in one
 * transaction, fenced by the account's lease: the inbound rows, one UID row each and the
 * folder's cursor move together, so the cursor never passes a message that is not stored.
 */
import type { Db } from '../../connect.js';
import { inList, powerOfTwoGroups, transact, valuesList, type Exec } from '../../exec.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import { insertInboundBatch, type NewInbound } from '../inbound/store.js';
import { fenceLease, fenceStatement } from './accounts.js';

export interface FolderRow {
  id: number; account_id: number; name: string; uidvalidity: string | null; high_uid: number; low_uid: number; backfill_done: boolean; state: string;
  fetched: number; duplicates: number; failed: number; last_sync_at: number | null; last_error: string | null; updated_at: number;
}
const toFolder = (r: DbRow): FolderRow => ({
  id: Number(r.id), account_id: Number(r.account_id), name: String(r.name), uidvalidity: strOrNull(r.uidvalidity), high_uid: Number(r.high_uid), low_uid: Number(r.low_uid),
  backfill_done: Boolean(r.backfill_done), state: String(r.state), fetched: Number(r.fetched), duplicates: Number(r.duplicates), failed: Number(r.failed),
  last_sync_at: numOrNull(r.last_sync_at), last_error: strOrNull(r.last_error), updated_at: Number(r.updated_at),
});

export interface FetchedMessage { uid: number; dedupeKey: string; messageId: string | null; inbound: NewInbound }
/** Where the folder's cursor goes once the batch is stored. */
export interface CursorMove { high?: number; low?: number; backfillDone?: boolean }
export interface BatchKey { accountId: number; folder: string; uidvalidity: string; node: string; leaseMs: number }
/** A batch's place behind the previous one (see commit). */
export interface CommitOrder { after?: Promise<unknown>; inFlight?: readonly string[] }
export interface BatchResult { imported: Array<{ uid: number; inboundId: number }>; duplicates: number[]; skipped: number[] }

export class LeaseLostError extends Error {
  constructor(id: number) { super(`the sync lease of IMAP account ${id} is held by another node`); this.name = 'LeaseLostError'; }
}


async function moveCursor(x: Exec, k: BatchKey, c: CursorMove, counts: { fetched: number; duplicates: number; failed: number }, now: number) {
  const m = cursorStatement(k, c, counts, now);
  await x.run(m.sql, m.params);
}
function cursorStatement(k: BatchKey, c: CursorMove, counts: { fetched: number; duplicates: number; failed: number }, now: number): { sql: string; params: unknown[] } {
  const sets = ['fetched = fetched + ?', 'duplicates = duplicates + ?', 'failed = failed + ?', 'last_sync_at = ?', 'updated_at = ?'];
  const params: unknown[] = [counts.fetched, counts.duplicates, counts.failed, now, now];
  if (c.high !== undefined) { sets.push('high_uid = CASE WHEN high_uid < ? THEN ? ELSE high_uid END'); params.push(c.high, c.high); }
  if (c.low !== undefined) { sets.push('low_uid = ?'); params.push(c.low); }
  if (c.backfillDone) sets.push('backfill_done = 1');
  return { sql: `UPDATE imap_folders SET ${sets.join(', ')} WHERE account_id = ? AND name = ? AND uidvalidity = ?`, params: [...params, k.accountId, k.folder, k.uidvalidity] };
}

/** The UID log rows' parameters, pushed into one array (no array per row to flatten). */
function logParams(k: BatchKey, group: ReadonlyArray<{ m: FetchedMessage; imported: number | null }>, ids: readonly number[], now: number): unknown[] {
  const out: unknown[] = [];
  for (const { m, imported } of group) {
    out.push(k.accountId, k.folder, k.uidvalidity, m.uid, m.dedupeKey, dedupeHash(m.dedupeKey), m.messageId, imported === null ? null : ids[imported], imported === null ? 'duplicate' : 'imported', now);
  }
  return out;
}

/** A dedupe key's first 52 bits (13 hex digits) as a number: the UID log's duplicate index (migration 089); 0 for no key. */
export function dedupeHash(key: string): number {
  return key ? Number.parseInt(key.slice(0, 13), 16) || 0 : 0;
}

export function imapSyncRepo(db: Db) {
  const k = db.knex;
  return {
    async folders(accountId: number): Promise<FolderRow[]> { return (await k('imap_folders').where({ account_id: accountId }).orderBy('name')).map(toFolder); },
    async allFolders(): Promise<FolderRow[]> { return (await k('imap_folders').orderBy(['account_id', 'name'])).map(toFolder); },
    async folder(accountId: number, name: string): Promise<FolderRow | undefined> {
      const r = await k('imap_folders').where({ account_id: accountId, name }).first();
      return r ? toFolder(r) : undefined;
    },
    /**
     * The folder's state for the UIDVALIDITY the server reports now. A new folder or a changed
     * UIDVALIDITY starts over from "nothing imported" at `top` (the newest UID): the UID log
     * and the Message-ID + content key keep the resync from importing anything twice.
     */
    async open(accountId: number, name: string, uidvalidity: string, top: number, now: number): Promise<{ folder: FolderRow; reset: boolean }> {
      const cur = await this.folder(accountId, name);
      if (cur && cur.uidvalidity === uidvalidity) return { folder: cur, reset: false };
      const fresh = { uidvalidity, high_uid: top, low_uid: top + 1, backfill_done: top === 0, updated_at: now, last_error: null };
      if (cur) await k('imap_folders').where({ id: cur.id }).update(fresh);
      else await k('imap_folders').insert({ account_id: accountId, name, state: 'syncing', ...fresh }).catch(async (e: unknown) => { if (!(await this.folder(accountId, name))) throw e; });
      return { folder: (await this.folder(accountId, name))!, reset: Boolean(cur) };
    },
    async setFolderState(accountId: number, name: string, state: string, error: string | null | undefined, now: number): Promise<void> {
      const patch: Record<string, unknown> = { state, updated_at: now };
      if (error !== undefined) patch.last_error = error === null ? null : error.slice(0, 2000);
      await k('imap_folders').where({ account_id: accountId, name }).update(patch);
    },
    /** Folders no longer monitored are forgotten (their UID log stays: a folder added back is not imported twice). */
    async dropFoldersExcept(accountId: number, keep: string[]): Promise<void> {
      await k('imap_folders').where({ account_id: accountId }).whereNotIn('name', keep.length ? keep : ['']).delete();
    },
    /**
     * Stores a batch: skips UIDs already in the log, records a message already imported under
     * another UID (same Message-ID and content) as a duplicate, stores the rest in the inbound
     * store, and moves the cursor, all in one transaction fenced by the lease.
     * `order.after`: the previous batch's commit. On MySQL this batch's inbound rows are written
     * while that one commits (another connection); its fence, UID log and cursor wait for it,
     * so the cursor still moves in UID order and never past a batch that did not commit (it
     * fails when `after` fails); `order.inFlight` are the previous batch's dedupe keys, which
     * this transaction cannot see yet. The fence locks the account row until COMMIT, so a
     * node that lost the lease still writes nothing. On SQLite (one
     * connection, in-process statements) a batch simply waits for the previous one.
     */
    async commit(key: BatchKey, msgs: FetchedMessage[], cursor: CursorMove, now: number, order: CommitOrder = {}): Promise<BatchResult> {
      if (db.dialect !== 'mysql' && order.after) await order.after;
      return transact(db, async (x) => {
        const out: BatchResult = { imported: [], duplicates: [], skipped: [] };
        const seenUids = new Set<number>();
        const seenKeys = new Set<string>(order.inFlight);
        if (msgs.length) {
          // Both lookups in one round trip on MySQL, with the BEGIN (Exec.batch). Keys are found
          // by their hash's index (migration 089) and compared whole: a row sharing only the
          // hash adds a key no message of the batch has.
          // The batch's UIDs as one index range, not a list: a batch comes from one fetch, whose
          // UIDs in that range are the batch's own (or ones it skipped, which the log does not
          // hold), so the range brings no more rows than the list. The list's 500 index probes
          // took ~1.7 µs a message on SQLite, the range under 0.1 (10,000 messages, statement timing).
          let lo = msgs[0]!.uid, hi = lo;
          for (const m of msgs) { if (m.uid < lo) lo = m.uid; if (m.uid > hi) hi = m.uid; }
          const [uids, keys] = await x.batch([
            { sql: 'SELECT uid FROM imap_messages WHERE account_id = ? AND folder = ? AND uidvalidity = ? AND uid BETWEEN ? AND ?',
              params: [key.accountId, key.folder, key.uidvalidity, lo, hi] },
            // Hash 0 too: rows a node still on the code before 089 logs during a rolling upgrade
            // carry the column's default (few, and an index range of their own).
            { sql: `SELECT dedupe_key FROM imap_messages WHERE account_id = ? AND dedupe_hash IN (${inList(msgs.length + 1)}) AND outcome = 'imported'`,
              params: [key.accountId, ...msgs.map((m) => dedupeHash(m.dedupeKey)), 0] },
          ]);
          for (const r of uids!.rows) seenUids.add(Number(r.uid));
          for (const r of keys!.rows) seenKeys.add(String(r.dedupe_key));
        }
        // Classify the batch first, then write it with multi-row INSERTs (inbound rows through the
        // inbound owner's insertInboundBatch, then the UID log in message order): on MariaDB the
        // per-message statements were 4 round trips a message (bench/imap ratio 0.17).
        const log: Array<{ m: FetchedMessage; imported: number | null }> = [];
        const fresh: FetchedMessage[] = [];
        for (const m of msgs) {
          if (seenUids.has(m.uid)) { out.skipped.push(m.uid); continue; }
          seenUids.add(m.uid);
          if (seenKeys.has(m.dedupeKey)) { log.push({ m, imported: null }); out.duplicates.push(m.uid); continue; }
          seenKeys.add(m.dedupeKey);
          log.push({ m, imported: fresh.length });
          fresh.push(m);
        }
        const ids = await insertInboundBatch(x, fresh.map((m) => m.inbound), now, db.idStep);
        // Wait for the previous batch here, before the UID log: its foreign key share-locks the
        // account row, which the previous batch's fence updates (a wait through the client
        // that InnoDB cannot see as a deadlock). The fence then locks it until COMMIT.
        if (order.after) await order.after;
        // The fence, the UID log and the cursor in one round trip on MySQL (they were ~10 of a
        // 500-message batch's ~30); the COMMIT stays apart, sent only once the fence held: a
        // batch whose fence changed nothing is rolled back with all it wrote. (A statement that
        // fails, say on a UID another node logged meanwhile, rolls it back too; retried message
        // by message, the batch then meets the fence.)
        fresh.forEach((m, i) => out.imported.push({ uid: m.uid, inboundId: ids[i]! }));
        const [fence] = await x.batch([
          fenceStatement(key.accountId, key.node, now, key.leaseMs),
          ...powerOfTwoGroups(log).map((group) => ({
            sql: `INSERT INTO imap_messages (account_id, folder, uidvalidity, uid, dedupe_key, dedupe_hash, message_id, inbound_id, outcome, at) VALUES ${valuesList(group.length, 10)}`,
            params: logParams(key, group, ids, now),
          })),
          cursorStatement(key, cursor, { fetched: out.imported.length, duplicates: out.duplicates.length, failed: 0 }, now),
        ]);
        if (fence!.changes !== 1) throw new LeaseLostError(key.accountId);
        return out;
      });
    },
    /**
     * A message that could not be stored: logged under its UID (so it never blocks the folder) with the reason.
     * True when this call logged it (false: the UID was already in the log), so it is reported once.
     */
    async fail(key: BatchKey, uid: number, dedupeKey: string, messageId: string | null, error: string, now: number): Promise<boolean> {
      return transact(db, async (x) => {
        if (!(await fenceLease(x, key.accountId, key.node, now, key.leaseMs))) throw new LeaseLostError(key.accountId);
        const r = await x.all(`SELECT 1 AS one FROM imap_messages WHERE account_id = ? AND folder = ? AND uidvalidity = ? AND uid = ?`, [key.accountId, key.folder, key.uidvalidity, uid]);
        if (r.length) return false;
        await x.run('INSERT INTO imap_messages (account_id, folder, uidvalidity, uid, dedupe_key, dedupe_hash, message_id, inbound_id, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [key.accountId, key.folder, key.uidvalidity, uid, dedupeKey, dedupeHash(dedupeKey), messageId, null, 'failed', error.slice(0, 2000), now]);
        await moveCursor(x, key, {}, { fetched: 0, duplicates: 0, failed: 1 }, now);
        return true;
      });
    },
    /** The source of an inbound message fetched over IMAP (null: it came in another way). */
    async sourceOf(inboundId: number): Promise<{ accountId: number; folder: string; uid: number } | null> {
      const r = await k('imap_messages').where({ inbound_id: inboundId }).first();
      return r ? { accountId: Number(r.account_id), folder: String(r.folder), uid: Number(r.uid) } : null;
    },
    /** UID log counts per outcome, for an account (tests and the status page). */
    async outcomes(accountId: number): Promise<Record<string, number>> {
      const rows = (await k('imap_messages').where({ account_id: accountId }).groupBy('outcome').select('outcome').count({ n: '*' })) as Array<{ outcome: string; n: number | string }>;
      return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
    },
  };
}
export type ImapSyncRepo = ReturnType<typeof imapSyncRepo>;
