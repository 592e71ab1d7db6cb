/*
 * RecordFilter (server/records/types.ts) → one SQL query of the matching member ids, for record
 * lists, "filter then select all" and dynamic target lists. Set-based: callers use it as a
 * subquery (WHERE id IN (…), INSERT … SELECT) and never hold the matches in memory.
 * Reads: records, email_addresses, record_emails, suppressions, users. Writes nothing.
 */
import type { Knex } from 'knex';
import type { RecordFilter } from '../../../records/types.js';
import { normalizeEmail } from '../../../records/normalize.js';

const COLS: Record<string, string> = { firstName: 'first_name', lastName: 'last_name', name: 'name', title: 'title', phone: 'phone', externalId: 'external_id' };
/** LIKE with the user's % and _ taken literally (backslash escapes, named by ESCAPE ? on both databases). */
const like = (v: string) => `%${v.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
const ESC = '\\';
/** `LOWER(col) LIKE ? ESCAPE ?` — SQLite has no default escape character, MySQL's is backslash: say it. */
const likeSql = (col: string) => `LOWER(${col}) LIKE ? ESCAPE ?`;

/** Ids of the records (or users, for type `user`) that match every condition of `f`. */
export function recordFilterQuery(k: Knex, f: RecordFilter): Knex.QueryBuilder {
  return f.type === 'user' ? userQuery(k, f) : recordQuery(k, f);
}

/** Addresses of one record, as a correlated subquery on `records.id`. */
function emailsOf(k: Knex, extra?: (q: Knex.QueryBuilder) => void) {
  const q = k('record_emails as fe').join('email_addresses as fa', 'fa.id', 'fe.email_id').select(k.raw('1')).whereRaw('fe.record_id = r.id');
  extra?.(q);
  return q;
}

function recordQuery(k: Knex, f: RecordFilter): Knex.QueryBuilder {
  const q = k('records as r').select('r.id').where('r.type', f.type);
  if (f.search?.trim()) {
    const s = like(f.search.trim().toLowerCase());
    q.where((w) => {
      w.whereRaw(likeSql('r.name'), [s, ESC]).orWhereRaw(likeSql('r.first_name'), [s, ESC]).orWhereRaw(likeSql('r.last_name'), [s, ESC])
        .orWhereRaw(likeSql('r.external_id'), [s, ESC]).orWhereExists(emailsOf(k, (e) => e.whereRaw('fa.address LIKE ? ESCAPE ?', [s, ESC])));
    });
  }
  for (const [key, v] of Object.entries(f.fields ?? {})) {
    const col = COLS[key];
    if (col && v !== undefined && v !== '') q.whereRaw(likeSql(`r.${col}`), [like(String(v).toLowerCase()), ESC]);
  }
  for (const [key, v] of Object.entries(f.attributes ?? {})) {
    // Attributes are a JSON object; compare through the JSON functions both databases have.
    const path = `$."${key.replace(/["\\]/g, '')}"`;
    if (k.client.config.client === 'mysql2') q.whereRaw('JSON_UNQUOTE(JSON_EXTRACT(r.attributes, ?)) = ?', [path, String(v)]);
    else q.whereRaw('CAST(json_extract(r.attributes, ?) AS TEXT) = ?', [path, String(v)]);
  }
  if (f.teamId !== undefined) q.where('r.team_id', f.teamId);
  if (f.accountId !== undefined) q.where('r.account_id', f.accountId);
  if (f.formerEmployee !== undefined) q.where('r.former_employee', f.formerEmployee);
  if (f.optedOut !== undefined) {
    const sub = emailsOf(k, (e) => e.where('fa.opted_out', true));
    if (f.optedOut) q.whereExists(sub); else q.whereNotExists(sub);
  }
  if (f.blocked !== undefined) {
    const sub = emailsOf(k, (e) => e.join('suppressions as fs', 'fs.address', 'fa.address').where('fs.blocked', true));
    if (f.blocked) q.whereExists(sub); else q.whereNotExists(sub);
  }
  if (f.emailDomain?.trim()) q.whereExists(emailsOf(k, (e) => e.where('fa.domain', f.emailDomain!.trim().toLowerCase())));
  if (f.email?.trim()) {
    const n = normalizeEmail(f.email);
    q.whereExists(emailsOf(k, (e) => e.where('fa.address', n ?? f.email!.trim().toLowerCase())));
  }
  return q;
}

function userQuery(k: Knex, f: RecordFilter): Knex.QueryBuilder {
  const q = k('users as u').select('u.id').where('u.active', true);
  if (f.search?.trim()) {
    const s = like(f.search.trim().toLowerCase());
    q.where((w) => w.whereRaw(likeSql('u.name'), [s, ESC]).orWhereRaw(likeSql('u.username'), [s, ESC]).orWhereRaw(likeSql('u.email'), [s, ESC]));
  }
  if (f.fields?.name) q.whereRaw(likeSql('u.name'), [like(f.fields.name.toLowerCase()), ESC]);
  if (f.teamId !== undefined) q.whereExists(k('team_users as tu').select(k.raw('1')).whereRaw('tu.user_id = u.id').where('tu.team_id', f.teamId));
  if (f.emailDomain?.trim()) q.whereRaw('LOWER(u.email) LIKE ? ESCAPE ?', [`%@${f.emailDomain.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}`, ESC]);
  if (f.email?.trim()) q.whereRaw('LOWER(u.email) = ?', [normalizeEmail(f.email) ?? f.email.trim().toLowerCase()]);
  const byAddress = (e: Knex.QueryBuilder) => e.select(k.raw('1')).whereRaw('LOWER(u.email) = ea.address');
  if (f.optedOut !== undefined) {
    const sub = byAddress(k('email_addresses as ea').where('ea.opted_out', true));
    if (f.optedOut) q.whereExists(sub); else q.whereNotExists(sub);
  }
  if (f.blocked !== undefined) {
    const sub = k('suppressions as fs').select(k.raw('1')).whereRaw('LOWER(u.email) = fs.address').where('fs.blocked', true);
    if (f.blocked) q.whereExists(sub); else q.whereNotExists(sub);
  }
  return q;
}
