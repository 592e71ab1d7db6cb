/*
 * In-app notifications of followers: written once per message and user, listed with an unread
 * count, marked read; and, for users who chose it, one short e-mail per notification queued
 * through outbound/enqueue (unique key per notification, so a re-run queues nothing twice).
 */
import type { EnqueueDeps, EnqueueFn } from '../outbound/enqueue.js';
import type { AccountsService } from '../outbound/accounts/service.js';
import { notificationsRepo, type NewNotification, type NotificationRow } from '../db/repos/notifications/notifications.js';
import { invalid } from '../errors.js';
import { notificationMail, notificationSender, type TargetKind } from './email.js';

export interface NotificationsDeps extends EnqueueDeps { accounts: Pick<AccountsService, 'senderAccounts'> }
export type { NotificationRow };

export function notificationsService(s: NotificationsDeps, enqueue: EnqueueFn) {
  const repo = notificationsRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'notifications' });
  const now = () => s.ctx.clock.now();
  const base = () => s.ctx.config.publicUrl.replace(/\/$/, '');

  /** Queues the e-mail of each notification (of one message, to these users) whose user wants them; a failure is logged, never fails routing. */
  async function email(inboundId: number, to: Map<number, string>): Promise<number> {
    if (!to.size) return 0;
    // The rows (their ids key the e-mails) are read only for the users who want e-mail.
    const rows = await repo.ofMessage(inboundId, [...to.keys()]);
    const sender = notificationSender(await s.accounts.senderAccounts(), {
      configured: s.ctx.config.notifications?.fromAddress, localDomain: await repo.primaryDomain(), host: s.ctx.config.smtp.hostname || 'localhost',
    });
    if (!sender) { log.warn({ evt: 'notifications.no_account' }, 'no active upstream account: notification e-mails not queued'); return 0; }
    let queued = 0;
    for (const r of rows) {
      const address = to.get(r.user_id);
      if (!address) continue;
      const target: TargetKind = r.kind === 'case-mail' ? 'case' : (r.record_type as TargetKind);
      const m = notificationMail({ target, title: r.title, subject: r.subject, sender: r.from_addr, url: `${base()}/admin/inbound/${r.inbound_id}` });
      try {
        const q = await enqueue(s, {
          message: {
            source: 'notification', account_id: sender.account.id, message_type_id: sender.account.message_type_id, from_addr: sender.from, from_name: 'Postern',
            reply_to: null, subject: m.subject, html: null, text: m.text, bulk: false, created_by: null, send_at: null,
            headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
          },
          recipients: [{ address, kind: 'to' }],
          uniqueKeyPrefix: `notification:${r.id}`,
        });
        queued += q.queued;
      } catch (e) {
        log.error({ evt: 'notifications.email_failed', notificationId: r.id, err: e }, 'notification e-mail not queued');
      }
    }
    return queued;
  }

  return {
    repo,
    /**
     * Writes one message's notifications (once per user) and queues their e-mails. `emailTo`: the
     * addresses of the users who want e-mail, when the caller has read them (else they are read here).
     */
    async notify(inboundId: number, rows: NewNotification[], emailTo?: ReadonlyMap<number, string>): Promise<{ created: number; emailed: number }> {
      const r = await repo.add(inboundId, rows, now(), emailTo);
      const emailed = await email(inboundId, r.emailTo);
      if (r.inserted) log.info({ evt: 'notifications.created', inboundId, created: r.inserted, emailed }, 'followers notified');
      return { created: r.inserted, emailed };
    },
    async list(userId: number, o: { unread?: boolean; page?: number; perPage?: number } = {}) {
      const perPage = Math.min(200, Math.max(1, o.perPage ?? 50));
      const page = Math.max(1, o.page ?? 1);
      const { items, total } = await repo.list(userId, { unread: o.unread, limit: perPage, offset: (page - 1) * perPage });
      return { items, total, unread: await repo.unreadCount(userId), page, perPage };
    },
    unreadCount: (userId: number) => repo.unreadCount(userId),
    /** Marks the given notifications (or all) of this user read. */
    async markRead(userId: number, o: { ids?: number[]; all?: boolean }): Promise<number> {
      if (!o.all && !o.ids?.length) throw invalid([{ field: 'ids', message: 'give ids or all: true', key: 'notifications.err.nothing' }]);
      return repo.markRead(userId, o.all ? 'all' : o.ids!, now());
    },
  };
}
export type NotificationsService = ReturnType<typeof notificationsService>;
