/* Users pages: list (sort, filter, search, pages), create, edit, delete. Admins only. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireAdmin } from './session.js';
import { str, bool, ids, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { notFound } from '../../errors.js';

export function usersUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  app.get('/users', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['role', 'active']);
    if (lq.filters.active !== undefined) lq.filters.active = (lq.filters.active === 'true') as never;
    const page = await s.auth.users.list(lq);
    return render(req, reply, 'pages/users/list.eta', { title: tr(req).t('users.list.title'), page, query, links: listLinks('/admin/users', query, page) });
  });

  const showForm = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) =>
    render(req, reply, 'pages/users/form.eta', { teams: await s.auth.teams.all(), ...data });

  app.get('/users/new', pre, async (req, reply) => showForm(req, reply, { title: tr(req).t('users.form.newTitle'), values: { role: 'agent', active: true, teamIds: [] } }));
  app.post('/users/new', pre, async (req, reply) => {
    const b = req.body as Body;
    const input = { username: str(b, 'username'), email: str(b, 'email') || null, name: str(b, 'name'), role: str(b, 'role') || 'agent', active: bool(b, 'active'), password: str(b, 'password'), teamIds: ids(b, 'teamIds') };
    return formAction(reply, {
      act: () => s.auth.createUser(input),
      done: (u) => ({ to: '/admin/users', flash: tr(req).t('users.flash.created', { username: u.username }) }),
      retry: (fe) => showForm(req, reply, { title: tr(req).t('users.form.newTitle'), values: { ...input, password: '' }, ...fe }),
    });
  });
  app.get('/users/:id', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const u = await s.auth.users.get(id);
    if (!u) throw notFound('User');
    const teamIds = (await s.auth.users.teamsOf(id)).map((t) => Number(t.id));
    return showForm(req, reply, { title: tr(req).t('users.form.title', { username: u.username }), editing: u, values: { ...u, teamIds } });
  });
  app.post('/users/:id', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    const input = { username: str(b, 'username'), email: str(b, 'email') || null, name: str(b, 'name'), role: str(b, 'role'), active: bool(b, 'active'), password: str(b, 'password') || undefined, teamIds: ids(b, 'teamIds') };
    return formAction(reply, {
      act: () => s.auth.updateUser(id, input),
      done: () => ({ to: '/admin/users', flash: tr(req).t('users.flash.saved') }),
      retry: async (fe) => {
        const u = await s.auth.users.get(id);
        if (!u) throw notFound('User');
        reply.status(fe.error && !Object.keys(fe.errors).length ? 409 : 400);
        return showForm(req, reply, { title: tr(req).t('users.form.title', { username: u.username }), editing: u, values: { ...input, password: '' }, ...fe });
      },
    });
  });
  app.post('/users/:id/delete', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    return formAction(reply, {
      act: () => s.auth.deleteUser(id),
      done: () => ({ to: '/admin/users', flash: tr(req).t('users.flash.deleted') }),
      retry: (fe) => back(reply, '/admin/users', fe.error),
    });
  });
}
