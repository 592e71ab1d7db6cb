/* App credentials page (admins): list, create (the secret is shown once), revoke. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireAdmin, flash } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';

export function credentialsUi(app: FastifyInstance, s: Services) {
  const page = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const p = await s.credentials.repo.list(listQueryFrom(query));
    return render(req, reply, 'pages/credentials/list.eta', { title: tr(req).t('credentials.title'), page: p, query, links: listLinks('/admin/credentials', query, p), port: s.smtpPorts?.submission ?? s.ctx.config.smtp.submissionPort, values: {}, ...extra });
  };
  app.get('/credentials', { preHandler: requireAdmin }, async (req, reply) => page(req, reply));
  app.post('/credentials', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), allowedSenders: str(b, 'allowedSenders'), ratePerMinute: str(b, 'ratePerMinute') };
    return formAction(reply, {
      act: () => s.credentials.create({
        name: values.name, allowedSenders: values.allowedSenders.split(/[\s,]+/), ratePerMinute: values.ratePerMinute ? Number(values.ratePerMinute) : undefined,
      }),
      done: (c) => ({ show: () => page(req, reply, { created: c }) }),
      retry: (fe) => {
        const errors = Object.fromEntries(Object.entries(fe.errors).map(([k, v]) => [k.startsWith('allowedSenders') ? 'allowedSenders' : k, v]));
        return page(req, reply, { values, errors, error: fe.error });
      },
    });
  });
  app.post('/credentials/:id/revoke', { preHandler: requireAdmin }, async (req, reply) => {
    await s.credentials.revoke(Number((req.params as { id: string }).id));
    flash(reply, 'ok', tr(req).t('credentials.flash.revoked'));
    return reply.redirect('/admin/credentials', 303);
  });
}
