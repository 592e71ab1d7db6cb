/*
 * Writes: records, email_addresses, record_emails. Reads: records, email_addresses, record_emails, teams.
 * The only writer of the record tables. Set-based: a bulk upsert of thousands of rows is a
 * handful of statements per chunk (look-ups with IN, multi-row INSERTs, an INSERT … ON
 * CONFLICT/DUPLICATE KEY UPDATE of the changed rows), all in one transaction; never a query per row.
 */
import { randomBytes } from 'node:crypto';
import type { Db } from '../../connect.js';
import { isRetryableTxError } from '../../retry.js';
import { transact, type Exec } from '../../exec.js';
import type { DbRow } from '../../row.js';
import type { RecordType } from '../../../records/types.js';

/** Columns of `records` an upsert may set (snake_case). */
export interface RecordFields {
  first_name?: string | null; last_name?: string | null; name?: string; title?: string | null; phone?: string | null;
  team_id?: number | null; account_id?: number | null; former_employee?: boolean; external_id?: string | null;
}
export type AttrValue = string | number | boolean | null;

/** One validated row of an upsert (the service validates; the repository matches and writes). */
export interface UpsertRow {
  /** Position in the caller's input: errors name it. */
  index: number;
  externalId: string | null;
  /** What to match an existing record on: its external id, its primary/any address, its id, or nothing (always create). */
  match: { by: 'externalId' } | { by: 'email'; address: string } | { by: 'id'; id: number } | { by: 'none' };
  fields: RecordFields;
  /** Keys to set; a null value removes the key. */
  attributes?: Record<string, AttrValue>;
  /** Normalised addresses. `replace`: these are the record's addresses; otherwise `primary` becomes primary and the others stay. */
  emails?: { list: string[]; primary: string; replace: boolean };
  /** A contact's account by the account's external id or name (a bare account is created when missing). */
  account?: { externalId?: string; name?: string };
  /** Name the person from first and last name after merging (contacts and leads given no name). */
  deriveName?: boolean;
  /** A new record needs a name (accounts). */
  requireName?: boolean;
}
export interface UpsertOutcome {
  created: number; updated: number; errors: Array<{ index: number; message: string }>;
  /** Record id per input index (rows written). */
  ids: Map<number, number>;
}

const CHUNK = 500;
const REC_COLS = ['id', 'type', 'external_id', 'first_name', 'last_name', 'name', 'title', 'phone', 'team_id', 'account_id', 'former_employee', 'attributes', 'created_at', 'updated_at'] as const;
const UPD_COLS = REC_COLS.filter((c) => c !== 'id' && c !== 'type' && c !== 'created_at');

function chunks<T>(xs: T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
const bindOf = (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : v === undefined ? null : v);

const qs = (n: number) => `(${Array(n).fill('?').join(',')})`;
const COLS_SQL = REC_COLS.join(', ');

type InsertTail = { ignore?: string[]; mergeOn?: string[]; merge?: readonly string[]; returning?: string };
const insertSqls = new Map<string, string>();
/** The INSERT for `n` rows (built once per shape: the same string finds the same prepared statement). */
function insertSql(dialect: Exec['dialect'], table: string, cols: readonly string[], n: number, tail: InsertTail): string {
  const key = `${dialect}|${table}|${cols.join(',')}|${n}|${tail.ignore?.join(',') ?? ''}|${tail.mergeOn?.join(',') ?? ''}|${tail.merge?.join(',') ?? ''}|${tail.returning ?? ''}`;
  let sql = insertSqls.get(key);
  if (sql !== undefined) return sql;
  const ph = qs(cols.length);
  sql = `${dialect === 'mysql' && tail.ignore ? 'INSERT IGNORE' : 'INSERT'} INTO ${table} (${cols.join(',')}) VALUES ${Array(n).fill(ph).join(',')}`;
  if (tail.ignore && dialect === 'sqlite') sql += ` ON CONFLICT (${tail.ignore.join(',')}) DO NOTHING`;
  if (tail.merge) {
    sql += dialect === 'mysql'
      ? ` ON DUPLICATE KEY UPDATE ${tail.merge.map((c) => `${c} = VALUES(${c})`).join(', ')}`
      : ` ON CONFLICT (${tail.mergeOn!.join(',')}) DO UPDATE SET ${tail.merge.map((c) => `${c} = excluded.${c}`).join(', ')}`;
  }
  if (tail.returning) sql += ` RETURNING ${tail.returning}`;
  if (insertSqls.size >= 256) insertSqls.clear();
  insertSqls.set(key, sql);
  return sql;
}
/** The bind values of rows[from, to) in one flat list. */
function flatParams(rows: unknown[][], from: number, to: number): unknown[] {
  const out: unknown[] = [];
  for (let i = from; i < to; i++) for (const v of rows[i]!) out.push(bindOf(v));
  return out;
}
const rowsPer = (cols: readonly string[]) => Math.min(CHUNK, Math.max(1, Math.floor(20_000 / cols.length)));

/** Multi-row INSERT … VALUES (…),(…) in chunks of the same size (SQLite reuses the prepared statement). */
async function insertValues(x: Exec, table: string, cols: readonly string[], rows: unknown[][], tail: InsertTail = {}): Promise<number[] | null> {
  const ids: number[] = [];
  let sequential = x.dialect === 'sqlite';
  const per = rowsPer(cols);
  for (let at = 0; at < rows.length; at += per) {
    const n = Math.min(per, rows.length - at);
    const r = await x.run(insertSql(x.dialect, table, cols, n, tail), flatParams(rows, at, at + n));
    if (r.changes !== n) sequential = false;
    else for (let i = n - 1; i >= 0; i--) ids.push(r.lastId - i);
  }
  return sequential ? ids : null;
}
/** SQLite: INSERT … RETURNING `returning`, in chunks; the rows it wrote. */
async function insertReturning<T = DbRow>(x: Exec, table: string, cols: readonly string[], rows: unknown[][], tail: InsertTail & { returning: string }): Promise<T[]> {
  const out: T[] = [];
  const per = rowsPer(cols);
  for (let at = 0; at < rows.length; at += per) {
    const n = Math.min(per, rows.length - at);
    for (const r of await x.all<T>(insertSql(x.dialect, table, cols, n, tail), flatParams(rows, at, at + n))) out.push(r);
  }
  return out;
}
/** Rows of `sql` (which ends with `IN `) for each chunk of `values`. */
async function eachIn<T = DbRow>(x: Exec, sql: string, pre: unknown[], values: unknown[], post = ''): Promise<T[]> {
  const out: T[] = [];
  for (const part of chunks(values)) out.push(...await x.all<T>(`${sql}${qs(part.length)}${post}`, [...pre, ...part]));
  return out;
}

const isUniqueViolation = (e: unknown) => {
  const code = (e as { code?: string } | null)?.code ?? '';
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
};
class DryRun extends Error { constructor(readonly result: UpsertOutcome) { super('dry run'); } }

const parseAttrs = (v: unknown): Record<string, AttrValue> => {
  if (typeof v !== 'string' || !v) return {};
  try { const x: unknown = JSON.parse(v); return x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, AttrValue>) : {}; } catch { return {}; }
};
/** A column value as written vs as read back (booleans come back as 0/1, big numbers as strings on MySQL). */
const same = (a: unknown, b: unknown) => (a ?? null) === (b ?? null) || (typeof a === 'boolean' ? Number(a) === Number(b) : a !== null && b !== null && String(a) === String(b));
const domainOf = (a: string) => a.slice(a.lastIndexOf('@') + 1);
/** The distinct values `pick` gives (undefined: none), in first-seen order. */
function distinct<T, V>(xs: readonly T[], pick: (x: T) => V | undefined): V[] {
  const seen = new Set<V>();
  for (const x of xs) { const v = pick(x); if (v !== undefined) seen.add(v); }
  return [...seen];
}

export function recordsWriteRepo(db: Db) {
  const k = db.knex;

  /** Ids of addresses (inserting the missing ones), by normal form. */
  async function emailIds(x: Exec, addresses: string[], now: number): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const uniq = [...new Set(addresses)];
    const readIds = async (xs: string[]) => { for (const r of await eachIn(x, 'SELECT id, address FROM email_addresses WHERE address IN ', [], xs)) ids.set(String(r.address), Number(r.id)); };
    if (x.dialect === 'sqlite') {
      // One statement inserts the new addresses and names their ids (a new address is looked up
      // once, not twice); the ones that were there already are read after.
      const added = await insertReturning<{ id: number; address: string }>(x, 'email_addresses', ['address', 'domain', 'opted_out', 'created_at', 'updated_at'],
        uniq.map((a) => [a, domainOf(a), false, now, now]), { ignore: ['address'], returning: 'id, address' });
      for (const r of added) ids.set(r.address, r.id);
      if (added.length < uniq.length) await readIds(uniq.filter((a) => !ids.has(a)));
      return ids;
    }
    await readIds(uniq);
    const missing = uniq.filter((a) => !ids.has(a));
    if (missing.length) {
      // SQLite (one writer, inside BEGIN IMMEDIATE) numbers a multi-row INSERT's rows in order; elsewhere, read them back.
      const seq = await insertValues(x, 'email_addresses', ['address', 'domain', 'opted_out', 'created_at', 'updated_at'],
        missing.map((a) => [a, domainOf(a), false, now, now]), { ignore: ['address'] });
      if (seq) missing.forEach((a, i) => ids.set(a, seq[i]!)); else await readIds(missing);
    }
    return ids;
  }

  /** Account ids for contacts' account references, creating bare accounts for the missing ones. */
  async function accountIds(x: Exec, rows: UpsertRow[], now: number) {
    const byExt = new Map<string, number>();
    const byName = new Map<string, number>();
    const exts = distinct(rows, (r) => r.account?.externalId || undefined);
    const names = distinct(rows, (r) => (r.account && !r.account.externalId && r.account.name ? r.account.name : undefined));
    const readExt = async (xs: string[]) => {
      for (const r of await eachIn(x, "SELECT id, external_id FROM records WHERE type = 'account' AND external_id IN ", [], xs)) byExt.set(String(r.external_id), Number(r.id));
    };
    const readName = async (xs: string[]) => {
      for (const r of await eachIn(x, "SELECT id, name FROM records WHERE type = 'account' AND name IN ", [], xs, ' ORDER BY id DESC')) byName.set(String(r.name), Number(r.id));
    };
    await readExt(exts);
    await readName(names);
    const extName = new Map<string, string>();
    for (const r of rows) if (r.account?.externalId && r.account.name && !extName.has(r.account.externalId)) extName.set(r.account.externalId, r.account.name);
    const newExt = exts.filter((e) => !byExt.has(e));
    if (newExt.length) {
      await insertValues(x, 'records', ['type', 'external_id', 'name', 'former_employee', 'created_at', 'updated_at'],
        newExt.map((e) => ['account', e, extName.get(e) ?? e, false, now, now]), { ignore: ['type', 'external_id'] });
      await readExt(newExt);
    }
    const newName = names.filter((n) => !byName.has(n));
    if (newName.length) {
      await insertValues(x, 'records', ['type', 'name', 'former_employee', 'created_at', 'updated_at'], newName.map((n) => ['account', n, false, now, now]));
      await readName(newName);
    }
    return (r: UpsertRow) => (r.account?.externalId ? byExt.get(r.account.externalId) : r.account?.name ? byName.get(r.account.name) : undefined);
  }

  async function upsertTx(x: Exec, type: RecordType, input: UpsertRow[], now: number): Promise<UpsertOutcome> {
    const errors: UpsertOutcome['errors'] = [];
    const fail = (r: UpsertRow, message: string) => errors.push({ index: r.index, message });

    // Rows naming the same record in one call: the later one wins (counted as an update).
    const keyOf = (r: UpsertRow) => (r.match.by === 'externalId' ? `x:${r.externalId}` : r.match.by === 'email' ? `e:${r.match.address}` : r.match.by === 'id' ? `i:${r.match.id}` : `n:${r.index}`);
    const byKey = new Map<string, UpsertRow>();
    const replaced = new Map<UpsertRow, number>();
    for (const r of input) {
      const key = keyOf(r);
      const prev = byKey.get(key);
      if (prev) { replaced.set(r, (replaced.get(prev) ?? 0) + 1); byKey.delete(key); }
      byKey.set(key, r);
    }
    let rows = [...byKey.values()];

    // Existing records: by external id, by address, by id (one IN query per chunk each).
    const existing = new Map<number, DbRow>();
    const idByExt = new Map<string, number>();
    const idByEmail = new Map<string, number>();
    const exts = distinct(rows, (r) => r.externalId || undefined);
    for (const r of await eachIn(x, `SELECT ${COLS_SQL} FROM records WHERE type = ? AND external_id IN `, [type], exts)) { existing.set(Number(r.id), r); idByExt.set(String(r.external_id), Number(r.id)); }
    const mails = distinct(rows, (r) => (r.match.by === 'email' ? r.match.address : undefined));
    {
      const found = await eachIn(x, `SELECT ${REC_COLS.map((c) => `r.${c}`).join(', ')}, ea.address AS match_address FROM email_addresses ea
        JOIN record_emails re ON re.email_id = ea.id JOIN records r ON r.id = re.record_id WHERE r.type = ? AND ea.address IN `, [type], mails, ' ORDER BY re.is_primary DESC, r.id ASC');
      for (const r of found) {
        const a = String(r.match_address);
        if (!idByEmail.has(a)) idByEmail.set(a, Number(r.id));
        delete r.match_address;
        existing.set(Number(r.id), r);
      }
    }
    const byId = distinct(rows, (r) => (r.match.by === 'id' ? r.match.id : undefined));
    for (const r of await eachIn(x, `SELECT ${COLS_SQL} FROM records WHERE type = ? AND id IN `, [type], byId)) existing.set(Number(r.id), r);

    // Teams and accounts named by id must exist.
    const teamIds = distinct(rows, (r) => (typeof r.fields.team_id === 'number' ? r.fields.team_id : undefined));
    const teams = new Set<number>();
    for (const r of await eachIn(x, 'SELECT id FROM teams WHERE id IN ', [], teamIds)) teams.add(Number(r.id));
    const acctIds = distinct(rows, (r) => (typeof r.fields.account_id === 'number' ? r.fields.account_id : undefined));
    const accts = new Set<number>();
    for (const r of await eachIn(x, "SELECT id FROM records WHERE type = 'account' AND id IN ", [], acctIds)) accts.add(Number(r.id));

    const targets = new Map<UpsertRow, number | null>();
    rows = rows.filter((r) => {
      let id: number | undefined;
      if (r.match.by === 'externalId') id = r.externalId ? idByExt.get(r.externalId) : undefined;
      else if (r.match.by === 'email') {
        id = idByEmail.get(r.match.address);
        const other = r.externalId ? idByExt.get(r.externalId) : undefined;
        if (id !== undefined && other !== undefined && other !== id) return void fail(r, `externalId ${r.externalId} belongs to another ${type} (id ${other})`), false;
        id ??= other;
      } else if (r.match.by === 'id') {
        id = existing.has(r.match.id) ? r.match.id : undefined;
        if (id === undefined) return void fail(r, `${type} ${r.match.id} not found`), false;
        const other = r.externalId ? idByExt.get(r.externalId) : undefined;
        if (other !== undefined && other !== id) return void fail(r, `externalId ${r.externalId} belongs to another ${type} (id ${other})`), false;
      } else if (r.externalId && idByExt.has(r.externalId)) return void fail(r, `externalId ${r.externalId} is taken (id ${idByExt.get(r.externalId)})`), false;
      if (typeof r.fields.team_id === 'number' && !teams.has(r.fields.team_id)) return void fail(r, `teamId ${r.fields.team_id} does not exist`), false;
      if (typeof r.fields.account_id === 'number' && !accts.has(r.fields.account_id)) return void fail(r, `accountId ${r.fields.account_id} is not an account`), false;
      if (id === undefined && r.requireName && !(r.fields.name ?? '').trim()) return void fail(r, 'name is required'), false;
      targets.set(r, id ?? null);
      return true;
    });

    const accountOf = await accountIds(x, rows.filter((r) => r.account), now);

    // The full row after the change (existing columns, then the given fields).
    const merged = (r: UpsertRow, cur: DbRow | undefined): Record<string, unknown> => {
      const out: Record<string, unknown> = cur ? { ...cur } : { type, external_id: null, first_name: null, last_name: null, name: '', title: null, phone: null, team_id: null, account_id: null, former_employee: false, attributes: null, created_at: now };
      const given = r.fields as Record<string, unknown>;
      for (const c in given) { const v = given[c]; if (v !== undefined) out[c] = v; }
      if (r.externalId) out.external_id = r.externalId;
      const acc = accountOf(r);
      if (acc !== undefined) out.account_id = acc;
      if (r.deriveName && r.fields.name === undefined && (r.fields.first_name !== undefined || r.fields.last_name !== undefined || !cur)) {
        const f = typeof out.first_name === 'string' && out.first_name.trim() ? out.first_name : '';
        const l = typeof out.last_name === 'string' && out.last_name.trim() ? out.last_name : '';
        const n = f && l ? `${f} ${l}` : f || l;
        out.name = n || (!cur && r.emails ? r.emails.primary : out.name ?? '');
      }
      if (r.attributes) {
        const a = parseAttrs(cur?.attributes);
        for (const key in r.attributes) { const v = r.attributes[key] as AttrValue; if (v === null) delete a[key]; else a[key] = v; }
        out.attributes = Object.keys(a).length ? JSON.stringify(a) : null;
      }
      out.former_employee = Boolean(out.former_employee);
      out.updated_at = now;
      return out;
    };

    const fresh = rows.filter((r) => targets.get(r) === null);
    const changed = rows.filter((r) => targets.get(r) !== null);
    const ids = new Map<number, number>();

    // New records: one multi-row INSERT per chunk, ids known without reading them back.
    if (fresh.length) {
      const cols = REC_COLS.filter((c) => c !== 'id');
      if (x.dialect === 'sqlite') {
        // One writer inside BEGIN IMMEDIATE: a multi-row INSERT numbers its rows in order.
        const seq = await insertValues(x, 'records', cols, fresh.map((r) => { const m = merged(r, undefined); return cols.map((c) => m[c]); }));
        if (!seq) throw new Error('records: an INSERT wrote fewer rows than it was given');
        fresh.forEach((r, i) => ids.set(r.index, seq[i]!));
      } else {
        // MySQL: rows without an external id carry a temporary key (this transaction only) so their ids can be read back with IN.
        const token = `\u0001${randomBytes(6).toString('hex')}:`;
        const keyed = fresh.map((r, i) => ({ r, key: r.externalId ?? `${token}${i}` }));
        await insertValues(x, 'records', cols, keyed.map(({ r, key }) => { const m = merged(r, undefined); m.external_id = key; return cols.map((c) => m[c]); }));
        const idOf = new Map<string, number>();
        for (const row of await eachIn(x, 'SELECT id, external_id FROM records WHERE type = ? AND external_id IN ', [type], keyed.map((y) => y.key))) idOf.set(String(row.external_id), Number(row.id));
        const temp: number[] = [];
        for (const { r, key } of keyed) { const id = idOf.get(key)!; ids.set(r.index, id); if (!r.externalId) temp.push(id); }
        for (const part of chunks(temp)) await x.run(`UPDATE records SET external_id = NULL WHERE id IN ${qs(part.length)}`, part);
      }
    }
    // Changed records: the whole row, written with INSERT … ON CONFLICT (id) DO UPDATE (rows
    // that would not change are not written: a repeated sync costs the look-ups only).
    if (changed.length) {
      const upd: Array<Record<string, unknown>> = [];
      for (const r of changed) {
        const id = targets.get(r)!;
        ids.set(r.index, id);
        const cur = existing.get(id)!;
        const m: Record<string, unknown> = { ...merged(r, cur), id };
        if (UPD_COLS.some((c) => c !== 'updated_at' && !same(m[c], cur[c]))) upd.push(m);
      }
      await insertValues(x, 'records', REC_COLS, upd.map((m) => REC_COLS.map((c) => m[c])), { mergeOn: ['id'], merge: UPD_COLS });
    }

    // Addresses: one row per normal form, shared. A record whose addresses were given gets its
    // links rewritten when they differ (the others keep theirs).
    const withMail = rows.filter((r) => r.emails);
    if (withMail.length) {
      const addrIds = await emailIds(x, withMail.flatMap((r) => r.emails!.list), now);
      const old = new Map<number, Array<{ e: number; p: boolean }>>();
      const known = withMail.filter((r) => targets.get(r) !== null).map((r) => ids.get(r.index)!);
      for (const l of await eachIn(x, 'SELECT record_id, email_id, is_primary FROM record_emails WHERE record_id IN ', [], known, ' ORDER BY record_id, position')) {
        const list = old.get(Number(l.record_id)) ?? [];
        list.push({ e: Number(l.email_id), p: Boolean(l.is_primary) });
        old.set(Number(l.record_id), list);
      }
      const relink: number[] = [];
      const links: unknown[][] = [];
      for (const r of withMail) {
        const rid = ids.get(r.index)!;
        const primary = addrIds.get(r.emails!.primary);
        const given = r.emails!.list.map((a) => addrIds.get(a)!);
        const before = old.get(rid) ?? [];
        const list = r.emails!.replace ? given : [...(primary === undefined ? [] : [primary]), ...given, ...before.map((o) => o.e)];
        const want = [...new Set(list)];
        const unchanged = want.length === before.length && want.every((e, i) => before[i]!.e === e && before[i]!.p === (e === primary));
        if (unchanged) continue;
        if (targets.get(r) !== null) relink.push(rid);
        want.forEach((e, pos) => links.push([rid, e, e === primary, pos]));
      }
      for (const part of chunks(relink)) await x.run(`DELETE FROM record_emails WHERE record_id IN ${qs(part.length)}`, part);
      await insertValues(x, 'record_emails', ['record_id', 'email_id', 'is_primary', 'position'], links);
    }
    const repeats = rows.reduce((n, r) => n + (replaced.get(r) ?? 0), 0);
    return { created: fresh.length, updated: changed.length + repeats, errors: errors.sort((a, b) => a.index - b.index), ids };
  }

  return {
    /** Upserts the rows in one transaction (`dryRun`: the same work, rolled back). A unique race with another writer re-runs it. */
    async upsert(type: RecordType, rows: UpsertRow[], o: { now: number; dryRun?: boolean }): Promise<UpsertOutcome> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await transact(db, async (x) => {
            const r = await upsertTx(x, type, rows, o.now);
            if (o.dryRun) throw new DryRun(r);
            return r;
          });
        } catch (e) {
          if (e instanceof DryRun) return e.result;
          if (attempt < 3 && (isUniqueViolation(e) || isRetryableTxError(e))) continue;
          throw e;
        }
      }
    },
    /** Deletes records (their address links go with them; addresses stay, with their opt-out). Contacts of a deleted account keep no account. */
    async remove(type: RecordType, ids: number[]): Promise<number> {
      let n = 0;
      await k.transaction(async (trx) => {
        for (const part of chunks(ids)) {
          await trx('record_emails').whereIn('record_id', trx('records').select('id').where('type', type).whereIn('id', part)).delete();
          if (type === 'account') await trx('records').whereIn('account_id', part).update({ account_id: null });
          n += await trx('records').where('type', type).whereIn('id', part).delete();
        }
      });
      return n;
    },
    /** Opts an address out entirely (every record holding it), or back in; creates the address row when missing. */
    async setOptedOut(address: string, optedOut: boolean, now: number): Promise<void> {
      await this.setOptedOutMany([address], optedOut, now);
    },
    async setOptedOutMany(addresses: string[], optedOut: boolean, now: number): Promise<number> {
      let n = 0;
      await transact(db, async (x) => {
        await emailIds(x, addresses, now);
        for (const part of chunks([...new Set(addresses)])) {
          n += (await x.run(`UPDATE email_addresses SET opted_out = ?, opted_out_at = ?, updated_at = ? WHERE address IN ${qs(part.length)}`, [optedOut, optedOut ? now : null, now, ...part])).changes;
        }
      });
      return n;
    },
    async setFormerEmployee(ids: number[], value: boolean, now: number): Promise<number> {
      let n = 0;
      for (const part of chunks(ids)) n += await k('records').whereIn('id', part).whereIn('type', ['contact', 'lead']).update({ former_employee: value, updated_at: now });
      return n;
    },
  };
}
export type RecordsWriteRepo = ReturnType<typeof recordsWriteRepo>;
