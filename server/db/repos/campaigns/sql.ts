/*
 * SQL pieces the set-based expansion shares across its repositories (no I/O): the dialect's
 * insert-if-absent, the member batch predicate and the per-type source of a member's primary
 * address, so the exclusion, skip and queue statements select the same rows the same way.
 */
import type { Db } from '../../connect.js';
import type { MemberType } from '../../../records/types.js';

/** One batch: members of one list and one type with member_id in (after, upTo]. */
export interface MemberBatch { listId: number; type: MemberType; after: number; upTo: number }

export const insertIgnore = (db: Db) => (db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE');
/** The queue's unique key for a mass email and an address id, as SQL. */
export const massKeySql = (db: Db, meParam: string, emailIdCol: string) =>
  (db.dialect === 'sqlite' ? `('mass:' || ${meParam} || ':' || ${emailIdCol})` : `CONCAT('mass:', ${meParam}, ':', ${emailIdCol})`);
export const massKey = (massEmailId: number, emailId: number) => `mass:${massEmailId}:${emailId}`;

export const BATCH_WHERE = 'm.list_id = ? AND m.member_type = ? AND m.member_id > ? AND m.member_id <= ?';
export const batchParams = (b: MemberBatch) => [b.listId, b.type, b.after, b.upTo];

/**
 * FROM … for a batch's members with their primary address `ea` (NULL when none) and `former`
 * (1 for a former employee). Users are recipients through their own address.
 */
export function memberSource(type: MemberType, primaryOnly = true): { from: string; former: string } {
  if (type === 'user') {
    return { from: 'target_list_members m JOIN users u ON u.id = m.member_id LEFT JOIN email_addresses ea ON ea.address = LOWER(u.email)', former: '0' };
  }
  return {
    from: `target_list_members m JOIN records r ON r.id = m.member_id LEFT JOIN record_emails re ON re.record_id = r.id${primaryOnly ? ' AND re.is_primary = 1' : ''}
      LEFT JOIN email_addresses ea ON ea.id = re.email_id`,
    former: 'r.former_employee',
  };
}

/** Rows changed by a raw statement on either driver. */
export function changedRows(res: unknown): number {
  const r = (Array.isArray(res) ? res[0] : res) as { changes?: number; affectedRows?: number } | undefined;
  return Number(r?.changes ?? r?.affectedRows ?? 0);
}
