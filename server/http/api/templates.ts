/* /api/v1/templates: CRUD of templates with safe placeholders ({Person.firstName}); one default. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors, Nullable, Ms, listArgs, camelPage } from './schemas.js';
import { camelKeys } from '../../lib/case.js';

export const TemplateSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), subject: Type.String(), html: Type.String(), text: Nullable(Type.String()),
  isDefault: Type.Boolean(), createdAt: Ms(), updatedAt: Ms(),
});
const Body = Type.Object({
  name: Type.String({ maxLength: 100 }), subject: Type.String({ maxLength: 2000 }), html: Type.String({ maxLength: 5_000_000 }),
  text: Type.Optional(Nullable(Type.String({ maxLength: 5_000_000 }))), isDefault: Type.Optional(Type.Boolean()),
});

export function templatesApi(app: Api, s: Services) {
  const tags = ['templates'];
  const t = s.templates;
  app.get('/templates', { schema: { tags, summary: 'Templates', querystring: ListQuery, response: { 200: pageOf(TemplateSchema) } } }, async (req) => camelPage(await t.list(listArgs(req.query))));
  app.get('/templates/:id', { schema: { tags, summary: 'One template', params: IdParams, response: { 200: TemplateSchema, ...errors(404) } } }, async (req) => camelKeys(await t.get(req.params.id)));
  app.post('/templates', { schema: { tags, summary: 'Create a template', body: Body, response: { 201: TemplateSchema, ...errors(400) } } }, async (req, reply) => {
    const b = req.body;
    reply.status(201);
    return camelKeys(await t.create({ name: b.name, subject: b.subject, html: b.html, text: b.text ?? null, is_default: b.isDefault ?? false }));
  });
  app.patch('/templates/:id', { schema: { tags, summary: 'Change a template', params: IdParams, body: Type.Partial(Body), response: { 200: TemplateSchema, ...errors(400, 404) } } }, async (req) => {
    const { isDefault, ...rest } = req.body;
    return camelKeys(await t.update(req.params.id, { ...rest, ...(isDefault !== undefined ? { is_default: isDefault } : {}) }));
  });
  app.delete('/templates/:id', { schema: { tags, summary: 'Delete a template', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await t.remove(req.params.id);
    return reply.status(204).send(null);
  });
}
