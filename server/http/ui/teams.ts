/* Teams pages: list (sort, search, pages), create and edit with members, delete. Admins edit; agents view. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, ids, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { notFound } from '../../errors.js';

export function teamsUi(app: FastifyInstance, s: Services) {
  const teams = s.teams;
  app.get('/teams', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = await s.auth.teams.list(listQueryFrom(query));
    return render(req, reply, 'pages/teams/list.eta', { title: tr(req).t('teams.list.title'), page, query, links: listLinks('/admin/teams', query, page) });
  });
  // Checkboxes for the first 200 users plus every current member, so saving a big team
  // never drops a member just because the form could not list them all.
  const form = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => {
    const users = (await s.auth.users.list({ perPage: 200, sort: 'username' })).items;
    const editing = data.editing as { id: number } | undefined;
    if (editing) for (const m of await s.auth.teams.members(Number(editing.id))) if (!users.some((u) => u.id === m.id)) users.push(m);
    return render(req, reply, 'pages/teams/form.eta', { users, ...data });
  };
  app.get('/teams/new', { preHandler: requireAdmin }, async (req, reply) => form(req, reply, { title: tr(req).t('teams.form.newTitle'), values: { memberIds: [] } }));
  app.post('/teams/new', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description'), memberIds: ids(b, 'memberIds') };
    return formAction(reply, {
      act: () => teams.create(values),
      done: (t) => ({ to: '/admin/teams', flash: tr(req).t('teams.flash.created', { name: t.name }) }),
      retry: (fe) => form(req, reply, { title: tr(req).t('teams.form.newTitle'), values, ...fe }),
    });
  });
  app.get('/teams/:id', { preHandler: requireUser }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const t = await s.auth.teams.get(id);
    if (!t) throw notFound('Team');
    const memberIds = (await s.auth.teams.members(id)).map((u) => u.id);
    return form(req, reply, { title: tr(req).t('teams.form.title', { name: t.name }), editing: t, values: { ...t, memberIds } });
  });
  app.post('/teams/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description'), memberIds: ids(b, 'memberIds') };
    return formAction(reply, {
      act: () => teams.update(id, values),
      done: () => ({ to: '/admin/teams', flash: tr(req).t('teams.flash.saved') }),
      retry: async (fe) => {
        const t = await s.auth.teams.get(id);
        if (!t) throw notFound('Team');
        return form(req, reply, { title: tr(req).t('teams.form.title', { name: t.name }), editing: t, values, ...fe });
      },
    });
  });
  app.post('/teams/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    if (!(await s.auth.teams.remove(id))) throw notFound('Team');
    flash(reply, 'ok', tr(req).t('teams.flash.deleted'));
    return reply.redirect('/admin/teams', 303);
  });
}
