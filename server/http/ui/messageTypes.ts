/* Message types pages: list with an add form, edit, delete. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, formErrors, type Body } from './forms.js';

export function messageTypesUi(app: FastifyInstance, s: Services) {
  const m = s.sources.messageTypes;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const listPage = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const page = await m.list(listQueryFrom(query));
    return { title: 'Message types', page, query, links: listLinks('/admin/message-types', query, page), ...data };
  };

  app.get('/message-types', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/message-types/list.eta', await listPage(req)));
  app.post('/message-types', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description') };
    try {
      const row = await m.create(values);
      flash(reply, 'ok', `Message type ${row.name} created`);
      return reply.redirect('/admin/message-types', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return render(req, reply, 'pages/message-types/list.eta', await listPage(req, { values, ...fe }));
    }
  });
  app.get('/message-types/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await m.get(idOf(req));
    return render(req, reply, 'pages/message-types/form.eta', { title: `Message type ${row.name}`, editing: row, values: row });
  });
  app.post('/message-types/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const editing = await m.get(idOf(req));
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description') };
    try {
      await m.update(editing.id, values);
      flash(reply, 'ok', `Message type ${values.name} saved`);
      return reply.redirect('/admin/message-types', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return render(req, reply, 'pages/message-types/form.eta', { title: `Message type ${editing.name}`, editing, values, ...fe });
    }
  });
  app.post('/message-types/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const row = await m.get(idOf(req));
    await m.remove(row.id);
    flash(reply, 'ok', `Message type ${row.name} deleted`);
    return reply.redirect('/admin/message-types', 303);
  });
}
