/*
 * The inbox owner (db/repos/inbox/: folders.ts, items.ts) is the only writer of inbox_folders,
 * inbox_items and inbox_item_tags; this file is its folders part.
 * Writes: inbox_folders, inbox_items (a deleted folder's items go back to the Inbox).
 * Reads: inbox_folders, mailboxes.
 * Folders per mailbox: found by name case-insensitively (MariaDB's collation compares that way,
 * SQLite's does not: the lookup makes both behave alike), created on a filter's first use.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';

export interface FolderRow { id: number; mailbox_id: number; name: string; position: number }
export interface InboxMailbox { id: number; address: string; name: string; kind: string }
const toFolder = (r: DbRow): FolderRow => ({ id: Number(r.id), mailbox_id: Number(r.mailbox_id), name: String(r.name), position: Number(r.position) });

export function inboxFoldersRepo(db: Db) {
  const k = db.knex;
  const byName = (mailboxId: number, name: string) => k('inbox_folders').where({ mailbox_id: mailboxId }).whereRaw('LOWER(name) = ?', [name.toLowerCase()]).first();
  return {
    /** The folders of these mailboxes (undefined: every mailbox), by mailbox, position, name. */
    async list(mailboxIds?: number[]): Promise<FolderRow[]> {
      const qb = k('inbox_folders').select('id', 'mailbox_id', 'name', 'position').orderBy([{ column: 'mailbox_id' }, { column: 'position' }, { column: 'name' }]);
      if (mailboxIds) qb.whereIn('mailbox_id', mailboxIds);
      return (await qb).map(toFolder);
    },
    async get(id: number): Promise<FolderRow | undefined> { const r = await k('inbox_folders').where({ id }).first(); return r ? toFolder(r) : undefined; },
    async findByName(mailboxId: number, name: string): Promise<FolderRow | undefined> { const r = await byName(mailboxId, name); return r ? toFolder(r) : undefined; },
    /** The folder of this name, created when missing (two workers at once: one insert wins, both read it). */
    async ensure(mailboxId: number, name: string, now: number): Promise<number> {
      const found = await byName(mailboxId, name);
      if (found) return Number(found.id);
      const [{ p }] = (await k('inbox_folders').where({ mailbox_id: mailboxId }).max({ p: 'position' })) as Array<{ p: number | string | null }>;
      await k('inbox_folders').insert({ mailbox_id: mailboxId, name, position: p === null || p === undefined ? 1 : Number(p) + 1, created_at: now, updated_at: now })
        .onConflict(['mailbox_id', 'name']).ignore();
      return Number((await byName(mailboxId, name)).id);
    },
    async update(id: number, patch: { name?: string; position?: number }, now: number): Promise<void> {
      await k('inbox_folders').where({ id }).update({ ...patch, updated_at: now });
    },
    /** Deletes a folder; its items go back to the Inbox in the same transaction. */
    async remove(id: number, now: number): Promise<void> {
      await k.transaction(async (trx) => {
        await trx('inbox_items').where({ folder_id: id }).update({ folder_id: null, updated_at: now });
        await trx('inbox_folders').where({ id }).delete();
      });
    },
    /** Mailboxes by id (undefined: all), for the inbox's mailbox list. */
    async mailboxes(ids?: number[]): Promise<InboxMailbox[]> {
      const qb = k('mailboxes').select('id', 'address', 'name', 'kind').orderBy('address');
      if (ids) qb.whereIn('id', ids);
      return (await qb).map((r: DbRow) => ({ id: Number(r.id), address: String(r.address), name: String(r.name ?? ''), kind: String(r.kind) }));
    },
  };
}
export type InboxFoldersRepo = ReturnType<typeof inboxFoldersRepo>;
