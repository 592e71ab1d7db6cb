/*
 * Pure decisions of record linking (no I/O): which addresses of a message play which role,
 * which link rows the found records make (plus the account of each linked contact), whether a
 * message notifies at all (filters' "no notification", automatic mail, old mail imported in
 * bulk), and which followers get a notification, each once, about the most specific target.
 */
import type { Holder, LinkRecordType, LinkRole, LinkRow } from '../../db/repos/links/links.js';
import type { Follow, FollowTargetType } from '../../db/repos/links/follows.js';

export type { Follow, FollowTargetType, Holder, LinkRecordType, LinkRole, LinkRow };
export const FOLLOW_TYPES: readonly FollowTargetType[] = ['account', 'contact', 'lead', 'case'];

/** A role's rank: a record that is both the sender and in Cc is linked as the sender. */
const RANK: Record<LinkRole, number> = { from: 0, to: 1, cc: 2, 'account-of-contact': 3 };

/** The addresses of a header value (lower case; display names and groups ignored). */
export function addressesIn(v: string | null | undefined): string[] {
  return [...(v ?? '').matchAll(/[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g)].map((m) => m[0].toLowerCase().replace(/\.$/, ''));
}

/** Each address once, with its best role (From before To before Cc). */
export function addressRoles(h: { from?: string | null; to?: string | null; cc?: string | null }): Map<string, LinkRole> {
  const out = new Map<string, LinkRole>();
  for (const role of ['from', 'to', 'cc'] as const) for (const a of addressesIn(h[role])) if (!out.has(a)) out.set(a, role);
  return out;
}


/** The links a message makes: each holder once with its best role, then each linked contact's account. */
export function linkRows(holders: readonly Holder[], roles: ReadonlyMap<string, LinkRole>): LinkRow[] {
  const best = new Map<string, LinkRow>();
  const put = (r: LinkRow) => {
    const k = `${r.recordType}:${r.recordId}`;
    const cur = best.get(k);
    if (!cur || RANK[r.role] < RANK[cur.role]) best.set(k, r);
  };
  for (const h of holders) {
    const role = roles.get(h.address);
    if (role) put({ recordType: h.type, recordId: h.id, role });
  }
  for (const h of holders) {
    if (h.type === 'contact' && h.accountId !== null && roles.has(h.address)) put({ recordType: 'account', recordId: h.accountId, role: 'account-of-contact' });
  }
  return [...best.values()].sort((a, b) => RANK[a.role] - RANK[b.role] || a.recordType.localeCompare(b.recordType) || a.recordId - b.recordId);
}

export type QuietReason = 'no-notify' | 'automatic' | 'old-mail';
const AUTOMATIC = new Set(['bounce', 'complaint', 'auto-reply']);

/**
 * Why a message notifies nobody, or null. Old mail: what an IMAP account's first sync imports in
 * bulk (`bulk`, whatever its date), and mail fetched over IMAP whose Date is more than `oldMs`
 * before its receipt (a mailbox that was offline for days, or mail moved into a watched folder).
 */
export function quietReason(m: {
  noNotify?: boolean; kind?: string | null; listener: string; bulk?: boolean; date?: string | null; receivedAt: number; oldMs: number;
}): QuietReason | null {
  if (m.noNotify) return 'no-notify';
  if (m.kind && AUTOMATIC.has(m.kind)) return 'automatic';
  // An IMAP account's first sync: what was in the mailbox before, whatever its date.
  if (m.bulk) return 'old-mail';
  if (m.listener === 'imap' && m.date) {
    const d = Date.parse(m.date);
    if (Number.isFinite(d) && m.receivedAt - d > m.oldMs) return 'old-mail';
  }
  return null;
}

export interface NotifyTarget { userId: number; kind: 'case-mail' | 'record-mail'; caseId: number | null; recordType: LinkRecordType | null; recordId: number | null }

/**
 * One target per follower: the case when they follow it (or hold it), else the linked record
 * they follow with the best role. Users who sent the message are left out.
 */
export function notifyTargets(o: { follows: readonly Follow[]; caseId: number | null; links: readonly LinkRow[]; senderUserIds: ReadonlySet<number> }): NotifyTarget[] {
  const out = new Map<number, NotifyTarget>();
  if (o.caseId !== null) {
    for (const f of o.follows) {
      if (f.targetType === 'case' && f.targetId === o.caseId && !out.has(f.userId)) out.set(f.userId, { userId: f.userId, kind: 'case-mail', caseId: o.caseId, recordType: null, recordId: null });
    }
  }
  for (const l of o.links) {
    if (l.recordType === 'user') continue;
    for (const f of o.follows) {
      if (f.targetType === l.recordType && f.targetId === l.recordId && !out.has(f.userId)) {
        out.set(f.userId, { userId: f.userId, kind: 'record-mail', caseId: o.caseId, recordType: l.recordType, recordId: l.recordId });
      }
    }
  }
  return [...out.values()].filter((n) => !o.senderUserIds.has(n.userId)).sort((a, b) => a.userId - b.userId);
}
