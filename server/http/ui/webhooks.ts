/* Webhook pages (admins): endpoints with their health, add/edit (the secret is shown once), send test, remove, deliveries with attempts, re-send, history setting. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireAdmin, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { toPublicEndpoint, type EndpointInput } from '../../webhooks/service.js';
import { WEBHOOK_EVENTS } from '../../webhooks/events.js';

const listOf = (b: Body, k: string) => { const v = b[k]; return (Array.isArray(v) ? v : v ? [v] : []).map(String); };

export function webhooksUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);

  app.get('/webhooks', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = await s.webhooks.list(listQueryFrom(query));
    return render(req, reply, 'pages/webhooks/list.eta', {
      title: tr(req).t('webhooks.list.title'), page: { ...page, items: page.items.map(toPublicEndpoint) }, query, links: listLinks('/admin/webhooks', query, page),
      settings: await s.webhooks.settings(),
    });
  });
  app.post('/webhooks/settings', pre, async (req, reply) => {
    const v = str(req.body as Body, 'historyDays').trim();
    return formAction(reply, {
      act: () => s.webhooks.setSettings({ historyDays: /^\d+$/.test(v) ? Number(v) : NaN }),
      done: (r) => ({ to: '/admin/webhooks', flash: tr(req).t('webhooks.flash.settingsSaved', { days: r.historyDays }) }),
      retry: (fe) => back(reply, '/admin/webhooks', Object.values(fe.errors)[0] ?? fe.error),
    });
  });

  const input = (b: Body): EndpointInput => ({
    url: str(b, 'url'), secret: str(b, 'secret') || undefined, events: listOf(b, 'events'), active: bool(b, 'active'), description: str(b, 'description'),
  });
  const form = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => {
    const editing = data.editing as { id: number } | undefined;
    const query = req.query as Record<string, string>;
    const deliveries = editing
      ? await s.webhooks.deliveries.list({ ...listQueryFrom(query, ['state']), filters: { endpoint_id: editing.id, state: query.state || undefined } })
      : undefined;
    return render(req, reply, 'pages/webhooks/form.eta', {
      events: WEBHOOK_EVENTS, deliveries, query, links: deliveries && editing ? listLinks(`/admin/webhooks/${editing.id}`, query, deliveries) : undefined, ...data,
    });
  };
  app.get('/webhooks/new', pre, async (req, reply) => form(req, reply, { title: tr(req).t('webhooks.form.newTitle'), values: { active: true, events: [] } }));
  app.post('/webhooks/new', pre, async (req, reply) => {
    const values = input(req.body as Body);
    return formAction(reply, {
      act: () => s.webhooks.create(values),
      // The secret is shown in this response only: the database keeps it sealed.
      done: (e) => ({ show: () => form(req, reply, { title: e.url, editing: e, values: e, created: { secret: e.secret } }) }),
      retry: (fe) => form(req, reply, { title: tr(req).t('webhooks.form.newTitle'), values: { ...values, secret: '' }, ...fe }),
    });
  });
  app.get('/webhooks/:id', pre, async (req, reply) => {
    const e = toPublicEndpoint(await s.webhooks.get(idOf(req)));
    return form(req, reply, { title: e.url, editing: e, values: e });
  });
  app.post('/webhooks/:id', pre, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const action = str(b, 'action');
    const { t } = tr(req);
    if (action === 'test') {
      const r = await s.webhooks.sendTest(id);
      if (r.state === 'delivered') flash(reply, 'ok', t('webhooks.flash.testDelivered', { status: r.status ?? '' }));
      else flash(reply, 'error', t('webhooks.flash.testFailed', { error: r.error ?? r.state }));
      return reply.redirect(`/admin/webhooks/${id}`, 303);
    }
    if (action === 'delete') {
      await s.webhooks.remove(id);
      flash(reply, 'ok', t('webhooks.flash.removed'));
      return reply.redirect('/admin/webhooks', 303);
    }
    const values = input(b);
    return formAction(reply, {
      act: () => s.webhooks.update(id, values),
      done: () => ({ to: `/admin/webhooks/${id}`, flash: t('webhooks.flash.saved') }),
      retry: async (fe) => { const e = toPublicEndpoint(await s.webhooks.get(id)); return form(req, reply, { title: e.url, editing: e, values: { ...values, secret: '' }, ...fe }); },
    });
  });
  app.get('/webhook-deliveries/:id', pre, async (req, reply) => {
    const d = await s.webhooks.delivery(idOf(req));
    const e = toPublicEndpoint(await s.webhooks.get(d.endpoint_id));
    return render(req, reply, 'pages/webhooks/delivery.eta', { title: tr(req).t('webhooks.delivery.title', { id: d.id }), d, endpoint: e });
  });
  app.post('/webhook-deliveries/:id/resend', pre, async (req, reply) => {
    const d = await s.webhooks.resend(idOf(req));
    flash(reply, 'ok', tr(req).t('webhooks.flash.resent', { id: d.id }));
    return reply.redirect(`/admin/webhook-deliveries/${d.id}`, 303);
  });
}
