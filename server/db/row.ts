/*
 * Rows as the drivers return them: column → value. MySQL returns BIGINT and COUNT as
 * strings and both return booleans as 0/1, so every repository maps its rows through these.
 */

export type DbRow = Record<string, unknown>;

/** The row's columns as `T`: a mapper spreads this, then fixes numbers, booleans and JSON. */
export const columns = <T>(r: DbRow): T => r as unknown as T;
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
/** A JSON array column (text on SQLite); anything unreadable is an empty list. */
export function jsonList(v: unknown): string[] {
  try { const x: unknown = JSON.parse(typeof v === 'string' && v ? v : '[]'); return Array.isArray(x) ? x.map(String) : []; } catch { return []; }
}
