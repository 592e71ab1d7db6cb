/*
 * Shared list query: whitelisted sort columns, exact-match filters, a text search over
 * named columns, and page/perPage pagination. Every list page and list API uses it, so
 * sort, filter and paging behave the same everywhere. A page number past MAX_PAGE (or not
 * a safe integer: page=1e20) is refused, never turned into an offset no database accepts.
 */
import type { Knex } from 'knex';
import { invalid } from '../errors.js';
import { columns, type DbRow } from './row.js';

export interface ListQuery {
  sort?: string;
  dir?: 'asc' | 'desc';
  q?: string;
  page?: number;
  perPage?: number;
  filters?: Record<string, string | number | boolean | undefined>;
}
export interface ListSpec {
  sortable: string[];
  defaultSort: string;
  defaultDir?: 'asc' | 'desc';
  searchable?: string[];
  filterable?: string[];
  /**
   * Count at most this many (the total is then this figure and `capped` is set): an exact count
   * over millions of rows is seconds of scanning (10M campaign log rows: 9 s on MariaDB).
   */
  countCap?: number;
}
export interface Page<T> { items: T[]; total: number; page: number; perPage: number; sort: string; dir: 'asc' | 'desc'; capped?: boolean }

export const MAX_PER_PAGE = 200;
/** Far beyond any list here, well inside every database's OFFSET range. */
export const MAX_PAGE = 1_000_000;

export async function listPage<T>(base: Knex.QueryBuilder, spec: ListSpec, q: ListQuery, map: (row: DbRow) => T = columns<T>): Promise<Page<T>> {
  const sort = q.sort && spec.sortable.includes(q.sort) ? q.sort : spec.defaultSort;
  const dir = q.dir === 'asc' || q.dir === 'desc' ? q.dir : spec.defaultDir ?? 'asc';
  const perPage = Math.min(Math.max(1, Math.floor(q.perPage ?? 25)), MAX_PER_PAGE);
  const page = q.page ?? 1;
  if (!Number.isSafeInteger(page) || page < 1 || page > MAX_PAGE) throw invalid([{ field: 'page', message: `must be a whole number from 1 to ${MAX_PAGE}` }]);
  const where = base.clone();
  for (const [k, v] of Object.entries(q.filters ?? {})) {
    if (v === undefined || v === '' || !(spec.filterable ?? []).includes(k)) continue;
    where.where(k, v);
  }
  if (q.q && spec.searchable?.length) {
    // '!' as the LIKE escape: MySQL and SQLite disagree about backslashes.
    const needle = `%${q.q.replace(/[!%_]/g, (c) => `!${c}`)}%`;
    where.where((w) => { for (const col of spec.searchable!) w.orWhereRaw("?? LIKE ? ESCAPE '!'", [col, needle]); });
  }
  const counted = spec.countCap
    ? where.client.queryBuilder().count({ n: '*' }).from(where.clone().clearSelect().clearOrder().select(where.client.raw('1')).limit(spec.countCap + 1).as('c'))
    : where.clone().clearSelect().clearOrder().count({ n: '*' });
  const [{ n }] = (await counted) as Array<{ n: number | string }>;
  const capped = spec.countCap !== undefined && Number(n) > spec.countCap;
  const rows = await where.orderBy([{ column: sort, order: dir }, { column: spec.defaultSort === 'id' ? 'id' : spec.defaultSort, order: dir }])
    .limit(perPage).offset((page - 1) * perPage);
  return { items: rows.map(map), total: capped ? spec.countCap! : Number(n), page, perPage, sort, dir, ...(capped ? { capped } : {}) };
}
