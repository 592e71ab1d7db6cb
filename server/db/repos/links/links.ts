/*
 * Writes: message_links, follows (a routed message's, see `routed`, which also runs the notifications
 * owner's case-mail statement).
 * Reads: message_links, follows, records, record_emails, email_addresses, users, mailboxes, inbound_messages, inbound_recipients.
 * Links of inbound messages to the records that hold their addresses: who holds an address
 * (records by their shared address rows; users by their own address and personal mailboxes),
 * the links a routed message made (written once: primary key per message and record) and the
 * reads of the pages ("linked records" of a message, "emails" of a record).
 */
import type { Db } from '../../connect.js';
import { numOrNull, strOrNull, type DbRow } from '../../row.js';
import { inList, insertIgnore, readExec, valuesList } from '../../exec.js';
import { autoFollowStatement, followersStatement, toFollow, type Follow, type FollowTargetType } from './follows.js';
import { caseMailStatement } from '../notifications/notifications.js';

export type LinkRole = 'from' | 'to' | 'cc' | 'account-of-contact';
export type LinkRecordType = 'account' | 'contact' | 'lead' | 'user';
/** A record (or user) that holds one of the message's addresses. */
export interface Holder { type: LinkRecordType; id: number; address: string; accountId: number | null }
export interface LinkRow { recordType: LinkRecordType; recordId: number; role: LinkRole }

export interface MessageLink { recordType: LinkRecordType; recordId: number; role: LinkRole; name: string }
export interface LinkedMessage { inboundId: number; role: LinkRole; subject: string | null; fromAddr: string | null; kind: string | null; receivedAt: number }

const personName = (r: DbRow) => String(r.name || [r.first_name, r.last_name].filter(Boolean).join(' ') || '');

/**
 * The read of the records and active users holding any of these (lower-case) addresses, or null for
 * none; rows: `toHolder`. One statement: records by their shared addresses, active users by their own
 * address, and the owners of personal mailboxes (UNION ALL keeps each part's rows, in this order). Plain
 * SQL as a cached prepared statement (db/exec.ts): once per routed message, knex's build of it cost more
 * than the read. Also run by the cases hook in its first round trip (casesRepo.routeReads).
 */
export function holdersStatement(addresses: string[]): { sql: string; params: string[] } | null {
  if (!addresses.length) return null;
  const list = [...new Set(addresses.map((a) => a.slice(0, 320)))].slice(0, 500);
  const ins = inList(list.length);
  return {
    sql: `SELECT r.id, r.type, r.account_id, ea.address, 1 AS part FROM email_addresses ea JOIN record_emails re ON re.email_id = ea.id JOIN records r ON r.id = re.record_id WHERE ea.address IN (${ins})`
      // users.email is stored as typed: compared lower-cased (the users table is small).
      + ` UNION ALL SELECT id, 'user', NULL, LOWER(email), 2 FROM users WHERE LOWER(email) IN (${ins}) AND active = 1`
      + ` UNION ALL SELECT user_id, 'user', NULL, address, 3 FROM mailboxes WHERE address IN (${ins}) AND user_id IS NOT NULL ORDER BY part`,
    params: [...list, ...list, ...list],
  };
}
export const toHolder = (r: DbRow): Holder => (Number(r.part) !== 1
  ? { type: 'user', id: Number(r.id), address: String(r.address).toLowerCase(), accountId: null }
  : { type: String(r.type) as LinkRecordType, id: Number(r.id), address: String(r.address).toLowerCase(), accountId: numOrNull(r.account_id) });

export function linksRepo(db: Db) {
  const k = db.knex;
  return {
    /** Records and active users holding any of these (lower-case) addresses. */
    async holders(addresses: string[]): Promise<Holder[]> {
      const st = holdersStatement(addresses);
      return st ? (await readExec(db, (x) => x.all(st.sql, st.params))).map(toHolder) : [];
    },
    /**
     * What the links hook writes and reads for a routed message, on MariaDB in one round trip
     * (Exec.batch, each statement committed on its own as before): its links (rows it has already are
     * kept as they are), the automatic follow of its case's assignee, then the follows of `targets`
     * (the assignee's new follow among them) and, with `notifyCase`, the notifications of the case's
     * followers (notifications.ts caseMailStatement; `notified`: how many were new). Three round trips
     * before, for a message that opened a case, and one more for its notifications.
     */
    async routed(inboundId: number, rows: LinkRow[], now: number, o: {
      follow?: { userId: number; caseId: number }; followersOf?: Array<{ type: FollowTargetType; id: number }>;
      notifyCase?: { caseId: number; title: string; exceptUserIds: number[] };
    } = {}): Promise<{ follows: Follow[]; notified: number }> {
      const targets = o.followersOf ?? [];
      const statements: Array<{ sql: string; params: readonly unknown[] }> = [
        ...(rows.length ? [{ sql: insertIgnore(db.dialect, 'message_links', ['inbound_id', 'record_type', 'record_id', 'role', 'created_at'], valuesList(rows.length, 5)),
          params: rows.flatMap((r) => [inboundId, r.recordType, r.recordId, r.role, now]) }] : []),
        ...(o.follow ? [autoFollowStatement(db.dialect, o.follow.userId, 'case', o.follow.caseId, now)] : []),
      ];
      const read = targets.length ? statements.push(followersStatement(targets)) - 1 : -1;
      const notify = o.notifyCase ? statements.push(caseMailStatement(db.dialect, { inboundId, now, ...o.notifyCase })) - 1 : -1;
      if (!statements.length) return { follows: [], notified: 0 };
      const out = await readExec(db, (x) => x.batch(statements));
      return { follows: read >= 0 ? out[read]!.rows.map(toFollow) : [], notified: notify >= 0 ? out[notify]!.changes : 0 };
    },
    /** The links of a message with each record's display name (a removed record is left out). */
    async ofMessage(inboundId: number): Promise<MessageLink[]> {
      const rows = await k('message_links as l').leftJoin('records as r', (j) => j.on('r.id', 'l.record_id').andOnVal('l.record_type', '<>', 'user'))
        .leftJoin('users as u', (j) => j.on('u.id', 'l.record_id').andOnVal('l.record_type', '=', 'user'))
        .where('l.inbound_id', inboundId)
        .select('l.record_type', 'l.record_id', 'l.role', 'r.name', 'r.first_name', 'r.last_name', 'r.id as rid', { uname: 'u.name', uusername: 'u.username', uid: 'u.id' })
        .orderBy([{ column: 'l.record_type' }, { column: 'l.record_id' }]);
      return rows.filter((r: DbRow) => (r.record_type === 'user' ? r.uid : r.rid) !== null && (r.record_type === 'user' ? r.uid : r.rid) !== undefined).map((r: DbRow) => ({
        recordType: String(r.record_type) as LinkRecordType, recordId: Number(r.record_id), role: String(r.role) as LinkRole,
        name: r.record_type === 'user' ? String(r.uname || r.uusername || '') : personName(r),
      }));
    },
    /** A record's messages, newest first; `mailboxIds` narrows to mail addressed to those mailboxes (agents). */
    async messagesOf(type: LinkRecordType, id: number, o: { limit: number; offset?: number; mailboxIds?: number[] }): Promise<{ items: LinkedMessage[]; total: number }> {
      const base = k('message_links as l').join('inbound_messages as m', 'm.id', 'l.inbound_id').where({ 'l.record_type': type, 'l.record_id': id });
      if (o.mailboxIds) base.whereIn('l.inbound_id', k('inbound_recipients').select('message_id').whereIn('mailbox_id', o.mailboxIds.length ? o.mailboxIds : [0]));
      const total = Number((await base.clone().count({ n: '*' }).first())?.n ?? 0);
      const rows = await base.select('l.inbound_id', 'l.role', 'm.subject', 'm.from_addr', 'm.kind', 'm.received_at')
        .orderBy('l.inbound_id', 'desc').limit(o.limit).offset(o.offset ?? 0);
      return {
        total,
        items: rows.map((r: DbRow) => ({
          inboundId: Number(r.inbound_id), role: String(r.role) as LinkRole, subject: strOrNull(r.subject), fromAddr: strOrNull(r.from_addr),
          kind: strOrNull(r.kind), receivedAt: Number(r.received_at),
        })),
      };
    },
    /** Display names of records (for notification titles). */
    async names(refs: Array<{ type: LinkRecordType; id: number }>): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      const recIds = refs.filter((r) => r.type !== 'user').map((r) => r.id);
      if (recIds.length) for (const r of await k('records').whereIn('id', recIds).select('id', 'type', 'name', 'first_name', 'last_name')) out.set(`${r.type}:${r.id}`, personName(r));
      return out;
    },
  };
}
export type LinksRepo = ReturnType<typeof linksRepo>;
