/* Sessions, API keys and login-failure counters: the SQL behind authentication. */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';

export interface ApiKeyRow { id: number; name: string; prefix: string; key_hash: string; created_by: number | null; last_used_at: number | null; revoked_at: number | null; created_at: number }

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
        (r) => ({ ...r, id: Number(r.id) }));
    },
    async touch(id: number, now: number) { await k('api_keys').where({ id }).update({ last_used_at: now }); },
    async revoke(id: number, now: number): Promise<boolean> {
      return (await k('api_keys').where({ id }).whereNull('revoked_at').update({ revoked_at: now, updated_at: now })) === 1;
    },
  };
}

export function loginFailuresRepo(db: Db) {
  const k = db.knex;
  return {
    async get(key: string): Promise<{ count: number; window_start: number } | undefined> {
      return k('login_failures').where({ key }).first();
    },
    /** Counts one failure in the window that started at or after `windowStart`. */
    async record(key: string, now: number, windowStart: number): Promise<void> {
      await k.transaction(async (trx) => {
        const cur = await trx('login_failures').where({ key }).first();
        if (!cur) await trx('login_failures').insert({ key, count: 1, window_start: now });
        else if (cur.window_start < windowStart) await trx('login_failures').where({ key }).update({ count: 1, window_start: now });
        else await trx('login_failures').where({ key }).update({ count: k.raw('count + 1') });
      });
    },
    async clear(key: string) { await k('login_failures').where({ key }).delete(); },
    async purgeOlderThan(windowStart: number): Promise<number> { return k('login_failures').where('window_start', '<', windowStart).delete(); },
  };
}
