/* API keys pages (admins): list, create (the key is shown once), revoke. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireAdmin, flash } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { notFound } from '../../errors.js';

export function apiKeysUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  const list = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const page = await s.auth.apiKeys.list(listQueryFrom(query));
    return render(req, reply, 'pages/apikeys/list.eta', { title: tr(req).t('apikeys.title'), page, query, links: listLinks('/admin/apikeys', query, page), values: {}, ...extra });
  };
  app.get('/apikeys', pre, async (req, reply) => list(req, reply));
  app.post('/apikeys', pre, async (req, reply) => {
    const name = str(req.body as Body, 'name');
    return formAction(reply, {
      act: () => s.auth.createApiKey(name, req.user!.id),
      // Shown in this response only: the database keeps a hash.
      done: (k) => ({ show: () => list(req, reply, { created: { name: name.trim(), key: k.key } }) }),
      retry: (fe) => list(req, reply, { values: { name }, ...fe }),
    });
  });
  app.post('/apikeys/:id/revoke', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    if (!(await s.auth.apiKeys.revoke(id, s.ctx.clock.now()))) throw notFound('Active API key');
    flash(reply, 'ok', tr(req).t('apikeys.flash.revoked'));
    return reply.redirect('/admin/apikeys', 303);
  });
}
