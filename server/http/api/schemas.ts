/* TypeBox schemas shared by API routes: errors, list queries and pages. */
import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), fields: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))) }),
}, { $id: 'Error' });

export const ListQuery = Type.Object({
  sort: Type.Optional(Type.String()),
  dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  q: Type.Optional(Type.String({ maxLength: 200 })),
  page: Type.Optional(Type.Integer({ minimum: 1 })),
  perPage: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
});

export const pageOf = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer(),
});

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

/** Standard error responses for the OpenAPI document. */
export const errors = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorBody)]));
