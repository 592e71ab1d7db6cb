/*
 * The inbox owner (db/repos/inbox/: folders.ts, items.ts) is the only writer of inbox_folders,
 * inbox_items and inbox_item_tags; this file is its items part.
 * Writes: inbox_items, inbox_item_tags. Reads: those, cases, filters (what routing needs).
 * One item per (inbound message, mailbox), written once: routing a message again finds its rows
 * and writes nothing. Lists are newest first (received time, then id), scoped by mailbox ids.
 */
import type { Knex } from 'knex';
import type { Db } from '../../connect.js';
import { numOrNull, type DbRow } from '../../row.js';
import { inList, insertIgnore as insertIgnoreSql, readExec, transact, valuesList, type Exec } from '../../exec.js';

export interface InboxItemRow {
  id: number; inbound_id: number; mailbox_id: number; folder_id: number | null; read: boolean; archived: boolean;
  subject: string; from_addr: string; case_id: number | null; at: number; tags: string[];
}
export interface NewItem { mailboxId: number; folderId: number | null; read: boolean; tags: string[] }
export interface ItemQuery {
  /** Narrowing to these mailboxes (undefined: all, for admins). */
  scope?: number[]; mailboxId?: number;
  /** undefined: any folder (view all), null: the Inbox. */
  folderId?: number | null; archived?: boolean; unread?: boolean; tag?: string; q?: string; page: number; perPage: number;
}
export interface CountRow { mailbox_id: number; folder_id: number | null; unread: number; total: number }

const toItem = (r: DbRow, tags: string[] = []): InboxItemRow => ({
  id: Number(r.id), inbound_id: Number(r.inbound_id), mailbox_id: Number(r.mailbox_id), folder_id: numOrNull(r.folder_id), read: Boolean(r.read),
  archived: Boolean(r.archived), subject: String(r.subject ?? ''), from_addr: String(r.from_addr ?? ''), case_id: numOrNull(r.case_id), at: Number(r.at), tags,
});

const ITEM_COLUMNS = ['inbound_id', 'mailbox_id', 'folder_id', 'read', 'archived', 'subject', 'from_addr', 'case_id', 'at', 'created_at', 'updated_at'];

export function inboxItemsRepo(db: Db) {
  const k = db.knex;
  const insertIgnore = (table: string, cols: readonly string[], rows: number) => insertIgnoreSql(db.dialect, table, cols, valuesList(rows, cols.length));

  async function withTags(rows: DbRow[]): Promise<InboxItemRow[]> {
    const ids = rows.map((r) => Number(r.id));
    const tags = new Map<number, string[]>();
    if (ids.length) {
      for (const t of await k('inbox_item_tags').whereIn('item_id', ids).select('item_id', 'tag').orderBy('tag')) {
        const id = Number(t.item_id);
        tags.set(id, [...(tags.get(id) ?? []), String(t.tag)]);
      }
    }
    return rows.map((r) => toItem(r, tags.get(Number(r.id)) ?? []));
  }
  function filtered(q: Omit<ItemQuery, 'page' | 'perPage'>): Knex.QueryBuilder {
    const qb = k('inbox_items');
    if (q.scope) qb.whereIn('mailbox_id', q.scope);
    if (q.mailboxId !== undefined) qb.where('mailbox_id', q.mailboxId);
    if (q.folderId === null) qb.whereNull('folder_id'); else if (q.folderId !== undefined) qb.where('folder_id', q.folderId);
    if (q.archived !== undefined) qb.where('archived', q.archived);
    if (q.unread) qb.where('read', false);
    if (q.tag) qb.whereIn('id', k('inbox_item_tags').select('item_id').where('tag', q.tag));
    if (q.q) {
      // '!' as the LIKE escape: MySQL and SQLite disagree about backslashes. Both compare case-insensitively here.
      const needle = `%${q.q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
      qb.where((w) => { w.whereRaw("subject LIKE ? ESCAPE '!'", [needle]).orWhereRaw("from_addr LIKE ? ESCAPE '!'", [needle]); });
    }
    return qb;
  }

  return {
    /** Routing: the mailbox of each case (a case reply address lands there). */
    async caseMailboxes(caseIds: number[]): Promise<Map<number, number | null>> {
      if (!caseIds.length) return new Map();
      const rows = await readExec(db, (x) => x.all(`SELECT id, mailbox_id FROM cases WHERE id IN (${inList(caseIds.length)})`, caseIds));
      return new Map(rows.map((r) => [Number(r.id), numOrNull(r.mailbox_id)]));
    },
    /** Routing: the scope and actions of the filters that matched. */
    async filters(ids: number[]): Promise<Array<{ id: number; mailbox_id: number | null; actions: Record<string, unknown> }>> {
      if (!ids.length) return [];
      const rows = await k('filters').whereIn('id', ids).select('id', 'mailbox_id', 'actions');
      return rows.map((r: DbRow) => {
        let actions: Record<string, unknown> = {};
        try { actions = JSON.parse(String(r.actions)) as Record<string, unknown>; } catch { /* a broken row decides nothing */ }
        return { id: Number(r.id), mailbox_id: numOrNull(r.mailbox_id), actions };
      });
    },
    /** Writes the items of a message that are not there yet; answers how many it wrote. */
    async deliver(inboundId: number, copy: { subject: string; from: string; at: number; caseId: number | null }, items: NewItem[], now: number): Promise<number> {
      // Plain SQL as cached prepared statements (db/exec.ts): the route hooks' statements built by knex were most of the drain's CPU.
      // InnoDB may pick two workers' inserts next to each other in the unique index as a deadlock: the whole transaction runs again (transact).
      // Without tags an item is one insert: no transaction is needed to keep it whole.
      const run = (fn: (x: Exec) => Promise<number>) => (items.some((i) => i.tags.length) ? transact(db, fn) : readExec(db, fn));
      const values = (i: NewItem) => [inboundId, i.mailboxId, i.folderId, i.read ? 1 : 0, 0, copy.subject.slice(0, 500), copy.from.slice(0, 320), copy.caseId, copy.at, now, now];
      return run(async (x) => {
        if (items.length === 1) {
          // One mailbox (most mail): the insert itself tells whether the item is new (an ignored row changes
          // nothing) and its id, so there is no read first; a re-run writes nothing, as with the read.
          const item = items[0]!;
          const insertItem = { sql: insertIgnore('inbox_items', ITEM_COLUMNS, 1), params: values(item) };
          if (item.tags.length && x.dialect === 'mysql') {
            // MariaDB: BEGIN, the item, its tags and COMMIT in ONE round trip (Exec.batch; two before: the inbox
            // hook's round trips 1.7 → 1.05 per message, bench/routing-drain.sh). The tags name the item by
            // LAST_INSERT_ID() and are written only when the item insert wrote its row (ROW_COUNT() = 1: the
            // previous statement's count): a re-run's ignored item writes no tags, as before.
            const [ins] = await x.batch([insertItem, {
              sql: 'INSERT IGNORE INTO inbox_item_tags (item_id, tag) SELECT LAST_INSERT_ID(), t.tag'
                + ` FROM (${item.tags.map(() => 'SELECT ? AS tag').join(' UNION ALL ')}) t WHERE ROW_COUNT() = 1`,
              params: item.tags,
            }], { last: true });
            return ins!.changes === 1 ? 1 : 0;
          }
          // SQLite (no round trips): the item, then its tags when it is new.
          const [ins] = await x.batch([insertItem]);
          if (ins!.changes !== 1) return 0;
          if (item.tags.length) await x.batch([{ sql: insertIgnore('inbox_item_tags', ['item_id', 'tag'], item.tags.length), params: item.tags.flatMap((tag) => [ins!.lastId, tag]) }], { last: true });
          return 1;
        }
        const have = new Set((await x.all('SELECT mailbox_id FROM inbox_items WHERE inbound_id = ?', [inboundId])).map((r) => Number(r.mailbox_id)));
        const fresh = items.filter((i) => !have.has(i.mailboxId));
        if (!fresh.length) return 0;
        const inserted = await x.run(insertIgnore('inbox_items', ITEM_COLUMNS, fresh.length), fresh.flatMap(values));
        if (!fresh.some((i) => i.tags.length)) return fresh.length;
        // One new item: its id is the insert's (it wrote one row; SQLite: none can be ignored here, the check above
        // ran in this transaction on the only connection). Several: read back.
        const ids = fresh.length === 1 && inserted.changes === 1 && inserted.lastId > 0 ? new Map([[fresh[0]!.mailboxId, inserted.lastId]])
          : new Map((await x.all(`SELECT id, mailbox_id FROM inbox_items WHERE inbound_id = ? AND mailbox_id IN (${inList(fresh.length)})`, [inboundId, ...fresh.map((i) => i.mailboxId)]))
            .map((r) => [Number(r.mailbox_id), Number(r.id)]));
        const tags = fresh.flatMap((i) => i.tags.map((tag) => [ids.get(i.mailboxId)!, tag]));
        await x.run(insertIgnore('inbox_item_tags', ['item_id', 'tag'], tags.length), tags.flat());
        return fresh.length;
      });
    },
    async list(q: ItemQuery): Promise<{ items: InboxItemRow[]; total: number }> {
      const [{ n }] = (await filtered(q).count({ n: '*' })) as Array<{ n: number | string }>;
      const rows = await filtered(q).select('*').orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(q.perPage).offset((q.page - 1) * q.perPage);
      return { items: await withTags(rows), total: Number(n) };
    },
    /** Unread and total items per mailbox and folder (not archived), and archived per mailbox (folder_id -1). */
    async counts(scope?: number[]): Promise<CountRow[]> {
      const qb = k('inbox_items').select('mailbox_id', 'folder_id', 'archived').count({ total: '*' })
        .sum({ unread: k.raw('CASE WHEN ?? THEN 0 ELSE 1 END', ['read']) }).groupBy('mailbox_id', 'folder_id', 'archived');
      if (scope) qb.whereIn('mailbox_id', scope);
      const rows = (await qb) as DbRow[];
      return rows.map((r) => ({
        mailbox_id: Number(r.mailbox_id), folder_id: r.archived && Number(r.archived) ? -1 : numOrNull(r.folder_id), unread: Number(r.unread ?? 0), total: Number(r.total),
      }));
    },
    async get(id: number): Promise<InboxItemRow | undefined> { const r = await k('inbox_items').where({ id }).first(); return r ? (await withTags([r]))[0] : undefined; },
    async getMany(ids: number[]): Promise<InboxItemRow[]> { return ids.length ? withTags(await k('inbox_items').whereIn('id', ids)) : []; },
    /** The items of an inbound message (all mailboxes). */
    async ofInbound(inboundId: number): Promise<InboxItemRow[]> { return withTags(await k('inbox_items').where({ inbound_id: inboundId }).orderBy('id')); },
    async setFlags(ids: number[], flags: { read?: boolean; archived?: boolean }, now: number): Promise<number> {
      if (!ids.length) return 0;
      return k('inbox_items').whereIn('id', ids).update({ ...flags, updated_at: now });
    },
    /** Files items in a folder (null: the Inbox); filing takes an item out of the archive. */
    async move(ids: number[], folderId: number | null, now: number): Promise<number> {
      if (!ids.length) return 0;
      return k('inbox_items').whereIn('id', ids).update({ folder_id: folderId, archived: false, updated_at: now });
    },
    async addTag(ids: number[], tag: string): Promise<void> {
      if (ids.length) await k('inbox_item_tags').insert(ids.map((item_id) => ({ item_id, tag }))).onConflict(['item_id', 'tag']).ignore();
    },
    async removeTag(ids: number[], tag: string): Promise<void> { if (ids.length) await k('inbox_item_tags').whereIn('item_id', ids).where({ tag }).delete(); },
    /** Replaces an item's tags. */
    async setTags(id: number, tags: string[]): Promise<void> {
      await k.transaction(async (trx) => {
        await trx('inbox_item_tags').where({ item_id: id }).delete();
        if (tags.length) await trx('inbox_item_tags').insert(tags.map((tag) => ({ item_id: id, tag })));
      });
    },
  };
}
export type InboxItemsRepo = ReturnType<typeof inboxItemsRepo>;
