/*
 * The `links` route hook (after cases): links every routed message to the records holding its
 * From/To/Cc addresses and to each linked contact's account, then notifies the followers of
 * those records and of the message's case (its assignee follows it) once per message, unless
 * a filter said "no notification", the mail is automatic or it is old mail imported in bulk.
 * Also the reads of the pages: a message's linked records, a record's messages.
 */
import type { Ctx } from '../../context.js';
import { rootOf, type StepContext } from '../../inbound/pipeline/steps.js';
import type { NotificationsService } from '../../notifications/service.js';
import { linksRepo, type LinkedMessage, type MessageLink } from '../../db/repos/links/links.js';
import { linkRows, notifyTargets, quietReason, type LinkRecordType } from './logic.js';
import { messageHolders } from '../holders.js';
import { ROUTED_CASE, sharedValue, type RoutedCase } from '../perMessage.js';

export interface LinksDeps {
  ctx: Ctx;
  notifications: Pick<NotificationsService, 'notify'>;
  /** The routed message's case: its subject and assignee. */
  caseOf(id: number): Promise<{ id: number; subject: string; assigned_user_id: number | null } | undefined>;
}
const HOUR = 3_600_000;

/** Keys seen, at most `max` (the oldest goes first). */
function boundedSet(max: number) {
  const seen = new Set<string>();
  return {
    has: (k: string) => seen.has(k),
    add(k: string) { if (seen.has(k)) return; if (seen.size >= max) seen.delete(seen.values().next().value!); seen.add(k); },
  };
}

export function linksService(s: LinksDeps) {
  const repo = linksRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'routing.links' });
  const oldMs = () => (s.ctx.config.notifications?.oldMailHours ?? 24) * HOUR;
  // An assignee's automatic follow is an insert-ignore whose row then stays (unfollowing keeps it):
  // made once per case and assignee in this process, not once per message of the case.
  const followed = boundedSet(10_000);

  return {
    repo,
    /** The route hook; answers undefined when the message has no link and notifies nobody. */
    async route(c: StepContext): Promise<unknown> {
      const r = c.routing ?? {};
      if (r.skip) return undefined;
      const h = rootOf(c).headers;
      // Read by the cases hook already when it opened a case.
      const { from, roles, holders } = await messageHolders(c, repo.holders);
      const links = linkRows(holders, roles);
      const now = s.ctx.clock.now();

      const caseId = r.caseId ?? null;
      // The case the cases hook opened or joined for this message, else read.
      const handed = caseId !== null ? await sharedValue<RoutedCase>(c, ROUTED_CASE) : undefined;
      const cs = caseId !== null ? (handed?.id === caseId ? handed : await s.caseOf(caseId)) : undefined;
      // As EspoCRM does: the assignee follows the case (unless they unfollowed it).
      const follow = cs?.assigned_user_id && !followed.has(`${cs.assigned_user_id}:${cs.id}`) ? { userId: cs.assigned_user_id, caseId: cs.id } : undefined;

      const quiet = quietReason({ noNotify: r.noNotify, kind: c.kind ?? c.msg.kind, listener: c.msg.listener, bulk: c.msg.bulk, date: h.get('date'), receivedAt: Number(c.msg.received_at), oldMs: oldMs() });
      const targets = quiet ? [] : [...links.filter((l) => l.recordType !== 'user').map((l) => ({ type: l.recordType as 'account' | 'contact' | 'lead', id: l.recordId })),
        ...(cs ? [{ type: 'case' as const, id: cs.id }] : [])];
      const senderUserIds = new Set(holders.filter((x) => x.type === 'user' && x.address === from && roles.has(from)).map((x) => x.id));
      // Only the case to notify of (no linked record): its followers' notifications are written by the same round trip
      // (one statement per follower rather than notifyTargets' choice between a case and records: there is none).
      const caseTitle = cs ? `[#${cs.id}] ${cs.subject}` : '';
      const notifyCase = cs && targets.length === 1 ? { caseId: cs.id, title: caseTitle, exceptUserIds: [...senderUserIds] } : undefined;
      // The links, the follow and the followers: one round trip (the follow is made before the read, so the assignee is notified).
      const { follows, notified } = await repo.routed(c.msg.id, links, now, { follow, followersOf: targets, notifyCase });
      if (follow) followed.add(`${follow.userId}:${follow.caseId}`);
      if (quiet) {
        log.debug({ evt: 'links.quiet', inboundId: c.msg.id, reason: quiet }, 'no notifications');
        return { links: links.length, quiet };
      }
      const who = notifyTargets({ follows, caseId: cs?.id ?? null, links, senderUserIds });
      if (!who.length) return links.length ? { links: links.length, notified: 0 } : undefined;
      // Who wants e-mail was read with the follows: the notifications need no read of their own.
      const emailTo = new Map(follows.flatMap((f) => (f.emailTo ? [[f.userId, f.emailTo] as const] : [])));
      if (notifyCase && !who.some((w) => emailTo.has(w.userId))) {
        if (notified) log.info({ evt: 'notifications.created', inboundId: c.msg.id, created: notified, emailed: 0 }, 'followers notified');
        return { links: links.length, notified, emailed: 0 };
      }
      const names = await repo.names(who.flatMap((w) => (w.kind === 'record-mail' && w.recordType ? [{ type: w.recordType, id: w.recordId! }] : [])));
      // With notifyCase written already, notify's insert keeps them as they are and queues the e-mails.
      const out = await s.notifications.notify(c.msg.id, who.map((w) => ({
        user_id: w.userId, kind: w.kind, inbound_id: c.msg.id, case_id: w.caseId, record_type: w.recordType, record_id: w.recordId,
        title: w.kind === 'case-mail' && cs ? caseTitle : names.get(`${w.recordType}:${w.recordId}`) || `#${w.recordId}`,
      })), emailTo);
      return { links: links.length, notified: notified + out.created, emailed: out.emailed };
    },
    /** The records a message is linked to, with their names. */
    ofMessage: (inboundId: number): Promise<MessageLink[]> => repo.ofMessage(inboundId),
    /** A record's messages, newest first ("emails of this contact"); `mailboxIds` narrows for agents. */
    async messagesOf(type: LinkRecordType, id: number, o: { page?: number; perPage?: number; mailboxIds?: number[] } = {})
      : Promise<{ items: LinkedMessage[]; total: number; page: number; perPage: number }> {
      const perPage = Math.min(200, Math.max(1, o.perPage ?? 50));
      const page = Math.max(1, o.page ?? 1);
      return { ...(await repo.messagesOf(type, id, { limit: perPage, offset: (page - 1) * perPage, mailboxIds: o.mailboxIds })), page, perPage };
    },
  };
}
export type LinksService = ReturnType<typeof linksService>;
