/*
 * /api/v1/records/{accounts|contacts|leads}: bulk upsert (the stable interface, DESIGN.md
 * "Records"), list with filters (`email=` finds the records holding an address), CRUD, and
 * /api/v1/email-addresses/opt-out (an address opted out for every record that holds it).
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, errors, Nullable, Ms, listArgs, mapPage } from './schemas.js';
import { BODY_LIMITS } from '../limits.js';
import { TYPE_OF_PLURAL, type RecordFilter, type RecordInput } from '../../records/types.js';
import type { RecordView } from '../../records/service.js';

const Plural = Type.Union([Type.Literal('accounts'), Type.Literal('contacts'), Type.Literal('leads')]);
const TypeParams = Type.Object({ type: Plural });
const TypeIdParams = Type.Object({ type: Plural, id: Type.Integer({ minimum: 1 }) });
const AttrValue = Nullable(Type.Union([Type.String(), Type.Number(), Type.Boolean()]));

export const RecordEmailSchema = Type.Object({
  address: Type.String({ description: 'normal form: trimmed, lower case, IDNA domain' }), primary: Type.Boolean(),
  optedOut: Type.Boolean({ description: 'opted out entirely (for every record holding the address)' }),
  blocked: Type.Boolean({ description: 'on the blocked-address list' }), blockedReason: Nullable(Type.String()),
});
export const RecordSchema = Type.Object({
  id: Type.Integer(), type: Type.String(), externalId: Nullable(Type.String()), firstName: Nullable(Type.String()), lastName: Nullable(Type.String()),
  name: Type.String(), title: Nullable(Type.String()), phone: Nullable(Type.String()), teamId: Nullable(Type.Integer()),
  accountId: Nullable(Type.Integer()), accountName: Nullable(Type.String()), formerEmployee: Type.Boolean(),
  attributes: Type.Record(Type.String(), AttrValue), emails: Type.Array(RecordEmailSchema), createdAt: Ms(), updatedAt: Ms(),
});
const Str = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));
export const RecordInputSchema = Type.Object({
  externalId: Str(191), firstName: Str(200), lastName: Str(200), name: Str(400), title: Str(200), phone: Str(64),
  email: Type.Optional(Nullable(Type.String({ maxLength: 400, description: 'the primary address' }))),
  emails: Type.Optional(Type.Array(Type.String({ maxLength: 400 }), { maxItems: 20, description: 'all the addresses (replaces them); the first is primary unless primaryEmail says' })),
  primaryEmail: Type.Optional(Nullable(Type.String({ maxLength: 400 }))),
  accountExternalId: Type.Optional(Nullable(Type.String({ maxLength: 191, description: 'contacts: the account by its externalId (created bare when missing)' }))),
  accountName: Type.Optional(Nullable(Type.String({ maxLength: 400, description: 'contacts: the account by name (created when missing)' }))),
  accountId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))), teamId: Type.Optional(Nullable(Type.Integer({ minimum: 1 }))),
  formerEmployee: Type.Optional(Type.Boolean()), attributes: Type.Optional(Type.Record(Type.String(), AttrValue)),
}, { additionalProperties: false });
const Filters = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 400, description: 'records holding this address (any case, normalised)' })),
  emailDomain: Type.Optional(Type.String({ maxLength: 253 })), externalId: Type.Optional(Type.String({ maxLength: 191, description: 'substring' })),
  name: Type.Optional(Type.String({ maxLength: 200 })), firstName: Type.Optional(Type.String({ maxLength: 200 })), lastName: Type.Optional(Type.String({ maxLength: 200 })),
  title: Type.Optional(Type.String({ maxLength: 200 })), phone: Type.Optional(Type.String({ maxLength: 64 })),
  teamId: Type.Optional(Type.Integer({ minimum: 1 })), accountId: Type.Optional(Type.Integer({ minimum: 1 })),
  formerEmployee: Type.Optional(Type.Boolean()), optedOut: Type.Optional(Type.Boolean({ description: 'has an address opted out entirely (true) / none (false)' })),
  blocked: Type.Optional(Type.Boolean({ description: 'has a blocked address (true) / none (false)' })),
}, { description: 'plus attr.<key>=<value>: a custom attribute equals (as a string)' });
const BulkBody = Type.Object({
  items: Type.Array(Type.Record(Type.String(), Type.Unknown()), { maxItems: 10_000, description: 'RecordInput objects (see POST); each is checked on its own: a bad one is reported by index, the others are kept' }),
  match: Type.Optional(Type.Union([Type.Literal('externalId'), Type.Literal('email')], { description: 'what an item is matched on: externalId (default, unique per type) or its primary address' })),
  dryRun: Type.Optional(Type.Boolean({ description: 'check and count only, keep nothing' })),
}, { additionalProperties: false });
const BulkResultSchema = Type.Object({ created: Type.Integer(), updated: Type.Integer(), errors: Type.Array(Type.Object({ index: Type.Integer(), message: Type.String() })) });

/** A record as the API answers it (camelCase; emails and attributes nested). */
export const recordOut = (r: RecordView) => ({
  id: r.id, type: r.type, externalId: r.external_id, firstName: r.first_name, lastName: r.last_name, name: r.name, title: r.title, phone: r.phone,
  teamId: r.team_id, accountId: r.account_id, accountName: r.account_name, formerEmployee: r.former_employee, attributes: r.attributes,
  emails: r.emails, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** The RecordFilter of a list query (API and pages). */
export function recordFilterFrom(q: Record<string, unknown>): Omit<RecordFilter, 'type'> {
  const s = (k: string) => (typeof q[k] === 'string' && (q[k] as string).trim() !== '' ? (q[k] as string).trim() : undefined);
  const n = (k: string) => (q[k] === undefined || q[k] === '' ? undefined : Number.isSafeInteger(Number(q[k])) ? Number(q[k]) : undefined);
  const b = (k: string) => (q[k] === true || q[k] === 'true' ? true : q[k] === false || q[k] === 'false' ? false : undefined);
  const fields: NonNullable<RecordFilter['fields']> = {};
  for (const f of ['firstName', 'lastName', 'name', 'title', 'phone', 'externalId'] as const) { const v = s(f); if (v) fields[f] = v; }
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (k.startsWith('attr.') && k.length > 5 && typeof v === 'string' && v !== '') attributes[k.slice(5)] = v;
  const out: Omit<RecordFilter, 'type'> = {
    search: s('q'), email: s('email'), emailDomain: s('emailDomain'), teamId: n('teamId'), accountId: n('accountId'),
    formerEmployee: b('formerEmployee'), optedOut: b('optedOut'), blocked: b('blocked'),
  };
  if (Object.keys(fields).length) out.fields = fields;
  if (Object.keys(attributes).length) out.attributes = attributes;
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as Omit<RecordFilter, 'type'>;
}

export function recordsApi(app: Api, s: Services) {
  const tags = ['records'];
  const svc = s.records;
  app.post('/records/:type/bulk', {
    bodyLimit: BODY_LIMITS.upload,
    schema: { tags, summary: 'Upsert up to 10,000 records by externalId (or by address): {created, updated, errors:[{index, message}]}', params: TypeParams, body: BulkBody, response: { 200: BulkResultSchema, ...errors(400) } },
  }, async (req) => svc.bulkUpsert(TYPE_OF_PLURAL[req.params.type]!, req.body.items as RecordInput[], { match: req.body.match, dryRun: req.body.dryRun }));
  app.get('/records/:type', {
    schema: { tags, summary: 'Records of a type (email= finds the records holding an address)', params: TypeParams, querystring: Type.Intersect([ListQuery, Filters]), response: { 200: pageOf(RecordSchema), ...errors(400) } },
  }, async (req) => {
    const q = req.query as Record<string, unknown> & { sort?: string; dir?: 'asc' | 'desc'; page?: number; perPage?: number };
    const page = await svc.list(TYPE_OF_PLURAL[req.params.type]!, { ...listArgs({ sort: q.sort, dir: q.dir, page: q.page, perPage: q.perPage }), filter: recordFilterFrom(q) });
    return mapPage(page, recordOut);
  });
  app.post('/records/:type', { schema: { tags, summary: 'Create a record', params: TypeParams, body: RecordInputSchema, response: { 201: RecordSchema, ...errors(400) } } },
    async (req, reply) => { reply.status(201); return recordOut(await svc.create(TYPE_OF_PLURAL[req.params.type]!, req.body)); });
  app.get('/records/:type/:id', { schema: { tags, summary: 'One record with its addresses', params: TypeIdParams, response: { 200: Type.Intersect([RecordSchema, Type.Object({ targetLists: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), optedOut: Type.Boolean() })) })]), ...errors(404) } } },
    async (req) => {
      const type = TYPE_OF_PLURAL[req.params.type]!;
      const r = await svc.get(type, req.params.id);
      return { ...recordOut(r), targetLists: (await svc.listsOf(type, r.id)).map((l) => ({ id: l.id, name: l.name, optedOut: l.opted_out })) };
    });
  app.patch('/records/:type/:id', { schema: { tags, summary: 'Change the given fields (emails replaces the addresses; email alone makes that one primary)', params: TypeIdParams, body: RecordInputSchema, response: { 200: RecordSchema, ...errors(400, 404) } } },
    async (req) => recordOut(await svc.update(TYPE_OF_PLURAL[req.params.type]!, req.params.id, req.body)));
  app.delete('/records/:type/:id', { schema: { tags, summary: 'Delete a record (its addresses stay, with their opt-out)', params: TypeIdParams, response: { 204: Type.Null(), ...errors(404) } } },
    async (req, reply) => { await svc.remove(TYPE_OF_PLURAL[req.params.type]!, req.params.id); return reply.status(204).send(null); });
  app.post('/records/former-employee', {
    schema: { tags, summary: 'Mark contacts and leads as former employees (or not)', body: Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 }), value: Type.Boolean() }), response: { 200: Type.Object({ changed: Type.Integer() }) } },
  }, async (req) => ({ changed: await svc.setFormerEmployee(req.body.ids, req.body.value) }));
  app.post('/email-addresses/opt-out', {
    schema: { tags, summary: 'Opt an address out entirely (every record holding it), or back in', body: Type.Object({ address: Type.String({ minLength: 3, maxLength: 400 }), optedOut: Type.Boolean() }), response: { 200: Type.Object({ address: Type.String(), optedOut: Type.Boolean() }), ...errors(400) } },
  }, async (req) => { const address = await svc.setOptedOut(req.body.address, req.body.optedOut); return { address, optedOut: await svc.isOptedOut(address) }; });
}
