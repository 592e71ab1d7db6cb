/*
 * /api/v1/suppressions: the blocked-address list across all mailings (filter, group,
 * export CSV, import, manual add, unblock, delete), the unmatched bounce and complaint
 * reports that blocked nobody, and /api/v1/bounce-policy.
 */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';
import { BODY_LIMITS } from '../limits.js';

export const SuppressionSchema = Type.Object({
  id: Type.Integer(), address: Type.String(), domain: Type.String(), blocked: Type.Boolean(),
  reason: Nullable(Type.String()), class: Nullable(Type.String()), source: Nullable(Type.String()),
  bounceCount: Type.Integer(), hardCount: Type.Integer(), softCount: Type.Integer(),
  firstSeen: Ms(), lastSeen: Ms(), blockedAt: Nullable(Ms()),
  lastInboundId: Nullable(Type.Integer()), lastQueueId: Nullable(Type.Integer()), note: Nullable(Type.String()),
});
const Filters = Type.Object({
  address: Type.Optional(Type.String()), reason: Type.Optional(Type.String()), class: Type.Optional(Type.String()),
  domain: Type.Optional(Type.String()), source: Type.Optional(Type.String()),
  blocked: Type.Optional(Type.Boolean({ description: 'default true; false lists tracked addresses that are not blocked' })),
});
export const UnmatchedSchema = Type.Object({
  id: Type.Integer(), recipient: Type.String({ description: 'the address the report named (unverified)' }),
  source: Type.Union([Type.Literal('dsn'), Type.Literal('arf')]), status: Nullable(Type.String()), class: Nullable(Type.String()),
  reason: Nullable(Type.String()), side: Nullable(Type.String()), diagnostic: Nullable(Type.String()), inboundId: Nullable(Type.Integer()), at: Ms(),
});
const Ids = Type.Object({ ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 }) });
const Policy = Type.Object({ blockOnHard: Type.Boolean(), threshold: Type.Integer(), windowDays: Type.Integer(), decayAfter: Type.Integer() });

export function filtersFrom(q: { address?: string; reason?: string; class?: string; domain?: string; source?: string; blocked?: boolean }) {
  return { address: q.address?.trim().toLowerCase().replace(/^<|>$/g, ''), reason: q.reason, class: q.class, domain: q.domain?.toLowerCase(), source: q.source, blocked: q.blocked ?? true };
}

export function suppressionsApi(app: Api, s: Services) {
  const tags = ['suppressions'];
  const svc = s.suppressions;
  app.get('/suppressions', { schema: { tags, summary: 'Blocked addresses (address= for an exact lookup)', querystring: Type.Intersect([ListQuery, Filters]), response: { 200: pageOf(SuppressionSchema) } } },
    async (req) => {
      const { address, reason, domain, source, blocked, class: cls, ...lq } = req.query;
      return camelPage(await svc.repo.list({ ...listArgs(lq), filters: filtersFrom({ address, reason, domain, source, blocked, class: cls }) }));
    });
  app.get('/suppressions/groups', { schema: { tags, summary: 'Blocked addresses counted by reason or domain', querystring: Type.Object({ by: Type.Union([Type.Literal('reason'), Type.Literal('domain')]) }), response: { 200: Type.Object({ items: Type.Array(Type.Object({ key: Type.String(), n: Type.Integer() })) }) } } },
    async (req) => ({ items: await svc.repo.groupCounts(req.query.by) }));
  app.get('/suppressions/export.csv', { schema: { tags, summary: 'Export as CSV', querystring: Filters } }, async (req, reply) => {
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="suppressions.csv"');
    return svc.exportCsv(filtersFrom(req.query));
  });
  app.get('/suppressions/unmatched', {
    schema: {
      tags, summary: 'Bounce and complaint reports without evidence of our mail (no signed token): kept, blocked nobody; POST /suppressions blocks one by hand',
      querystring: Type.Intersect([ListQuery, Type.Object({ source: Type.Optional(Type.Union([Type.Literal('dsn'), Type.Literal('arf')])) })]), response: { 200: pageOf(UnmatchedSchema) },
    },
  }, async (req) => camelPage(await svc.unmatched(listArgs(req.query))));
  app.get('/suppressions/:id', { schema: { tags, summary: 'One address', params: IdParams, response: { 200: SuppressionSchema, ...errors(404) } } }, async (req) => camelKeys(await svc.get(req.params.id)));
  app.post('/suppressions', { schema: { tags, summary: 'Block an address by hand', body: Type.Object({ address: Type.String({ minLength: 3, maxLength: 320 }), reason: Type.Optional(Type.String({ maxLength: 32 })), note: Type.Optional(Type.String({ maxLength: 1000 })) }), response: { 201: SuppressionSchema, ...errors(400) } } },
    async (req, reply) => { reply.status(201); return camelKeys(await svc.block(req.body.address, { reason: req.body.reason, note: req.body.note })); });
  app.post('/suppressions/import', { bodyLimit: BODY_LIMITS.upload, schema: { tags, summary: 'Import CSV (an address column, optional reason and note)', body: Type.Object({ csv: Type.String({ maxLength: 20_000_000 }) }), response: { 200: Type.Object({ added: Type.Integer(), errors: Type.Array(Type.Object({ line: Type.Integer(), message: Type.String() })) }), ...errors(400) } } },
    async (req) => svc.importCsv(req.body.csv));
  app.post('/suppressions/unblock', { schema: { tags, summary: 'Clear the bounce mark so the addresses can be mailed again', body: Ids, response: { 200: Type.Object({ unblocked: Type.Integer() }) } } },
    async (req) => ({ unblocked: await svc.unblock(req.body.ids) }));
  app.post('/suppressions/delete', { schema: { tags, summary: 'Delete addresses and their bounce history', body: Ids, response: { 200: Type.Object({ deleted: Type.Integer() }) } } },
    async (req) => ({ deleted: await svc.remove(req.body.ids) }));
  app.delete('/suppressions/:id', { schema: { tags, summary: 'Delete one address and its history', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await svc.get(req.params.id);
    await svc.remove([req.params.id]);
    return reply.status(204).send(null);
  });
  app.get('/bounce-policy', { schema: { tags, summary: 'Bounce policy', response: { 200: Policy } } }, async () => svc.policy());
  app.put('/bounce-policy', { schema: { tags, summary: 'Change the bounce policy', body: Type.Partial(Policy), response: { 200: Policy, ...errors(400) } } }, async (req) => svc.setPolicy(req.body));
}
