/* Users pages: list (sort, filter, search, pages), create, edit, delete. Admins only. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom } from './render.js';
import { requireAdmin, flash } from './session.js';
import { str, bool, ids, formErrors, type Body } from './forms.js';
import { notFound } from '../../errors.js';

export function usersUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  app.get('/users', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['role', 'active']);
    if (lq.filters.active !== undefined) lq.filters.active = (lq.filters.active === 'true') as never;
    const page = await s.auth.users.list(lq);
    return render(req, reply, 'pages/users/list.eta', { title: 'Users', page, query, links: listLinks('/admin/users', query, page) });
  });

  const showForm = async (req: any, reply: any, data: Record<string, unknown>) =>
    render(req, reply, 'pages/users/form.eta', { teams: await s.auth.teams.all(), ...data });

  app.get('/users/new', pre, async (req, reply) => showForm(req, reply, { title: 'New user', values: { role: 'agent', active: true, teamIds: [] } }));
  app.post('/users/new', pre, async (req, reply) => {
    const b = req.body as Body;
    const input = { username: str(b, 'username'), email: str(b, 'email') || null, name: str(b, 'name'), role: str(b, 'role') || 'agent', active: bool(b, 'active'), password: str(b, 'password'), teamIds: ids(b, 'teamIds') };
    try {
      const u = await s.auth.createUser(input);
      flash(reply, 'ok', `User ${u.username} created`);
      return reply.redirect('/admin/users', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return showForm(req, reply, { title: 'New user', values: { ...input, password: '' }, ...fe });
    }
  });
  app.get('/users/:id', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const u = await s.auth.users.get(id);
    if (!u) throw notFound('User');
    const teamIds = (await s.auth.users.teamsOf(id)).map((t) => Number(t.id));
    return showForm(req, reply, { title: `User ${u.username}`, editing: u, values: { ...u, teamIds } });
  });
  app.post('/users/:id', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    const input = { username: str(b, 'username'), email: str(b, 'email') || null, name: str(b, 'name'), role: str(b, 'role'), active: bool(b, 'active'), password: str(b, 'password') || undefined, teamIds: ids(b, 'teamIds') };
    try {
      await s.auth.updateUser(id, input);
      flash(reply, 'ok', 'User saved');
      return reply.redirect('/admin/users', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      const u = await s.auth.users.get(id);
      if (!u) throw e;
      reply.status(fe.error && !Object.keys(fe.errors).length ? 409 : 400);
      return showForm(req, reply, { title: `User ${u.username}`, editing: u, values: { ...input, password: '' }, ...fe });
    }
  });
  app.post('/users/:id/delete', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    try {
      await s.auth.deleteUser(id);
      flash(reply, 'ok', 'User deleted');
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      flash(reply, 'error', fe.error);
    }
    return reply.redirect('/admin/users', 303);
  });
}
