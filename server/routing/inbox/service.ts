/*
 * The agents' inbox: the `inbox` route hook (one item per message and mailbox, with the
 * folder, read flag and tags the filters chose), the lists a principal may see (admins every
 * mailbox, agents their teams' and personal mailboxes) with unread counts, the item actions
 * (read, archive, move, tags; single and bulk) and folder CRUD per mailbox. Everything outside
 * a principal's mailboxes answers 404, like an absent row.
 */
import type { Ctx } from '../../context.js';
import type { StepContext } from '../../inbound/pipeline/steps.js';
import { invalid, notFound, conflict } from '../../errors.js';
import { mailboxIdsOf, type MailAccess, type Principal } from '../../auth/access.js';
import { inboxItemsRepo, type InboxItemRow } from '../../db/repos/inbox/items.js';
import { inboxFoldersRepo, type FolderRow, type InboxMailbox } from '../../db/repos/inbox/folders.js';
import { routingSettings, type RoutingSettings } from '../settings.js';
import { BULK_MAX, FOLDER_MAX, TAGS_PER_ITEM, flagsOf, folderName, landings, mailboxesOf, tagOf, tagsOf, type BulkAction, type MatchedFilter } from './decide.js';

export type InboxView = 'inbox' | 'archived' | 'all';
export interface InboxQuery {
  mailboxId?: number; folderId?: number; view?: InboxView; unread?: boolean; tag?: string; q?: string; page?: number; perPage?: number;
}
export interface ItemPatch { read?: boolean; folderId?: number | null; archived?: boolean; tags?: string[] }
export interface BulkInput { ids: number[]; action: BulkAction; folderId?: number | null; tag?: string }
export interface MailboxCounts extends InboxMailbox {
  unread: number; total: number; archived: number;
  folders: Array<FolderRow & { unread: number; total: number }>;
}
export type { InboxItemRow, FolderRow };

export function inboxService(s: { ctx: Ctx; access: MailAccess; settings?: RoutingSettings }) {
  const items = inboxItemsRepo(s.ctx.db);
  const settings = s.settings ?? routingSettings(s);
  const folders = inboxFoldersRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'inbox' });
  const now = () => s.ctx.clock.now();
  const scopeOf = async (p: Principal) => mailboxIdsOf(await s.access.scopeOf(p));
  const inScope = (scope: number[] | undefined, mailboxId: number) => !scope || scope.includes(mailboxId);

  async function mailbox(p: Principal, mailboxId: number): Promise<InboxMailbox> {
    const scope = await scopeOf(p);
    const [m] = inScope(scope, mailboxId) ? await folders.mailboxes([mailboxId]) : [];
    if (!m) throw notFound('Mailbox');
    return m;
  }
  async function folderOf(p: Principal, mailboxId: number, folderId: number): Promise<FolderRow> {
    await mailbox(p, mailboxId);
    const f = await folders.get(folderId);
    if (!f || f.mailbox_id !== mailboxId) throw notFound('Folder');
    return f;
  }
  /** Items by id, every one in scope, or a 404 (nothing is changed for a list with one item out of reach). */
  async function reach(p: Principal, ids: number[]): Promise<InboxItemRow[]> {
    const want = [...new Set(ids)];
    if (!want.length) throw invalid([{ field: 'ids', message: 'give at least one item id', key: 'inbox.err.ids' }]);
    if (want.length > BULK_MAX) throw invalid([{ field: 'ids', message: `at most ${BULK_MAX} items at once`, key: 'inbox.err.tooMany' }]);
    const scope = await scopeOf(p);
    const rows = (await items.getMany(want)).filter((r) => inScope(scope, r.mailbox_id));
    if (rows.length !== want.length) throw notFound('Inbox item');
    return rows;
  }
  /** A target folder must belong to the mailbox of every item filed in it (null: the Inbox). */
  async function target(rows: InboxItemRow[], folderId: number | null | undefined): Promise<number | null> {
    if (folderId === null || folderId === undefined) return null;
    const f = await folders.get(folderId);
    if (!f || rows.some((r) => r.mailbox_id !== f.mailbox_id)) throw invalid([{ field: 'folderId', message: 'no such folder in the item\'s mailbox', key: 'inbox.err.folder' }]);
    return f.id;
  }
  function checkName(raw: unknown): string {
    const name = folderName(String(raw ?? ''));
    if (!name) throw invalid([{ field: 'name', message: `give a name of at most ${FOLDER_MAX} characters`, key: 'inbox.err.folderName' }]);
    return name;
  }
  function checkTag(raw: unknown): string {
    const tag = tagOf(String(raw ?? ''));
    if (!tag) throw invalid([{ field: 'tag', message: 'give a tag of at most 50 characters', key: 'inbox.err.tag' }]);
    return tag;
  }

  /**
   * The filters that matched, as the filters hook read them (the same cached rows: no read), and
   * any it no longer holds (a cache read again in between) from the table.
   */
  async function matchedFilters(recipients: StepContext['recipients'], ids: number[]): Promise<MatchedFilter[]> {
    if (!ids.length) return [];
    const mailboxIds = [...new Set(recipients.map((x) => x.mailbox_id).filter((x): x is number => x !== null))];
    const cached = new Map((await settings.filters(mailboxIds)).map((f) => [f.id, f]));
    const missing = ids.filter((id) => !cached.has(id));
    const read = new Map((await items.filters(missing)).map((f) => [f.id, f]));
    return ids.flatMap((id) => {
      const f = cached.get(id);
      if (f) return [{ id: f.id, mailbox_id: f.mailbox_id, actions: f.actions } as MatchedFilter];
      const x = read.get(id);
      return x ? [x as MatchedFilter] : [];
    });
  }

  async function bulk(p: Principal, b: BulkInput): Promise<{ updated: number }> {
    const rows = await reach(p, b.ids);
    const ids = rows.map((r) => r.id);
    const flags = flagsOf(b.action);
    if (flags) await items.setFlags(ids, flags, now());
    else if (b.action === 'move') await items.move(ids, await target(rows, b.folderId), now());
    else if (b.action === 'tag') {
      const tag = checkTag(b.tag);
      if (rows.some((r) => !r.tags.includes(tag) && r.tags.length >= TAGS_PER_ITEM)) throw invalid([{ field: 'tag', message: `at most ${TAGS_PER_ITEM} tags per item`, key: 'inbox.err.tags' }]);
      await items.addTag(ids, tag);
    } else if (b.action === 'untag') await items.removeTag(ids, checkTag(b.tag));
    else throw invalid([{ field: 'action', message: 'unknown action', key: 'inbox.err.action' }]);
    log.info({ evt: 'inbox.bulk', action: b.action, n: ids.length }, 'inbox items changed');
    return { updated: ids.length };
  }

  return {
    /** The route hook: the message's item in each recipient mailbox (nothing for a skipped message, nothing twice). */
    async route(c: StepContext): Promise<unknown> {
      const r = c.routing ?? {};
      if (r.skip) return undefined;
      const caseIds = c.recipients.filter((x) => x.kind === 'case' && x.target_id !== null).map((x) => Number(x.target_id));
      const boxes = mailboxesOf(c.recipients, await items.caseMailboxes(caseIds));
      if (!boxes.length) return undefined;
      const matched = await matchedFilters(c.recipients, r.matchedFilters ?? []);
      const at = now();
      const land = landings(boxes, r, matched);
      const fresh = [];
      for (const l of land) fresh.push({ mailboxId: l.mailboxId, read: l.read, tags: l.tags, folderId: l.folder ? await folders.ensure(l.mailboxId, l.folder, at) : null });
      const written = await items.deliver(c.msg.id, {
        subject: c.fields.subject ?? c.msg.subject ?? '', from: c.fields.from_addr ?? c.msg.from_addr ?? '', at: c.msg.received_at, caseId: r.caseId ?? null,
      }, fresh, at);
      if (written) log.info({ evt: 'inbox.delivered', inboundId: c.msg.id, mailboxes: boxes, written }, 'inbox items written');
      return { mailboxIds: boxes, written };
    },

    /** Items for a principal, newest first. `view`: inbox (default; a folder when folderId), archived, or all not archived. */
    async list(p: Principal, q: InboxQuery): Promise<{ items: InboxItemRow[]; total: number; page: number; perPage: number }> {
      const scope = await scopeOf(p);
      if (q.mailboxId !== undefined && !inScope(scope, q.mailboxId)) throw notFound('Mailbox');
      if (q.folderId !== undefined) {
        const f = await folders.get(q.folderId);
        if (!f || !inScope(scope, f.mailbox_id) || (q.mailboxId !== undefined && f.mailbox_id !== q.mailboxId)) throw notFound('Folder');
      }
      const view = q.view ?? 'inbox';
      const page = q.page ?? 1, perPage = Math.min(Math.max(q.perPage ?? 25, 1), 200);
      if (!Number.isSafeInteger(page) || page < 1 || page > 1_000_000) throw invalid([{ field: 'page', message: 'must be a whole number from 1 to 1000000' }]);
      const folderId = q.folderId ?? (view === 'inbox' ? null : undefined);
      const tag = q.tag ? tagOf(q.tag) : undefined;
      const r = await items.list({
        scope, mailboxId: q.mailboxId, folderId, archived: view === 'archived', unread: q.unread, tag: tag || undefined, q: q.q?.trim().slice(0, 200) || undefined, page, perPage,
      });
      return { ...r, page, perPage };
    },
    /** The principal's mailboxes with unread counts: Inbox, each folder, and the archive's total. */
    async mailboxes(p: Principal): Promise<MailboxCounts[]> {
      const scope = await scopeOf(p);
      const [boxes, fs, counts] = await Promise.all([folders.mailboxes(scope), folders.list(scope), items.counts(scope)]);
      // Archived rows come per folder (folder_id -1 each): sum whatever matches.
      const count = (m: number, f: number | null) => counts.filter((c) => c.mailbox_id === m && c.folder_id === f)
        .reduce((a, c) => ({ unread: a.unread + c.unread, total: a.total + c.total }), { unread: 0, total: 0 });
      return boxes.map((m) => ({
        ...m, unread: count(m.id, null).unread, total: count(m.id, null).total, archived: count(m.id, -1).total,
        folders: fs.filter((f) => f.mailbox_id === m.id).map((f) => ({ ...f, unread: count(m.id, f.id).unread, total: count(m.id, f.id).total })),
      }));
    },
    async get(p: Principal, id: number): Promise<InboxItemRow> { return (await reach(p, [id]))[0]!; },
    /** One item: read, folder (null: Inbox), archived, tags (the whole set). */
    async update(p: Principal, id: number, patch: ItemPatch): Promise<InboxItemRow> {
      const [row] = await reach(p, [id]);
      const at = now();
      if (patch.folderId !== undefined) await items.move([id], await target([row!], patch.folderId), at);
      const flags = { ...(patch.read !== undefined ? { read: patch.read } : {}), ...(patch.archived !== undefined ? { archived: patch.archived } : {}) };
      if (Object.keys(flags).length) await items.setFlags([id], flags, at);
      if (patch.tags !== undefined) {
        const tags = tagsOf(patch.tags);
        if (tags.length > TAGS_PER_ITEM) throw invalid([{ field: 'tags', message: `at most ${TAGS_PER_ITEM} tags per item`, key: 'inbox.err.tags' }]);
        await items.setTags(id, tags);
      }
      return (await items.get(id))!;
    },
    bulk,
    /** Throws 404 unless every item is in reach (pages check before their form action, which would flash a 404 as a form error). */
    async assertReach(p: Principal, ids: number[]): Promise<void> { if (ids.length) await reach(p, ids.slice(0, BULK_MAX)); },
    /** The items of one inbound message that this principal may see (the message page links to them). */
    async ofInbound(p: Principal, inboundId: number): Promise<InboxItemRow[]> {
      const scope = await scopeOf(p);
      return (await items.ofInbound(inboundId)).filter((r) => inScope(scope, r.mailbox_id));
    },

    mailbox,
    async folders(p: Principal, mailboxId: number): Promise<FolderRow[]> { await mailbox(p, mailboxId); return folders.list([mailboxId]); },
    folder: folderOf,
    async createFolder(p: Principal, mailboxId: number, input: { name?: unknown }): Promise<FolderRow> {
      await mailbox(p, mailboxId);
      const name = checkName(input.name);
      if (await folders.findByName(mailboxId, name)) throw conflict(`A folder named ${name} exists in this mailbox`);
      const id = await folders.ensure(mailboxId, name, now());
      log.info({ evt: 'inbox.folder_created', mailboxId, folderId: id }, 'folder created');
      return (await folders.get(id))!;
    },
    async updateFolder(p: Principal, mailboxId: number, folderId: number, input: { name?: unknown; position?: number }): Promise<FolderRow> {
      await folderOf(p, mailboxId, folderId);
      const patch: { name?: string; position?: number } = {};
      if (input.name !== undefined) {
        patch.name = checkName(input.name);
        const other = await folders.findByName(mailboxId, patch.name);
        if (other && other.id !== folderId) throw conflict(`A folder named ${patch.name} exists in this mailbox`);
      }
      if (input.position !== undefined) {
        if (!Number.isInteger(input.position) || input.position < 0 || input.position > 1_000_000) throw invalid([{ field: 'position', message: 'a whole number 0–1,000,000', key: 'inbox.err.position' }]);
        patch.position = input.position;
      }
      if (Object.keys(patch).length) await folders.update(folderId, patch, now());
      return (await folders.get(folderId))!;
    },
    /** Deletes a folder; its items go back to the Inbox. */
    async removeFolder(p: Principal, mailboxId: number, folderId: number): Promise<void> {
      await folderOf(p, mailboxId, folderId);
      await folders.remove(folderId, now());
      log.info({ evt: 'inbox.folder_removed', mailboxId, folderId }, 'folder removed');
    },
  };
}
export type InboxService = ReturnType<typeof inboxService>;
