/*
 * /api/v1/inbox and /api/v1/mailboxes/{id}/folders: the agents' inbox — items of the caller's
 * mailboxes (filters: mailbox, folder, view, unread, tag, q; newest first), the mailboxes with
 * unread counts, one item's PATCH, bulk actions, and folder CRUD. An agent's key acts as its
 * user; items and folders of other mailboxes answer 404.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { IdParams, errors, Nullable, Ms } from './schemas.js';
import { BULK_ACTIONS, BULK_MAX } from '../../routing/inbox/decide.js';
import type { InboxItemRow, FolderRow } from '../../routing/inbox/service.js';

const Item = Type.Object({
  id: Type.Integer(), inboundId: Type.Integer(), mailboxId: Type.Integer(), folderId: Nullable(Type.Integer({ description: 'null: the Inbox' })),
  read: Type.Boolean(), archived: Type.Boolean(), tags: Type.Array(Type.String()), subject: Type.String(), from: Type.String(),
  receivedAt: Ms(), caseId: Nullable(Type.Integer()),
});
const Folder = Type.Object({ id: Type.Integer(), mailboxId: Type.Integer(), name: Type.String(), position: Type.Integer() });
const Counted = { unread: Type.Integer(), total: Type.Integer() };
const MailboxCounts = Type.Object({
  id: Type.Integer(), address: Type.String(), name: Type.String(), kind: Type.String(), ...Counted, archived: Type.Integer(),
  folders: Type.Array(Type.Intersect([Folder, Type.Object(Counted)])),
});
const ListQ = Type.Object({
  mailboxId: Type.Optional(Type.Integer({ minimum: 1 })), folderId: Type.Optional(Type.Integer({ minimum: 1 })),
  view: Type.Optional(Type.Union([Type.Literal('inbox'), Type.Literal('archived'), Type.Literal('all')], { description: 'inbox (default; the folder when folderId), archived, or all not archived' })),
  unread: Type.Optional(Type.Boolean()), tag: Type.Optional(Type.String({ maxLength: 50 })), q: Type.Optional(Type.String({ maxLength: 200, description: 'subject or from contains' })),
  page: Type.Optional(Type.Integer({ minimum: 1 })), perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});
const Patch = Type.Object({
  read: Type.Optional(Type.Boolean()), folderId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'null: back to the Inbox' }))),
  archived: Type.Optional(Type.Boolean()), tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 20, description: 'the whole set' })),
}, { additionalProperties: false });
const Bulk = Type.Object({
  ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: BULK_MAX }),
  action: Type.Union(BULK_ACTIONS.map((a) => Type.Literal(a))),
  folderId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'move: the folder (null: the Inbox)' }))),
  tag: Type.Optional(Type.String({ maxLength: 50, description: 'tag, untag' })),
}, { additionalProperties: false });
const FolderParams = Type.Object({ id: Type.Integer({ minimum: 1 }), folderId: Type.Integer({ minimum: 1 }) });

const itemOut = (i: InboxItemRow) => ({
  id: i.id, inboundId: i.inbound_id, mailboxId: i.mailbox_id, folderId: i.folder_id, read: i.read, archived: i.archived, tags: i.tags,
  subject: i.subject, from: i.from_addr, receivedAt: i.at, caseId: i.case_id,
});
const folderOut = (f: FolderRow) => ({ id: f.id, mailboxId: f.mailbox_id, name: f.name, position: f.position });

export function inboxApi(app: Api, s: Services) {
  const tags = ['inbox'];
  app.get('/inbox', { schema: { tags, summary: 'Inbox items of the caller\'s mailboxes, newest first', querystring: ListQ,
    response: { 200: Type.Object({ items: Type.Array(Item), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }), ...errors(400, 404) } } },
  async (req) => {
    const p = await s.inbox.list(req.principal!, req.query);
    return { items: p.items.map(itemOut), total: p.total, page: p.page, perPage: p.perPage };
  });
  app.get('/inbox/mailboxes', { schema: { tags, summary: 'The caller\'s mailboxes with unread counts (Inbox, folders) and archived totals',
    response: { 200: Type.Object({ items: Type.Array(MailboxCounts) }) } } },
    async (req) => ({
      items: (await s.inbox.mailboxes(req.principal!)).map((m) => ({ ...m, folders: m.folders.map((f) => ({ ...folderOut(f), unread: f.unread, total: f.total })) })),
    }));
  app.get('/inbox/:id', { schema: { tags, summary: 'One inbox item', params: IdParams, response: { 200: Item, ...errors(404) } } },
    async (req) => itemOut(await s.inbox.get(req.principal!, req.params.id)));
  app.patch('/inbox/:id', { schema: { tags, summary: 'Mark read/unread, move (folderId null: Inbox), archive, set tags', params: IdParams, body: Patch, response: { 200: Item, ...errors(400, 404) } } },
    async (req) => itemOut(await s.inbox.update(req.principal!, req.params.id, req.body)));
  app.post('/inbox/bulk', { schema: { tags, summary: 'One action on many items (all of them in reach, or nothing changes: 404)', body: Bulk,
    response: { 200: Type.Object({ updated: Type.Integer() }), ...errors(400, 404) } } },
  async (req) => s.inbox.bulk(req.principal!, req.body));

  const ftags = ['inbox'];
  app.get('/mailboxes/:id/folders', { schema: { tags: ftags, summary: 'A mailbox\'s folders', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Folder) }), ...errors(404) } } },
    async (req) => ({ items: (await s.inbox.folders(req.principal!, req.params.id)).map(folderOut) }));
  app.post('/mailboxes/:id/folders', { schema: { tags: ftags, summary: 'Add a folder', params: IdParams, body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 191 }) }, { additionalProperties: false }),
    response: { 201: Folder, ...errors(400, 404, 409) } } },
  async (req, reply) => { reply.status(201); return folderOut(await s.inbox.createFolder(req.principal!, req.params.id, req.body)); });
  app.patch('/mailboxes/:id/folders/:folderId', { schema: { tags: ftags, summary: 'Rename or reorder a folder', params: FolderParams,
    body: Type.Object({
      name: Type.Optional(Type.String({ minLength: 1, maxLength: 191 })), position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    }, { additionalProperties: false }),
    response: { 200: Folder, ...errors(400, 404, 409) } } },
  async (req) => folderOut(await s.inbox.updateFolder(req.principal!, req.params.id, req.params.folderId, req.body)));
  app.delete('/mailboxes/:id/folders/:folderId', { schema: { tags: ftags, summary: 'Delete a folder (its items go back to the Inbox)', params: FolderParams,
    response: { 204: Type.Null(), ...errors(404) } } },
    async (req, reply) => { await s.inbox.removeFolder(req.principal!, req.params.id, req.params.folderId); return reply.status(204).send(null); });
}
