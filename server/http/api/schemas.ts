/*
 * TypeBox schemas and helpers shared by API routes: errors, list queries and pages, and the
 * camelCase edge (API fields are camelCase in and out; repositories keep snake_case rows).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { camelKeys, snakeCase } from '../../lib/case.js';
import { invalid } from '../../errors.js';

/** The value or null. */
export const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
/** A point in time, epoch milliseconds. */
export const Ms = (description = 'epoch ms') => Type.Integer({ description });
/** A point in time as a request gives it: epoch ms or an ISO 8601 string (read with `timeOf`). */
export const TimeIn = (description: string) => Type.Union([Type.Integer(), Type.String({ maxLength: 40 })], { description: `${description} (epoch ms or ISO 8601)` });
/** Epoch ms of a `TimeIn` value; a string that is no date is a 400 naming the field. */
export function timeOf(v: number | string | undefined, field: string): number | undefined {
  if (v === undefined || typeof v === 'number') return v;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw invalid([{ field, message: 'must be epoch milliseconds or an ISO 8601 date-time' }]);
  return t;
}

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))) }),
}, { $id: 'Error' });

export const ListQuery = Type.Object({
  sort: Type.Optional(Type.String({ maxLength: 64, description: 'a field name of the items (camelCase), e.g. createdAt' })),
  dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const pageOf = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer(),
});

/** A list query for a repository: `sort` names an API field (createdAt), the repository a column (created_at). */
export const listArgs = <Q extends { sort?: string }>(q: Q): Q => ({ ...q, sort: q.sort && !q.sort.includes('_') ? snakeCase(q.sort) : undefined });

interface PageIn<T> { items: T[]; total: number; page: number; perPage: number }
/** A repository page as the API answers it (items mapped; the column it sorted by is not repeated). */
export const mapPage = <T, U>(p: PageIn<T>, f: (row: T) => U) => ({ items: p.items.map((r) => f(r)), total: p.total, page: p.page, perPage: p.perPage });
/** A page of flat rows with camelCase keys. */
export const camelPage = <T extends object>(p: PageIn<T>) => mapPage(p, camelKeys);

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Standard error responses for the OpenAPI document. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorBody)]));
