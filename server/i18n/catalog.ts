/*
 * The admin UI's message catalog and formatters. Pages call `t(key, params)` for every
 * label, message and flash, and `fmt` for dates, times and numbers in the user's locale and
 * time zone (user settings). English is complete; other languages fall back to it per key.
 */
import { en, type MessageKey } from './en.js';

export type { MessageKey };
type Catalog = Partial<Record<MessageKey, string>>;
/** Translations land here (tr, ru, nb, pl are wanted first); a missing key shows the English text. */
const CATALOGS: Record<string, Catalog> = { en };

/** Locales offered in user settings: formats follow the region, texts the language. */
export const LOCALES = ['en-US', 'en-GB', 'tr-TR', 'ru-RU', 'nb-NO', 'pl-PL', 'de-DE', 'fr-FR'] as const;
export const DEFAULT_LOCALE = 'en-US';
export const DEFAULT_TIME_ZONE = 'UTC';

export const isLocale = (v: unknown): v is string => typeof v === 'string' && (LOCALES as readonly string[]).includes(v);
export function isTimeZone(v: unknown): v is string {
  if (typeof v !== 'string' || !v || v.length > 64) return false;
  try { new Intl.DateTimeFormat('en', { timeZone: v }); return true; } catch { return false; }
}

/** `{name}` in a message is replaced by params.name (the caller escapes for HTML; eta does). */
export function interpolate(text: string, params?: Record<string, string | number>): string {
  return params ? text.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : text;
}

export interface Messages {
  locale: string;
  timeZone: string;
  t(key: MessageKey, params?: Record<string, string | number>): string;
  fmt: { dateTime(ms: number | null | undefined): string; date(ms: number | null | undefined): string; number(n: number | null | undefined): string };
}

// Intl formatters cost ~50 µs to build: one set per (locale, zone), a handful in practice.
const cache = new Map<string, Messages>();

export function messages(locale?: string | null, timeZone?: string | null): Messages {
  const loc = isLocale(locale) ? locale : DEFAULT_LOCALE;
  const tz = isTimeZone(timeZone) ? timeZone : DEFAULT_TIME_ZONE;
  const id = `${loc}|${tz}`;
  const hit = cache.get(id);
  if (hit) return hit;
  const cat = CATALOGS[loc.split('-')[0]!] ?? en;
  const dt = new Intl.DateTimeFormat(loc, { dateStyle: 'medium', timeStyle: 'short', timeZone: tz });
  const d = new Intl.DateTimeFormat(loc, { dateStyle: 'medium', timeZone: tz });
  const nf = new Intl.NumberFormat(loc);
  const m: Messages = {
    locale: loc, timeZone: tz,
    t: (key, params) => interpolate(cat[key] ?? en[key] ?? key, params),
    fmt: {
      dateTime: (ms) => (ms === null || ms === undefined ? '' : dt.format(new Date(Number(ms)))),
      date: (ms) => (ms === null || ms === undefined ? '' : d.format(new Date(Number(ms)))),
      number: (n) => (n === null || n === undefined ? '' : nf.format(Number(n))),
    },
  };
  if (cache.size > 200) cache.clear();
  cache.set(id, m);
  return m;
}
