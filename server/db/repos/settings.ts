/*
 * Writes: settings. Reads: settings.
 * Named JSON settings an admin can change at run time (bounce policy, …).
 */
import type { Db } from '../connect.js';

export function settingsRepo(db: Db) {
  return {
    async get<T>(name: string, fallback: T): Promise<T> {
      const row = await db.knex('settings').where({ name }).first();
      if (!row) return fallback;
      try { return { ...fallback, ...(JSON.parse(row.value) as T) }; } catch { return fallback; }
    },
    async set(name: string, value: unknown, now: number): Promise<void> {
      const v = JSON.stringify(value);
      const n = await db.knex('settings').where({ name }).update({ value: v, updated_at: now });
      if (n === 0) await db.knex('settings').insert({ name, value: v, updated_at: now }).onConflict('name').merge();
    },
  };
}
