/*
 * /api/v1/target-lists: lists of recipients of mixed types (accounts, contacts, leads, users).
 * CRUD; members by type with counts; add by reference (id or externalId) or by filter (every
 * match, server-side); remove singly, in bulk or by filter; per-list opt-out of a member;
 * dynamic lists' criteria, preview and evaluation; a preview count of any filter.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, IdParams, errors, Nullable, Ms, listArgs, mapPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { BODY_LIMITS } from '../limits.js';
import { invalid } from '../../errors.js';
import type { MemberRef } from '../../targetLists/service.js';

const TypeLit = Type.Union([Type.Literal('account'), Type.Literal('contact'), Type.Literal('lead'), Type.Literal('user')]);
const str = (maxLength = 320) => Type.Optional(Type.String({ maxLength }));
export const RecordFilterSchema = Type.Object({
  type: TypeLit,
  search: str(), email: str(), emailDomain: str(),
  fields: Type.Optional(Type.Object({
    firstName: str(200), lastName: str(200), name: str(200), title: str(200), phone: str(200), externalId: str(200),
  }, { additionalProperties: false })),
  attributes: Type.Optional(Type.Record(Type.String({ maxLength: 100 }), Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean()]))),
  teamId: Type.Optional(Type.Integer({ minimum: 1 })), accountId: Type.Optional(Type.Integer({ minimum: 1 })),
  formerEmployee: Type.Optional(Type.Boolean()),
  optedOut: Type.Optional(Type.Boolean({ description: 'has an address opted out entirely (true) / none (false)' })),
  blocked: Type.Optional(Type.Boolean({ description: 'has an address on the blocked list (true) / none (false)' })),
}, { additionalProperties: false, description: 'selects records of one type; every condition given must hold' });
const Counts = Type.Object({
  account: Type.Integer(), contact: Type.Integer(), lead: Type.Integer(), user: Type.Integer(), total: Type.Integer(),
  optedOut: Type.Integer({ description: 'members opted out of this list only' }),
});
export const TargetListSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), description: Type.String(), kind: Type.Union([Type.Literal('static'), Type.Literal('dynamic')]),
  criteria: Nullable(Type.Array(RecordFilterSchema)), evaluatedAt: Nullable(Ms()),
  lastAdded: Nullable(Type.Integer({ description: 'members the last evaluation added' })), lastRemoved: Nullable(Type.Integer()),
  createdAt: Ms(), updatedAt: Ms(), counts: Counts,
});
const MemberSchema = Type.Object({
  type: TypeLit, id: Type.Integer(), externalId: Nullable(Type.String()), name: Type.String(), email: Nullable(Type.String()),
  optedOut: Type.Boolean({ description: 'opted out of this list only' }), addedAt: Ms(), formerEmployee: Type.Boolean(),
});
const Ref = Type.Union([
  Type.Object({ type: TypeLit, externalId: Type.String({ minLength: 1, maxLength: 191 }) }, { additionalProperties: false }),
  Type.Object({ type: TypeLit, id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
]);
const Refs = Type.Array(Ref, { minItems: 1, maxItems: 10_000 });
const Criteria = Type.Array(RecordFilterSchema, { maxItems: 20 });
const Body = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }), description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
  kind: Type.Optional(Type.Union([Type.Literal('static'), Type.Literal('dynamic')])),
  criteria: Type.Optional(Nullable(Criteria)),
});
const MembersBody = Type.Object({ records: Type.Optional(Refs), filter: Type.Optional(RecordFilterSchema) }, { description: 'either records or filter' });
const MemberParams = Type.Object({ id: Type.Integer({ minimum: 1 }), type: TypeLit, memberId: Type.Integer({ minimum: 1 }) });
const Evaluation = Type.Object({ matches: Type.Integer(), wouldAdd: Type.Integer(), wouldRemove: Type.Integer() });

type ListOut = Awaited<ReturnType<Services['targetLists']['get']>>;
const out = (l: ListOut) => ({ ...camelKeys(l), counts: l.counts! });
const refsOf = (records: Static<typeof Refs>): MemberRef[] => records.map((r) => ('id' in r ? { type: r.type, id: r.id } : { type: r.type, externalId: r.externalId }));

export function targetListsApi(app: Api, s: Services) {
  const tags = ['target lists'];
  const tl = s.targetLists;
  const eitherOr = (b: { records?: unknown; filter?: unknown }) => {
    if (!!b.records === !!b.filter) throw invalid([{ field: 'body', message: 'Give either records or filter' }]);
  };

  app.get('/target-lists', { schema: { tags, summary: 'Target lists with member counts per type', querystring: Type.Intersect([ListQuery, Type.Object({ kind: Type.Optional(Type.Union([Type.Literal('static'), Type.Literal('dynamic')])) })]), response: { 200: Type.Object({ items: Type.Array(TargetListSchema), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer() }) } } },
    async (req) => mapPage(await tl.list({ ...listArgs(req.query), filters: { kind: req.query.kind } }), out));
  app.post('/target-lists', { schema: { tags, summary: 'Create a target list (static, or dynamic with criteria)', body: Body, response: { 201: TargetListSchema, ...errors(400, 409) } } }, async (req, reply) => {
    reply.status(201);
    return out(await tl.create(req.body));
  });
  app.get('/target-lists/:id', { schema: { tags, summary: 'One target list', params: IdParams, response: { 200: TargetListSchema, ...errors(404) } } }, async (req) => out(await tl.get(req.params.id)));
  app.patch('/target-lists/:id', { schema: { tags, summary: 'Rename, describe, or change the kind or criteria', params: IdParams, body: Type.Partial(Body), response: { 200: TargetListSchema, ...errors(400, 404, 409) } } },
    async (req) => out(await tl.update(req.params.id, req.body)));
  app.delete('/target-lists/:id', { schema: { tags, summary: 'Delete a target list and its memberships', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await tl.remove(req.params.id);
    return reply.status(204).send(null);
  });

  app.get('/target-lists/:id/members', {
    schema: {
      tags, summary: 'Members of one type (default contact), with the counts of every type', params: IdParams,
      querystring: Type.Intersect([ListQuery, Type.Object({ type: Type.Optional(TypeLit), optedOut: Type.Optional(Type.Boolean()) })]),
      response: { 200: Type.Object({ items: Type.Array(MemberSchema), total: Type.Integer(), page: Type.Integer(), perPage: Type.Integer(), counts: Counts }), ...errors(404) },
    },
  }, async (req) => {
    const { type = 'contact', optedOut, ...q } = req.query;
    const page = await tl.members(req.params.id, type, { ...listArgs(q), optedOut });
    return { ...mapPage(page, camelKeys), counts: await tl.counts(req.params.id) };
  });
  app.post('/target-lists/:id/members', {
    bodyLimit: BODY_LIMITS.upload,
    schema: { tags, summary: 'Add members: records by id or externalId, or every match of a filter (server-side)', params: IdParams, body: MembersBody, response: { 200: Type.Object({ added: Type.Integer(), notFound: Type.Optional(Type.Array(Type.Integer(), { description: 'indexes of records that name nothing' })) }), ...errors(400, 404) } },
  }, async (req) => {
    const { records, filter } = req.body;
    eitherOr(req.body);
    if (filter) return { added: (await tl.addByFilter(req.params.id, filter)).added };
    return tl.addRecords(req.params.id, refsOf(records!));
  });
  app.post('/target-lists/:id/members/remove', {
    bodyLimit: BODY_LIMITS.upload,
    schema: { tags, summary: 'Remove members in bulk: records by id or externalId, or every member a filter matches', params: IdParams, body: MembersBody, response: { 200: Type.Object({ removed: Type.Integer(), notFound: Type.Optional(Type.Array(Type.Integer())) }), ...errors(400, 404) } },
  }, async (req) => {
    const { records, filter } = req.body;
    eitherOr(req.body);
    if (filter) return tl.removeByFilter(req.params.id, filter);
    return tl.removeRecords(req.params.id, refsOf(records!));
  });
  app.post('/target-lists/:id/members/opt-out', {
    schema: { tags, summary: 'Opt members out of this list only (optedOut false: back in); an address opted out entirely is apart', params: IdParams, body: Type.Object({ records: Refs, optedOut: Type.Optional(Type.Boolean({ default: true })) }), response: { 200: Type.Object({ changed: Type.Integer(), notFound: Type.Array(Type.Integer()) }), ...errors(400, 404) } },
  }, async (req) => tl.setOptedOutRefs(req.params.id, refsOf(req.body.records), req.body.optedOut ?? true));
  app.patch('/target-lists/:id/members/:type/:memberId', { schema: { tags, summary: 'Opt one member out of this list (or back in)', params: MemberParams, body: Type.Object({ optedOut: Type.Boolean() }), response: { 200: Type.Object({ type: TypeLit, id: Type.Integer(), optedOut: Type.Boolean() }), ...errors(404) } } }, async (req) => {
    const { id, type, memberId } = req.params;
    await tl.member(id, type, memberId);
    await tl.setOptedOut(id, type, [memberId], req.body.optedOut);
    return { type, id: memberId, optedOut: req.body.optedOut };
  });
  app.delete('/target-lists/:id/members/:type/:memberId', { schema: { tags, summary: 'Remove one member', params: MemberParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    const { id, type, memberId } = req.params;
    await tl.member(id, type, memberId);
    await tl.removeMembers(id, type, [memberId]);
    return reply.status(204).send(null);
  });

  app.post('/target-lists/preview', { schema: { tags, summary: 'How many records a filter (or several together) selects', body: Type.Object({ filter: Type.Union([RecordFilterSchema, Criteria]) }), response: { 200: Type.Object({ count: Type.Integer() }), ...errors(400) } } },
    async (req) => ({ count: await tl.previewCount(req.body.filter) }));
  app.post('/target-lists/:id/preview', { schema: { tags, summary: "A dynamic list's criteria (saved, or the ones given): matches, and what an evaluation would add and remove", params: IdParams, body: Type.Optional(Type.Object({ criteria: Type.Optional(Criteria) })), response: { 200: Evaluation, ...errors(400, 404) } } },
    async (req) => tl.previewEvaluation(req.params.id, req.body?.criteria));
  app.post('/target-lists/:id/evaluate', { schema: { tags, summary: 'Evaluate a dynamic list now (a mass email does it when it starts)', params: IdParams, response: { 200: Type.Object({ added: Type.Integer(), removed: Type.Integer(), evaluatedAt: Ms(), counts: Counts }), ...errors(400, 404) } } },
    async (req) => tl.evaluate(req.params.id));
}
