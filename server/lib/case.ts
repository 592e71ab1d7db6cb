/*
 * Key case at the API edge: rows keep their snake_case columns (repositories, UI views), the
 * JSON API speaks camelCase. `camelKeys` renames the keys of one flat row (values untouched,
 * nested objects are mapped explicitly by the caller); `snakeCase` turns an API field name
 * (a `sort` value) back into its column. The types follow the runtime rule exactly: each run
 * of underscores is dropped and the character after it upper-cased.
 */

export type CamelCase<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;
export type CamelKeys<T> = { [K in keyof T as K extends string ? CamelCase<K> : K]: T[K] };

export const camelCase = (s: string): string => s.replace(/_+(.?)/g, (_m, c: string) => c.toUpperCase());

/** `createdAt` → `created_at`; a name without capitals is returned as it is. */
export const snakeCase = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function camelKeys<T extends object>(row: T): CamelKeys<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[camelCase(k)] = v;
  return out as CamelKeys<T>;
}
