/* Templates pages: list, create, edit (with "make default"), delete. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom } from './render.js';
import { requireUser, flash } from './session.js';
import { str, bool, formErrors, type Body } from './forms.js';

export function templatesUi(app: FastifyInstance, s: Services) {
  const t = s.sources.templates;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const form = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) =>
    render(req, reply, 'pages/templates/form.eta', { title: data.editing ? 'Edit template' : 'New template', ...data });
  const valuesOf = (b: Body) => ({ name: str(b, 'name'), subject: str(b, 'subject'), html: str(b, 'html'), text: str(b, 'text'), is_default: bool(b, 'is_default') });

  app.get('/templates', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = await t.list(listQueryFrom(query));
    return render(req, reply, 'pages/templates/list.eta', { title: 'Templates', page, query, links: listLinks('/admin/templates', query, page) });
  });
  app.get('/templates/new', { preHandler: requireUser }, async (req, reply) => form(req, reply, { values: { html: '<p>Hello {Person.firstName},</p>\n' } }));
  app.post('/templates/new', { preHandler: requireUser }, async (req, reply) => {
    const values = valuesOf(req.body as Body);
    try {
      const row = await t.create(values);
      flash(reply, 'ok', `Template ${row.name} created`);
      return reply.redirect('/admin/templates', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return form(req, reply, { values, ...fe });
    }
  });
  app.get('/templates/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await t.get(idOf(req));
    return form(req, reply, { editing: row, values: { ...row, text: row.text ?? '' } });
  });
  app.post('/templates/:id', { preHandler: requireUser }, async (req, reply) => {
    const editing = await t.get(idOf(req));
    const values = valuesOf(req.body as Body);
    try {
      await t.update(editing.id, { ...values, is_default: values.is_default || undefined });
      flash(reply, 'ok', `Template ${values.name} saved`);
      return reply.redirect('/admin/templates', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return form(req, reply, { editing, values, ...fe });
    }
  });
  app.post('/templates/:id/delete', { preHandler: requireUser }, async (req, reply) => {
    const row = await t.get(idOf(req));
    await t.remove(row.id);
    flash(reply, 'ok', `Template ${row.name} deleted`);
    return reply.redirect('/admin/templates', 303);
  });
}
