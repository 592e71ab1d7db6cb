/* /api/v1/filters: email filters (CRUD, move, dry run). Admins: global and any mailbox's; agents: their personal mailboxes' (the service decides). */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { IdParams, errors, Nullable, Ms } from './schemas.js';
import { FIELDS, TEXT_OPS, SIZE_OPS } from '../../routing/filters/match.js';
import { scopeOf, type FilterInput, type FilterScope } from '../../routing/filters/service.js';
import type { FilterRow } from '../../db/repos/filters/filters.js';

const lit = (xs: readonly string[]) => Type.Union(xs.map((x) => Type.Literal(x)));
const Condition = Type.Object({
  field: lit(FIELDS), op: lit([...TEXT_OPS, ...SIZE_OPS]), value: Type.String({ maxLength: 1000, description: 'text; a pattern for matches (bounded engine, checked with safe-regex2); bytes for size' }),
  header: Type.Optional(Type.String({ maxLength: 100, description: 'the header name, for field=header' })),
}, { additionalProperties: false });
const Actions = Type.Object({
  skip: Type.Optional(Type.Boolean({ description: 'kept for audit, not routed, not in the inbox' })), stop: Type.Optional(Type.Boolean({ description: 'no later filter runs' })),
  folder: Type.Optional(Nullable(Type.String({ maxLength: 200 }))), markRead: Type.Optional(Type.Boolean()), noNotify: Type.Optional(Type.Boolean()),
  assignTeamId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))), assignUserId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 10 })),
}, { additionalProperties: false });
const Filter = Type.Object({
  id: Type.Integer(), name: Type.String(), scope: lit(['global', 'mailbox', 'personal']), mailboxId: Nullable(Type.Integer()), mailboxAddress: Nullable(Type.String()),
  position: Type.Integer(), active: Type.Boolean(), match: lit(['all', 'any']), conditions: Type.Array(Condition), actions: Actions, createdAt: Ms(), updatedAt: Ms(),
});
const Input = Type.Object({
  name: Type.String({ maxLength: 200 }), mailboxId: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'null or absent: a global filter (admins)' }))),
  position: Type.Optional(Type.Integer({ minimum: 0, description: 'order within its scope; absent: last' })), active: Type.Optional(Type.Boolean()),
  match: Type.Optional(lit(['all', 'any'])), conditions: Type.Array(Condition, { minItems: 1, maxItems: 20 }), actions: Actions,
}, { additionalProperties: false });
const DryRun = Type.Object({
  filterId: Type.Optional(Type.Integer({ minimum: 1 })), filter: Type.Optional(Type.Partial(Input)), inboundId: Type.Integer({ minimum: 1 }),
}, { additionalProperties: false });
const DryRunResult = Type.Object({
  matched: Type.Boolean(), conditions: Type.Array(Type.Object({ index: Type.Integer(), matched: Type.Boolean() })),
  wouldDo: Type.Record(Type.String(), Type.Unknown(), { description: 'the routing decisions this filter alone would make' }), inboundId: Type.Integer(), filterId: Nullable(Type.Integer()),
});
const ListQ = Type.Object({ mailboxId: Type.Optional(Type.Integer({ minimum: 1 })), scope: Type.Optional(lit(['global', 'mailbox', 'personal'])) });

export const filterOut = (f: FilterRow) => ({
  id: f.id, name: f.name, scope: scopeOf(f), mailboxId: f.mailbox_id, mailboxAddress: f.mailbox_address, position: f.position, active: f.active, match: f.match,
  conditions: f.conditions as Array<{ field: typeof FIELDS[number]; op: string; value: string }>, actions: f.actions, createdAt: f.created_at, updatedAt: f.updated_at,
});

export function filtersApi(app: Api, s: Services) {
  const tags = ['filters'];
  const Listed = Type.Object({ items: Type.Array(Filter), total: Type.Integer() });
  app.get('/filters', { schema: { tags, summary: 'Email filters in run order (global, mailbox, personal mailbox; by position)', querystring: ListQ, response: { 200: Listed } } },
    async (req) => {
      const items = (await s.filters.list(req.principal!, req.query as { mailboxId?: number; scope?: FilterScope })).map(filterOut);
      return { items, total: items.length };
    });
  app.post('/filters', { schema: { tags, summary: 'Add a filter (appended to its scope unless a position is given)', body: Input, response: { 201: Filter, ...errors(400, 403) } } },
    async (req, reply) => { reply.status(201); return filterOut(await s.filters.create(req.principal!, req.body as FilterInput)); });
  app.post('/filters/dry-run', {
    schema: { tags, summary: 'Run a saved (filterId) or unsaved (filter) filter against a stored message; changes nothing', body: DryRun, response: { 200: DryRunResult, ...errors(400, 404) } },
  },
    async (req) => {
      const r = await s.filters.dryRun(req.principal!, req.body as { filterId?: number; filter?: FilterInput; inboundId: number });
      return { ...r, wouldDo: { ...r.wouldDo } };
    });
  app.get('/filters/:id', { schema: { tags, summary: 'One filter', params: IdParams, response: { 200: Filter, ...errors(404) } } },
    async (req) => filterOut(await s.filters.get(req.principal!, req.params.id)));
  app.patch('/filters/:id', { schema: { tags, summary: 'Change a filter', params: IdParams, body: Type.Partial(Input), response: { 200: Filter, ...errors(400, 403, 404) } } },
    async (req) => filterOut(await s.filters.update(req.principal!, req.params.id, req.body as FilterInput)));
  app.delete('/filters/:id', { schema: { tags, summary: 'Remove a filter', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await s.filters.remove(req.principal!, req.params.id);
    return reply.status(204).send(null);
  });
}
