/* Templates pages: list, create, edit (with "make default"), delete. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction } from './formAction.js';

export function templatesUi(app: FastifyInstance, s: Services) {
  const t = s.templates;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const form = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) =>
    render(req, reply, 'pages/templates/form.eta', { title: tr(req).t(data.editing ? 'templates.form.editTitle' : 'templates.form.newTitle'), ...data });
  const valuesOf = (b: Body) => ({ name: str(b, 'name'), subject: str(b, 'subject'), html: str(b, 'html'), text: str(b, 'text'), is_default: bool(b, 'is_default') });

  app.get('/templates', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = await t.list(listQueryFrom(query));
    return render(req, reply, 'pages/templates/list.eta', { title: tr(req).t('templates.list.title'), page, query, links: listLinks('/admin/templates', query, page) });
  });
  app.get('/templates/new', { preHandler: requireUser }, async (req, reply) => form(req, reply, { values: { html: '<p>Hello {Person.firstName},</p>\n' } }));
  app.post('/templates/new', { preHandler: requireUser }, async (req, reply) => {
    const values = valuesOf(req.body as Body);
    return formAction(reply, {
      act: () => t.create(values),
      done: (row) => ({ to: '/admin/templates', flash: tr(req).t('templates.flash.created', { name: row.name }) }),
      retry: (fe) => form(req, reply, { values, ...fe }),
    });
  });
  app.get('/templates/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await t.get(idOf(req));
    return form(req, reply, { editing: row, values: { ...row, text: row.text ?? '' } });
  });
  app.post('/templates/:id', { preHandler: requireUser }, async (req, reply) => {
    const editing = await t.get(idOf(req));
    const values = valuesOf(req.body as Body);
    return formAction(reply, {
      act: () => t.update(editing.id, { ...values, is_default: values.is_default || undefined }),
      done: () => ({ to: '/admin/templates', flash: tr(req).t('templates.flash.saved', { name: values.name }) }),
      retry: (fe) => form(req, reply, { editing, values, ...fe }),
    });
  });
  app.post('/templates/:id/delete', { preHandler: requireUser }, async (req, reply) => {
    const row = await t.get(idOf(req));
    await t.remove(row.id);
    flash(reply, 'ok', tr(req).t('templates.flash.deleted', { name: row.name }));
    return reply.redirect('/admin/templates', 303);
  });
}
