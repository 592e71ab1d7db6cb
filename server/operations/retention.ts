/*
 * A retention setting: a whole number of days (1–3650) kept in one named settings entry. The
 * mailer log's `retentionDays` and the webhooks' `historyDays` are both one of these.
 */
import { invalid } from '../errors.js';
import type { settingsRepo } from '../db/repos/settings.js';

type Settings = ReturnType<typeof settingsRepo>;

export function retentionSetting<T extends Record<F, number>, F extends string>(o: {
  settings: Settings; name: string; field: F; defaults: T; errKey: string; now: () => number;
}) {
  return {
    get: (): Promise<T> => o.settings.get(o.name, o.defaults),
    async set(v: Partial<T>): Promise<T> {
      const cur = await o.settings.get(o.name, o.defaults);
      const days = v[o.field] ?? cur[o.field];
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw invalid([{ field: o.field, message: 'must be a whole number of days from 1 to 3650', key: o.errKey }]);
      const next = { ...cur, [o.field]: days } as T;
      await o.settings.set(o.name, next, o.now());
      return next;
    },
  };
}
