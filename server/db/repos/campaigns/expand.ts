/*
 * Writes: mass_email_excluded, mass_email_skips. Reads: target_list_members, records, record_emails,
 * email_addresses, users, suppressions, outbound_queue.
 * The expansion's set-based steps for one member batch (sql.ts): the addresses an excluding
 * list or a list opt-out keeps out, and the members skipped with their reason. Nothing of the
 * audience comes into memory; every statement is INSERT … SELECT and safe to run twice.
 */
import type { Db } from '../../connect.js';
import type { DbRow } from '../../row.js';
import type { MemberType } from '../../../records/types.js';
import { BATCH_WHERE, batchParams, changedRows, insertIgnore, massKeySql, memberSource, type MemberBatch } from './sql.js';

export function expansionRepo(db: Db) {
  const k = db.knex;
  const ins = insertIgnore(db);
  return {
    /** The member_id that ends a batch of `size` members after `after` (null: the rest fit in one). */
    async batchEnd(listId: number, type: MemberType, after: number, size: number): Promise<number | null> {
      const r = await k('target_list_members').where({ list_id: listId, member_type: type }).where('member_id', '>', after)
        .orderBy('member_id').offset(size - 1).limit(1).select('member_id').first() as DbRow | undefined;
      return r ? Number(r.member_id) : null;
    },
    /**
     * Keeps out every address of the batch's members (`reason` excluded) or, for a target
     * list, the addresses of members opted out of it (`list_opted_out`).
     */
    async exclude(massEmailId: number, b: MemberBatch, reason: 'excluded' | 'list_opted_out'): Promise<number> {
      const src = memberSource(b.type, false);
      const optedOnly = reason === 'list_opted_out' ? ' AND m.opted_out = 1' : '';
      const sql = `${ins} INTO mass_email_excluded (mass_email_id, email_id, reason)
        SELECT ?, ea.id, ? FROM ${src.from} WHERE ${BATCH_WHERE}${optedOnly} AND ea.id IS NOT NULL`;
      return changedRows(await k.raw(sql, [massEmailId, reason, ...batchParams(b)]));
    },
    /** Records the batch's members that get no mail and why (the first reason that applies). */
    async skip(massEmailId: number, b: MemberBatch, now: number): Promise<number> {
      const src = memberSource(b.type);
      const sql = `${ins} INTO mass_email_skips (mass_email_id, member_type, member_id, list_id, email_id, address, reason, at)
        SELECT * FROM (SELECT ? AS me, m.member_type, m.member_id, m.list_id, ea.id AS email_id, ea.address,
          CASE WHEN ${src.former} = 1 THEN 'former_employee'
               WHEN ea.id IS NULL THEN 'no_address'
               WHEN m.opted_out = 1 THEN 'list_opted_out'
               WHEN ea.opted_out = 1 THEN 'opted_out'
               WHEN x.reason IS NOT NULL THEN x.reason
               WHEN s.id IS NOT NULL THEN 'blocked'
          END AS reason, ? AS at
          FROM ${src.from}
          LEFT JOIN mass_email_excluded x ON x.mass_email_id = ? AND x.email_id = ea.id
          LEFT JOIN suppressions s ON s.address = ea.address AND s.blocked = 1
          WHERE ${BATCH_WHERE}) t WHERE t.reason IS NOT NULL`;
      return changedRows(await k.raw(sql, [massEmailId, now, massEmailId, ...batchParams(b)]));
    },
    /** Members whose address another record of the mass email already holds: skipped as duplicates. */
    async duplicates(massEmailId: number, b: MemberBatch, now: number): Promise<number> {
      const src = memberSource(b.type);
      const sql = `${ins} INTO mass_email_skips (mass_email_id, member_type, member_id, list_id, email_id, address, reason, at)
        SELECT ?, m.member_type, m.member_id, m.list_id, ea.id, ea.address, 'duplicate', ?
        FROM ${src.from} JOIN outbound_queue q ON q.unique_key = ${massKeySql(db, '?', 'ea.id')}
        WHERE ${BATCH_WHERE} AND NOT (q.record_type = m.member_type AND q.record_id = m.member_id)`;
      // A member skipped for another reason keeps that one (the primary key ignores this row).
      return changedRows(await k.raw(sql, [massEmailId, now, String(massEmailId), ...batchParams(b)]));
    },
    async clear(massEmailId: number) {
      await k('mass_email_excluded').where('mass_email_id', massEmailId).delete();
    },
  };
}
