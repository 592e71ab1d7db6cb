/*
 * Notifications page (Overview): the signed-in user's notifications (all or unread), mark one
 * or all read, and the "notify me by email" preference; the Follow/Unfollow buttons of record
 * and case pages post here; every page's header shows the unread count (reply.locals).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, tr } from './render.js';
import { requireUser, flash } from './session.js';
import { str, bool, ids, type Body } from './forms.js';
import { back } from './formAction.js';
import { notFound } from '../../errors.js';
import { mailboxIdsOf, principalOf } from '../../auth/access.js';
import { TYPE_OF_PLURAL } from '../../records/types.js';

export function notificationsUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  // The unread count in the layout's header: one indexed count per page a signed-in user opens.
  // @fastify/view merges `reply.locals` (set per request by the plugin, untyped) into every view's data.
  app.addHook('preHandler', async (req, reply) => {
    const r = reply as unknown as { locals?: Record<string, unknown> | null };
    if (req.user && req.method === 'GET' && r.locals) r.locals.unreadNotifications = await s.notifications.unreadCount(req.user.id);
  });

  app.get('/notifications', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const unread = query.unread === '1';
    const n = (v?: string) => (v && /^\d+$/.test(v) ? Number(v) : undefined);
    const p = await s.notifications.list(req.user!.id, { unread, page: n(query.page), perPage: n(query.perPage) });
    const kept = unread ? { unread: '1' } : {};
    return render(req, reply, 'pages/notifications/list.eta', {
      title: tr(req).t('notifications.title'), page: p, query: kept, links: listLinks('/admin/notifications', kept, { ...p, sort: 'id', dir: 'desc' }),
      email: await s.prefs.notifyByEmail(req.user!.id), hasAddress: Boolean(req.user!.email),
    });
  });
  app.post('/notifications/read', pre, async (req, reply) => {
    const b = req.body as Body;
    const all = str(b, 'all') === '1';
    const chosen = ids(b, 'ids');
    if (!all && !chosen.length) return back(reply, '/admin/notifications', tr(req).t('notifications.err.nothing'));
    const n = await s.notifications.markRead(req.user!.id, all ? { all: true } : { ids: chosen });
    flash(reply, 'ok', tr(req).t('notifications.flash.read', { count: n }));
    return reply.redirect(str(b, 'unread') === '1' ? '/admin/notifications?unread=1' : '/admin/notifications', 303);
  });
  app.post('/notifications/settings', pre, async (req, reply) => {
    const on = bool(req.body as Body, 'email');
    await s.prefs.setNotifyByEmail(req.user!.id, on);
    flash(reply, 'ok', tr(req).t(on ? 'notifications.flash.emailOn' : 'notifications.flash.emailOff'));
    return reply.redirect('/admin/notifications', 303);
  });

  // Follow / Unfollow buttons (record and case pages): back to the page with a flash.
  const follow = async (req: FastifyRequest, type: string, id: number, here: string) => {
    const on = str(req.body as Body, 'action') !== 'unfollow';
    const scope = mailboxIdsOf(await s.access.scopeOf(principalOf(req.user!)));
    if (on) await s.follows.follow(req.user!.id, type, id, scope); else await s.follows.unfollow(req.user!.id, type, id, scope);
    return { here, on };
  };
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  app.post('/records/:type/:id/follow', pre, async (req, reply) => {
    const plural = (req.params as { type: string }).type;
    const type = TYPE_OF_PLURAL[plural];
    if (!type) throw notFound('Page');
    const r = await follow(req, type, idOf(req), `/admin/records/${plural}/${idOf(req)}`);
    flash(reply, 'ok', tr(req).t(r.on ? 'follows.flash.followed' : 'follows.flash.unfollowed'));
    return reply.redirect(r.here, 303);
  });
  app.post('/cases/:id/follow', pre, async (req, reply) => {
    const r = await follow(req, 'case', idOf(req), `/admin/cases/${idOf(req)}`);
    flash(reply, 'ok', tr(req).t(r.on ? 'follows.flash.followed' : 'follows.flash.unfollowed'));
    return reply.redirect(r.here, 303);
  });
}
