/*
 * Part of the records owner (db/repos/records/): the address rows of Postern users, who are the
 * fourth recipient type. Writes: email_addresses (users' own addresses only). Reads: target_list_members, users.
 * A user in a target list reaches the expansion through the same address row as any record, so
 * dedupe, exclusion and opt-out match a user and a contact with one address.
 */
import type { Db } from '../../connect.js';

/** Makes sure the users among a list's members (ids in (after, upTo]) have their address rows. */
export async function ensureUserAddresses(db: Db, listId: number, after: number, upTo: number, now: number): Promise<void> {
  const ins = db.dialect === 'sqlite' ? 'INSERT OR IGNORE' : 'INSERT IGNORE';
  const domain = db.dialect === 'sqlite' ? "substr(LOWER(u.email), instr(u.email, '@') + 1)" : "SUBSTRING_INDEX(LOWER(u.email), '@', -1)";
  await db.knex.raw(`${ins} INTO email_addresses (address, domain, opted_out, created_at, updated_at)
    SELECT DISTINCT LOWER(u.email), ${domain}, 0, ?, ? FROM target_list_members m JOIN users u ON u.id = m.member_id
    WHERE m.list_id = ? AND m.member_type = 'user' AND m.member_id > ? AND m.member_id <= ? AND u.email LIKE '%@%'`, [now, now, listId, after, upTo]);
}
