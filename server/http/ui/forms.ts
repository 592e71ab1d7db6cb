/*
 * Form helpers: read fields from urlencoded bodies and query strings (a repeated field
 * counts once, by its first value) and turn AppErrors into per-field messages (pages post
 * through `formAction()`, formAction.ts).
 */
import { isAppError } from '../../errors.js';

export type Body = Record<string, string | string[] | undefined>;
export const str = (b: Body, k: string) => { const v = b[k]; return (Array.isArray(v) ? v[0] : v)?.toString() ?? ''; };
/** The query string with each repeated parameter as its first value: `?q=a&q=b` is `q=a` on every page. */
export function firstValues(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first !== null) out[k] = String(first);
  }
  return out;
}
export const bool = (b: Body, k: string) => ['on', 'true', '1', 'yes'].includes(str(b, k));
export const ids = (b: Body, k: string) => {
  const v = b[k];
  return (Array.isArray(v) ? v : v ? [v] : []).filter((x) => /^\d+$/.test(x)).map(Number);
};

/** For a validation error: `{field: message}` and a summary, so the form can be re-shown. */
export function formErrors(e: unknown, translate?: (key: string) => string): { errors: Record<string, string>; error: string } | null {
  if (!isAppError(e) || e.status >= 500) return null;
  const errors: Record<string, string> = {};
  // A field error that names a catalog key is shown in the user's language when the caller can translate.
  for (const f of e.fields ?? []) errors[f.field] = f.key && translate ? translate(f.key) : f.message;
  return { errors, error: e.message };
}
