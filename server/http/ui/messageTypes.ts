/* Message types pages: list with an add form, edit, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';

export function messageTypesUi(app: FastifyInstance, s: Services) {
  const m = s.messageTypes;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const listPage = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const page = await m.list(listQueryFrom(query));
    return { title: tr(req).t('messageTypes.list.title'), page, query, links: listLinks('/admin/message-types', query, page), ...data };
  };

  app.get('/message-types', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/message-types/list.eta', await listPage(req)));
  app.post('/message-types', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description') };
    return formAction(reply, {
      act: () => m.create(values),
      done: (row) => ({ to: '/admin/message-types', flash: tr(req).t('messageTypes.flash.created', { name: row.name }) }),
      retry: async (fe) => render(req, reply, 'pages/message-types/list.eta', await listPage(req, { values, ...fe })),
    });
  });
  app.get('/message-types/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await m.get(idOf(req));
    return render(req, reply, 'pages/message-types/form.eta', { title: tr(req).t('messageTypes.form.title', { name: row.name }), editing: row, values: row });
  });
  app.post('/message-types/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const editing = await m.get(idOf(req));
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description') };
    return formAction(reply, {
      act: () => m.update(editing.id, values),
      done: () => ({ to: '/admin/message-types', flash: tr(req).t('messageTypes.flash.saved', { name: values.name }) }),
      retry: (fe) => render(req, reply, 'pages/message-types/form.eta', { title: tr(req).t('messageTypes.form.title', { name: editing.name }), editing, values, ...fe }),
    });
  });
  app.post('/message-types/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const row = await m.get(idOf(req));
    await m.remove(row.id);
    flash(reply, 'ok', tr(req).t('messageTypes.flash.deleted', { name: row.name }));
    return reply.redirect('/admin/message-types', 303);
  });
}
