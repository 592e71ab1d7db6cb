/*
 * Writes: notifications, notification_settings. Reads: those, users, inbound_messages, domains.
 * In-app notifications: written once per message and follower (unique user_id + inbound_id, so
 * a re-routed message adds nothing), the list and unread count of a user, marking read, and
 * each user's "notify me by email" preference.
 */
import type { Db } from '../../connect.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import { inList, insertIgnore, readExec } from '../../exec.js';

export interface NewNotification {
  user_id: number; kind: string; inbound_id: number; case_id: number | null; record_type: string | null; record_id: number | null; title: string;
}
export interface NotificationRow extends NewNotification {
  id: number; read_at: number | null; created_at: number; subject: string | null; from_addr: string | null;
}

const toRow = (r: DbRow): NotificationRow => ({
  id: Number(r.id), user_id: Number(r.user_id), kind: String(r.kind), inbound_id: Number(r.inbound_id), case_id: numOrNull(r.case_id),
  record_type: strOrNull(r.record_type), record_id: numOrNull(r.record_id), title: String(r.title ?? ''), read_at: numOrNull(r.read_at),
  created_at: Number(r.created_at), subject: strOrNull(r.subject), from_addr: strOrNull(r.from_addr),
});

/**
 * Notifies the followers of a case of one of its messages ('case-mail', titled `title`): every active
 * follow of the case by an active user, as followersStatement (links/follows.ts) reads them, but the
 * users in `exceptUserIds` (who sent it). Once per user and message (the unique key: a row a user has
 * already is kept). For a message whose only notify target is its case (no linked record), the links
 * hook runs it in the round trip that reads the followers (linksRepo.routed): the separate insert
 * after that read was one round trip for 0.7 of the drain's messages (the links hook's round trips
 * 1.8 → 1.0 per message with the holders read by the cases hook, bench/routing-drain.sh).
 */
export function caseMailStatement(dialect: Db['dialect'], o: { inboundId: number; caseId: number; title: string; now: number; exceptUserIds: readonly number[] }) {
  const mysql = dialect === 'mysql';
  return {
    sql: `INSERT${mysql ? ' IGNORE' : ''} INTO notifications (user_id, kind, inbound_id, case_id, record_type, record_id, title, read_at, created_at)`
      + " SELECT f.user_id, 'case-mail', ?, ?, NULL, NULL, ?, NULL, ? FROM follows f JOIN users u ON u.id = f.user_id"
      + " WHERE f.active = 1 AND u.active = 1 AND f.target_type = 'case' AND f.target_id = ?"
      + (o.exceptUserIds.length ? ` AND f.user_id NOT IN (${inList(o.exceptUserIds.length)})` : '')
      // SQLite: the WHERE above keeps ON CONFLICT from being read as a join's ON.
      + (mysql ? '' : ' ON CONFLICT DO NOTHING'),
    params: [o.inboundId, o.caseId, o.title.slice(0, 500), o.now, o.caseId, ...o.exceptUserIds],
  };
}

export function notificationsRepo(db: Db) {
  const k = db.knex;
  const withMessage = () => k('notifications as n').leftJoin('inbound_messages as m', 'm.id', 'n.inbound_id').select('n.*', 'm.subject', 'm.from_addr');
  return {
    /**
     * Inserts the notifications of one message (those a user has already are skipped). Answers
     * how many were new and the addresses of these users who want notifications by email (as
     * `emailAddresses`): `emailTo` when the caller read them already (routing reads them with the
     * follows), else read in the same statement as the users' earlier notifications.
     */
    async add(inboundId: number, rows: NewNotification[], now: number, emailTo?: ReadonlyMap<number, string>): Promise<{ inserted: number; emailTo: Map<number, string> }> {
      if (!rows.length) return { inserted: 0, emailTo: new Map() };
      const insert = (fresh: NewNotification[]) => readExec(db, (x) => x.run(
        insertIgnore(db.dialect, 'notifications', ['user_id', 'kind', 'inbound_id', 'case_id', 'record_type', 'record_id', 'title', 'read_at', 'created_at'],
          fresh.map(() => '(?, ?, ?, ?, ?, ?, ?, NULL, ?)').join(', ')),
        fresh.flatMap((r) => [r.user_id, r.kind, r.inbound_id, r.case_id, r.record_type, r.record_id, r.title.slice(0, 500), now])));
      if (emailTo) {
        // One statement: a row a user has already (unique user and message) is ignored, and only new rows count.
        const users = new Set(rows.map((r) => r.user_id));
        return { inserted: (await insert(rows)).changes, emailTo: new Map([...emailTo].filter(([id]) => users.has(id))) };
      }
      const users = rows.map((r) => r.user_id);
      // Once per routed message with followers: plain SQL as cached prepared statements (db/exec.ts), not knex builds.
      const state = await readExec(db, (x) => x.all(`SELECT u.id, u.email, u.active, (SELECT n.user_id FROM notifications n WHERE n.inbound_id = ? AND n.user_id = u.id LIMIT 1) AS had,`
        + ` (SELECT s.email FROM notification_settings s WHERE s.user_id = u.id LIMIT 1) AS wants FROM users u WHERE u.id IN (${inList(users.length)})`, [inboundId, ...users]));
      const had = new Set(state.filter((r) => r.had !== null && r.had !== undefined).map((r) => Number(r.id)));
      const fresh = rows.filter((r) => !had.has(r.user_id));
      if (fresh.length) await insert(fresh);
      const wants = new Map(state.filter((r) => Boolean(r.wants) && Boolean(r.active) && r.email !== null && String(r.email).includes('@'))
        .map((r) => [Number(r.id), String(r.email)]));
      return { inserted: fresh.length, emailTo: wants };
    },
    /** Every notification of one message for these users (new and earlier ones alike), with the message's subject and sender. */
    async ofMessage(inboundId: number, userIds: number[]): Promise<NotificationRow[]> {
      if (!userIds.length) return [];
      return (await withMessage().where('n.inbound_id', inboundId).whereIn('n.user_id', userIds).orderBy('n.id')).map(toRow);
    },
    async list(userId: number, o: { unread?: boolean; limit: number; offset: number }): Promise<{ items: NotificationRow[]; total: number }> {
      const base = k('notifications as n').where('n.user_id', userId);
      if (o.unread) base.whereNull('n.read_at');
      const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
      const items = (await withMessage().where('n.user_id', userId).modify((q) => { if (o.unread) q.whereNull('n.read_at'); })
        .orderBy('n.id', 'desc').limit(o.limit).offset(o.offset)).map(toRow);
      return { items, total };
    },
    async unreadCount(userId: number): Promise<number> {
      return Number((await k('notifications').where({ user_id: userId }).whereNull('read_at').count({ n: '*' }).first())?.n ?? 0);
    },
    /** Marks some (ids) or all of a user's notifications read; answers how many changed. */
    async markRead(userId: number, ids: number[] | 'all', now: number): Promise<number> {
      const q = k('notifications').where({ user_id: userId }).whereNull('read_at');
      if (ids !== 'all') { if (!ids.length) return 0; q.whereIn('id', ids); }
      return Number(await q.update({ read_at: now }));
    },
    async emailPref(userId: number): Promise<boolean> {
      return Boolean((await k('notification_settings').where({ user_id: userId }).first('email'))?.email);
    },
    async setEmailPref(userId: number, on: boolean, now: number): Promise<void> {
      await k('notification_settings').insert({ user_id: userId, email: on, updated_at: now }).onConflict('user_id').merge({ email: on, updated_at: now });
    },
    /** The primary local domain (the oldest active one): the From domain of notification e-mails by default. */
    async primaryDomain(): Promise<string | null> {
      const r = await k('domains').where({ kind: 'local', active: true }).orderBy('id').first('name');
      return r ? String(r.name) : null;
    },
    /** The addresses of the users among these who want notifications by email (and have an address). */
    async emailAddresses(userIds: number[]): Promise<Map<number, string>> {
      if (!userIds.length) return new Map();
      const rows = await k('notification_settings as s').join('users as u', 'u.id', 's.user_id').whereIn('s.user_id', userIds).where('s.email', true).where('u.active', true)
        .whereNotNull('u.email').select('u.id', 'u.email');
      return new Map(rows.filter((r: DbRow) => String(r.email).includes('@')).map((r: DbRow) => [Number(r.id), String(r.email)]));
    },
  };
}
export type NotificationsRepo = ReturnType<typeof notificationsRepo>;
