/*
 * Inbox pages (Inbound → Inbox, agents included): the caller's mailboxes with unread counts and
 * folders, the item list (search, unread, tag; checkboxes and bulk actions), folder add/rename/
 * delete, and an item page showing the message (the inbound page's sanitized HTML frame and text).
 * Opening an item from the list is a POST (its subject is a submit button) that marks it read and
 * redirects to the item page: no JavaScript, and a GET (a prefetch, a preview) never changes state.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser } from './session.js';
import { str, ids, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { principalOf } from '../../auth/access.js';
import { BULK_ACTIONS, type BulkAction } from '../../routing/inbox/decide.js';
import type { InboxView } from '../../routing/inbox/service.js';
import type { viewMessage as ViewMessage } from '../../inbound/view/render.js';
import { displayText } from '../../lib/display.js';

/** mailparser and sanitize-html load when someone first opens a message (as on the inbound pages). */
const viewMessage: typeof ViewMessage = async (raw) => (await import('../../inbound/view/render.js')).viewMessage(raw);

const num = (v?: string) => (v && /^[1-9]\d{0,15}$/.test(v) ? Number(v) : undefined);
const VIEWS: InboxView[] = ['inbox', 'archived', 'all'];
/** Where a list form goes back to: only a list URL of ours. */
const backTo = (b: Body) => { const v = str(b, 'back'); return /^\/admin\/inbox(\?[^\s]*)?$/.test(v) ? v : '/admin/inbox'; };

export function inboxUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  const who = (req: FastifyRequest) => principalOf(req.user!);
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);

  app.get('/inbox', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const view = VIEWS.includes(query.view as InboxView) ? query.view as InboxView : 'inbox';
    const mailboxId = num(query.mailbox), folderId = num(query.folder);
    const p = who(req);
    const page = await s.inbox.list(p, { mailboxId, folderId, view, unread: query.unread === '1', tag: query.tag || undefined, q: query.q || undefined, page: num(query.page), perPage: num(query.perPage) });
    const boxes = await s.inbox.mailboxes(p);
    const box = boxes.find((m) => m.id === mailboxId);
    const folder = box?.folders.find((f) => f.id === folderId);
    const qs = (over: Record<string, string | number | undefined>) => {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries({ mailbox: query.mailbox, folder: query.folder, view: query.view, unread: query.unread, tag: query.tag, q: query.q, ...over })) if (v !== undefined && v !== '') u.set(k, String(v));
      const x = u.toString();
      return x ? `/admin/inbox?${x}` : '/admin/inbox';
    };
    const pages = Math.max(1, Math.ceil(page.total / page.perPage));
    const links = { pages, prev: page.page > 1 ? qs({ page: page.page - 1 }) : null, next: page.page < pages ? qs({ page: page.page + 1 }) : null };
    const names = new Map(boxes.flatMap((m) => m.folders.map((f) => [f.id, f.name] as const)));
    return render(req, reply, 'pages/inbox/list.eta', {
      title: tr(req).t('inbox.title'), page, links, query, view, boxes, box, folder, self: qs({}), folderNames: names,
      // Folders a bulk move may file into: the selected mailbox's (items of several mailboxes move to their Inbox only).
      moveTargets: box ? box.folders : [], mailboxOf: new Map(boxes.map((m) => [m.id, m.address])), shown: displayText,
    });
  });

  app.post('/inbox/bulk', pre, async (req, reply) => {
    const b = req.body as Body;
    const to = backTo(b);
    const action = str(b, 'action') as BulkAction;
    if (!BULK_ACTIONS.includes(action)) return back(reply, to, tr(req).t('inbox.err.action'));
    const folder = str(b, 'folderId');
    // Another team's item is a 404 (as everywhere), not a form error.
    await s.inbox.assertReach(who(req), ids(b, 'ids'));
    return formAction(reply, {
      act: async () => s.inbox.bulk(who(req), { ids: ids(b, 'ids'), action, folderId: folder ? num(folder) ?? 0 : null, tag: str(b, 'tag') }),
      done: (r) => ({ to, flash: tr(req).t('inbox.flash.bulk', { n: r.updated }) }),
      retry: (fe) => back(reply, to, Object.values(fe.errors)[0] ?? fe.error),
    });
  });

  // Folder CRUD from the list page (a mailbox's folders are shared by everyone who sees the mailbox).
  app.post('/inbox/folders', pre, async (req, reply) => {
    const b = req.body as Body;
    const mailboxId = num(str(b, 'mailboxId')) ?? 0;
    const to = `/admin/inbox?mailbox=${mailboxId}`;
    await s.inbox.mailbox(who(req), mailboxId);
    return formAction(reply, {
      act: async () => s.inbox.createFolder(who(req), mailboxId, { name: str(b, 'name') }),
      done: (f) => ({ to: `${to}&folder=${f.id}`, flash: tr(req).t('inbox.flash.folderCreated') }),
      retry: (fe) => back(reply, to, Object.values(fe.errors)[0] ?? fe.error),
    });
  });
  app.post('/inbox/folders/:id', pre, async (req, reply) => {
    const b = req.body as Body;
    const mailboxId = num(str(b, 'mailboxId')) ?? 0;
    const folderId = idOf(req);
    const to = `/admin/inbox?mailbox=${mailboxId}`;
    await s.inbox.folder(who(req), mailboxId, folderId);
    if (str(b, 'action') === 'delete') {
      return formAction(reply, {
        act: () => s.inbox.removeFolder(who(req), mailboxId, folderId),
        done: () => ({ to, flash: tr(req).t('inbox.flash.folderDeleted') }),
        retry: (fe) => back(reply, to, Object.values(fe.errors)[0] ?? fe.error),
      });
    }
    return formAction(reply, {
      act: async () => s.inbox.updateFolder(who(req), mailboxId, folderId, { name: str(b, 'name') }),
      done: () => ({ to: `${to}&folder=${folderId}`, flash: tr(req).t('inbox.flash.folderRenamed') }),
      retry: (fe) => back(reply, `${to}&folder=${folderId}`, Object.values(fe.errors)[0] ?? fe.error),
    });
  });

  const show = async (req: FastifyRequest, reply: FastifyReply) => {
    const p = who(req);
    const item = await s.inbox.get(p, idOf(req));
    const box = (await s.inbox.mailboxes(p)).find((m) => m.id === item.mailbox_id)!;
    let view = null, viewError = null;
    try { view = await viewMessage(await s.inboundView.readRaw(item.inbound_id)); } catch (e) { viewError = (e as Error).message; }
    return render(req, reply, 'pages/inbox/item.eta', {
      title: displayText(item.subject) || tr(req).t('inbox.noSubject'), item, box, folder: box.folders.find((f) => f.id === item.folder_id) ?? null, view, viewError, shown: displayText,
    });
  };
  app.get('/inbox/:id', pre, show);
  // Opening an item from the list: marks it read, then shows it.
  app.post('/inbox/:id/open', pre, async (req, reply) => {
    const id = idOf(req);
    await s.inbox.bulk(who(req), { ids: [id], action: 'read' });
    return reply.redirect(`/admin/inbox/${id}`, 303);
  });
  app.post('/inbox/:id', pre, async (req, reply) => {
    const b = req.body as Body;
    const id = idOf(req);
    const action = str(b, 'action') as BulkAction;
    const to = `/admin/inbox/${id}`;
    if (!BULK_ACTIONS.includes(action)) return back(reply, to, tr(req).t('inbox.err.action'));
    const folder = str(b, 'folderId');
    await s.inbox.assertReach(who(req), [id]);
    return formAction(reply, {
      act: async () => s.inbox.bulk(who(req), { ids: [id], action, folderId: folder ? num(folder) ?? 0 : null, tag: str(b, 'tag') }),
      done: () => ({ to, flash: tr(req).t('inbox.flash.saved') }),
      retry: (fe) => back(reply, to, Object.values(fe.errors)[0] ?? fe.error),
    });
  });
}
