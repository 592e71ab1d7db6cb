/*
 * A user's own UI preferences: locale (date, time and number formats; the language once
 * translations ship) and time zone. Validated against what Intl knows on this node.
 */
import type { Ctx } from '../context.js';
import { usersRepo } from '../db/repos/users.js';
import { notificationsRepo } from '../db/repos/notifications/notifications.js';
import { invalid, type FieldError } from '../errors.js';
import { isLocale, isTimeZone } from '../i18n/catalog.js';

export interface PrefsInput { locale: string; timeZone: string }

export function prefsProblems(p: PrefsInput): FieldError[] {
  const f: FieldError[] = [];
  if (!isLocale(p.locale)) f.push({ field: 'locale', message: 'Choose one of the listed locales', key: 'settings.badLocale' });
  if (!isTimeZone(p.timeZone)) f.push({ field: 'timeZone', message: 'Not a known time zone', key: 'settings.badTimeZone' });
  return f;
}

export function prefsService(s: { ctx: Ctx }) {
  const users = usersRepo(s.ctx.db);
  const notifications = notificationsRepo(s.ctx.db);
  return {
    /** "Notify me by email" (notifications of followed records and cases, server/notifications); off by default. */
    notifyByEmail: (userId: number): Promise<boolean> => notifications.emailPref(userId),
    setNotifyByEmail: (userId: number, on: boolean): Promise<void> => notifications.setEmailPref(userId, on, s.ctx.clock.now()),
    async save(userId: number, p: PrefsInput): Promise<void> {
      const f = prefsProblems(p);
      if (f.length) throw invalid(f);
      await users.update(userId, { locale: p.locale, time_zone: p.timeZone }, s.ctx.clock.now());
    },
  };
}
export type PrefsService = ReturnType<typeof prefsService>;
