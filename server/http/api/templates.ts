/* /api/v1/templates: CRUD of templates with safe placeholders ({Person.firstName}); one default. */
import { Type } from '@sinclair/typebox';
import type { Api } from './index.js';
import type { Services } from '../../services.js';
import { ListQuery, pageOf, IdParams, errors } from './schemas.js';

export const TemplateSchema = Type.Object({
  id: Type.Integer(), name: Type.String(), subject: Type.String(), html: Type.String(), text: Type.Union([Type.String(), Type.Null()]),
  is_default: Type.Boolean(), created_at: Type.Integer(), updated_at: Type.Integer(),
});
const Body = Type.Object({
  name: Type.String({ maxLength: 100 }), subject: Type.String({ maxLength: 2000 }), html: Type.String({ maxLength: 5_000_000 }),
  text: Type.Optional(Type.Union([Type.String({ maxLength: 5_000_000 }), Type.Null()])), isDefault: Type.Optional(Type.Boolean()),
});

export function templatesApi(app: Api, s: Services) {
  const tags = ['templates'];
  const t = s.sources.templates;
  app.get('/templates', { schema: { tags, summary: 'Templates', querystring: ListQuery, response: { 200: pageOf(TemplateSchema) } } }, async (req) => t.list(req.query));
  app.get('/templates/:id', { schema: { tags, summary: 'One template', params: IdParams, response: { 200: TemplateSchema, ...errors(404) } } }, async (req) => t.get(req.params.id));
  app.post('/templates', { schema: { tags, summary: 'Create a template', body: Body, response: { 201: TemplateSchema, ...errors(400) } } }, async (req, reply) => {
    const b = req.body;
    reply.status(201);
    return t.create({ name: b.name, subject: b.subject, html: b.html, text: b.text ?? null, is_default: b.isDefault ?? false });
  });
  app.patch('/templates/:id', { schema: { tags, summary: 'Change a template', params: IdParams, body: Type.Partial(Body), response: { 200: TemplateSchema, ...errors(400, 404) } } }, async (req) => {
    const { isDefault, ...rest } = req.body;
    return t.update(req.params.id, { ...rest, ...(isDefault !== undefined ? { is_default: isDefault } : {}) });
  });
  app.delete('/templates/:id', { schema: { tags, summary: 'Delete a template', params: IdParams, response: { 204: Type.Null(), ...errors(404) } } }, async (req, reply) => {
    await t.remove(req.params.id);
    return reply.status(204).send(null);
  });
}
