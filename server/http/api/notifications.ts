/*
 * /api/v1/notifications: the caller's in-app notifications (followed records and cases) with
 * the unread count, marking read, and the "notify me by email" preference. A key acts for its
 * user; an admin key may name another user with `userId` (a key made by the CLI must).
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { errors, Ms, Nullable } from './schemas.js';
import { AppError, invalid } from '../../errors.js';
import type { Principal } from '../../auth/access.js';
import type { NotificationRow } from '../../notifications/service.js';

/** The user an API call acts for: the key's user, or (admins only) the one named by `userId`. */
export function userOf(p: Principal | undefined, userId: number | undefined): number {
  if (userId !== undefined && userId !== p?.userId) {
    if (p?.role !== 'admin') throw new AppError('forbidden', 'Only an admin key may act for another user');
    return userId;
  }
  if (!p?.userId) throw invalid([{ field: 'userId', message: 'this API key belongs to no user: give userId' }]);
  return p.userId;
}
export const UserIdField = Type.Optional(Type.Integer({ minimum: 1, description: 'admins: act for this user (default: the key\'s user)' }));

const Notification = Type.Object({
  id: Type.Integer(), kind: Type.String({ description: 'case-mail | record-mail' }), title: Type.String({ description: 'the followed case or record' }),
  inboundId: Nullable(Type.Integer()), caseId: Nullable(Type.Integer()), recordType: Nullable(Type.String()), recordId: Nullable(Type.Integer()),
  subject: Nullable(Type.String()), fromAddr: Nullable(Type.String()), read: Type.Boolean(), readAt: Nullable(Ms()), createdAt: Ms(),
});
const NotificationPage = Type.Object({ items: Type.Array(Notification), total: Type.Integer(), unread: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() });
export const notificationOut = (n: NotificationRow) => ({
  id: n.id, kind: n.kind, title: n.title, inboundId: n.inbound_id, caseId: n.case_id, recordType: n.record_type, recordId: n.record_id,
  subject: n.subject, fromAddr: n.from_addr, read: n.read_at !== null, readAt: n.read_at, createdAt: n.created_at,
});

export function notificationsApi(app: Api, s: Services) {
  const tags = ['notifications'];
  app.get('/notifications', {
    schema: { tags, summary: 'The caller\'s notifications, newest first, with the unread count',
      querystring: Type.Object({
        unread: Type.Optional(Type.Boolean()), page: Type.Optional(Type.Integer({ minimum: 1 })),
        perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })), userId: UserIdField,
      }),
      response: { 200: NotificationPage, ...errors(400, 403) } },
  }, async (req) => {
    const p = await s.notifications.list(userOf(req.principal, req.query.userId), req.query);
    return { ...p, items: p.items.map(notificationOut) };
  });
  app.post('/notifications/read', {
    schema: { tags, summary: 'Mark notifications read: the given ids, or all',
      body: Type.Object({
        ids: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { maxItems: 1000 })), all: Type.Optional(Type.Boolean()), userId: UserIdField,
      }, { additionalProperties: false }),
      response: { 200: Type.Object({ marked: Type.Integer(), unread: Type.Integer() }), ...errors(400, 403) } },
  }, async (req) => {
    const user = userOf(req.principal, req.body.userId);
    const marked = await s.notifications.markRead(user, req.body);
    return { marked, unread: await s.notifications.unreadCount(user) };
  });
  const Settings = Type.Object({ email: Type.Boolean({ description: 'also notify by e-mail (to the user\'s address); default off' }) });
  app.get('/notifications/settings', { schema: { tags, summary: 'The caller\'s notification preference', querystring: Type.Object({ userId: UserIdField }), response: { 200: Settings, ...errors(400, 403) } } },
    async (req) => ({ email: await s.prefs.notifyByEmail(userOf(req.principal, req.query.userId)) }));
  app.put('/notifications/settings', {
    schema: { tags, summary: 'Set the caller\'s notification preference', body: Type.Object({ email: Type.Boolean(), userId: UserIdField }, { additionalProperties: false }), response: { 200: Settings, ...errors(400, 403) } },
  }, async (req) => {
    const user = userOf(req.principal, req.body.userId);
    await s.prefs.setNotifyByEmail(user, req.body.email);
    return { email: req.body.email };
  });
}
