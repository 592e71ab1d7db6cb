/*
 * Writes: sessions, api_keys, login_failures. Reads: sessions, api_keys, login_failures.
 * Sessions, API keys and login-failure counters: the SQL behind authentication.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns } from '../row.js';

export interface ApiKeyRow {
  id: number; name: string; prefix: string; key_hash: string; created_by: number | null;
  last_used_at: number | null; revoked_at: number | null; created_at: number;
}

export function sessionsRepo(db: Db) {
  const k = db.knex;
  return {
    async create(idHash: string, userId: number, expiresAt: number, now: number) {
      await k('sessions').insert({ id_hash: idHash, user_id: userId, expires_at: expiresAt, created_at: now });
    },
    async find(idHash: string, now: number): Promise<{ user_id: number; expires_at: number } | undefined> {
      return k('sessions').where({ id_hash: idHash }).where('expires_at', '>', now).first();
    },
    async remove(idHash: string) { await k('sessions').where({ id_hash: idHash }).delete(); },
    async removeForUser(userId: number) { await k('sessions').where({ user_id: userId }).delete(); },
    async purgeExpired(now: number): Promise<number> { return k('sessions').where('expires_at', '<=', now).delete(); },
  };
}

export function apiKeysRepo(db: Db) {
  const k = db.knex;
  return {
    async create(row: { name: string; prefix: string; key_hash: string; created_by: number | null }, now: number): Promise<number> {
      const [id] = await k('api_keys').insert({ ...row, created_at: now, updated_at: now });
      return Number(id);
    },
    async byPrefix(prefix: string): Promise<ApiKeyRow | undefined> { return k('api_keys').where({ prefix }).first(); },
    async list(q: ListQuery): Promise<Page<Omit<ApiKeyRow, 'key_hash'>>> {
      return listPage(k('api_keys').select('id', 'name', 'prefix', 'created_by', 'last_used_at', 'revoked_at', 'created_at'),
        { sortable: ['id', 'name', 'created_at', 'last_used_at'], defaultSort: 'id', defaultDir: 'desc', searchable: ['name', 'prefix'] }, q,
        (r) => ({ ...columns<Omit<ApiKeyRow, 'key_hash'>>(r), id: Number(r.id) }));
    },
    async touch(id: number, now: number) { await k('api_keys').where({ id }).update({ last_used_at: now }); },
    async revoke(id: number, now: number): Promise<boolean> {
      return (await k('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: now, updated_at: now })) === 1;
    },
    async revokeForUser(userId: number, now: number): Promise<number> {
      return k('api_keys').where({ created_by: userId }).whereNull('revoked_at').update({ revoked_at: now, updated_at: now });
    },
  };
}

export interface FailureRow { key: string; count: number; lastFailureAt: number }
export interface ClaimDecision { allow: boolean; reset: Set<string> }

export function loginFailuresRepo(db: Db) {
  const k = db.knex;
  const toRow = (r: { key: string; count: number; last_failure_at: number }): FailureRow => ({ key: r.key, count: Number(r.count), lastFailureAt: Number(r.last_failure_at) });
  return {
    async get(key: string): Promise<FailureRow | undefined> {
      const r = await k('login_failures').where({ key }).first();
      return r ? toRow(r) : undefined;
    },
    /**
     * One login attempt, atomically across nodes: with the counters of `keys` locked,
     * `allow(rows)` decides; if it allows, the attempt is counted as a failure up front
     * (`reset` says which counters start over), so parallel guesses cannot all slip through
     * while one password hash is checked. Returns the counters as they were before.
     */
    async claim(keys: string[], now: number, decide: (rows: Map<string, FailureRow>) => ClaimDecision): Promise<{ allowed: boolean; before: Map<string, FailureRow> }> {
      // Make sure every row exists so the SELECT below can lock it (MySQL locks only rows that
      // exist). Outside the transaction: INSERT IGNORE leaves a shared lock on an existing row,
      // and two attempts each holding one while waiting for FOR UPDATE would deadlock.
      for (const key of keys) await k('login_failures').insert({ key, count: 0, window_start: now, last_failure_at: 0 }).onConflict('key').ignore();
      return k.transaction(async (trx) => {
        const q = trx('login_failures').whereIn('key', keys);
        const rows = (await (db.dialect === 'mysql' ? q.forUpdate() : q)) as Array<{ key: string; count: number; last_failure_at: number }>;
        const before = new Map(rows.map((r) => [r.key, toRow(r)]));
        const { allow, reset } = decide(before);
        if (!allow) return { allowed: false, before };
        for (const key of keys) {
          const update = reset.has(key) ? { count: 1, window_start: now, last_failure_at: now } : { count: k.raw('?? + 1', ['count']), last_failure_at: now };
          await trx('login_failures').where({ key }).update(update);
        }
        return { allowed: true, before };
      });
    },
    /** Takes back an attempt counted by `claim`: the counter as it was, unless it moved on since. */
    async unclaim(key: string, before: FailureRow | undefined, claimedAt: number) {
      // A failure recorded meanwhile by another attempt keeps its time.
      await k('login_failures').where({ key }).where('count', '>', 0).update({
        count: k.raw('?? - 1', ['count']),
        last_failure_at: k.raw('CASE WHEN ?? = ? THEN ? ELSE ?? END', ['last_failure_at', claimedAt, before?.lastFailureAt ?? 0, 'last_failure_at']),
      });
    },
    async clear(key: string) { await k('login_failures').where({ key }).delete(); },
    /** Counters with no failure since `before`. */
    async purgeOlderThan(before: number): Promise<number> { return k('login_failures').where('last_failure_at', '<', before).delete(); },
  };
}
