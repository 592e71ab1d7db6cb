/* Upstream accounts pages (admins): list with health, add/edit form (read-only for an IMAP account's own SMTP side), test connection, resume; sandbox mails; DKIM keys. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listQueryFrom, tr } from './render.js';
import { requireAdmin, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { toPublic } from '../../outbound/accounts/service.js';
import { notFound } from '../../errors.js';

const optInt = (v: string) => (v.trim() === '' ? null : /^\d+$/.test(v.trim()) ? Number(v) : NaN);

export function accountsUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireAdmin };
  app.get('/accounts', pre, async (req, reply) => {
    const accounts = await Promise.all((await s.accounts.repo.all()).map(async (a) => ({ ...toPublic(a), health: await s.accounts.health(a) })));
    const sandbox = await s.sandbox.list({ ...listQueryFrom(req.query as Record<string, string>), perPage: 20 });
    return render(req, reply, 'pages/accounts/list.eta', { title: tr(req).t('accounts.list.title'), accounts, sandbox, keys: await s.dkim.list() });
  });
  const input = (b: Body) => ({
    name: str(b, 'name'), kind: str(b, 'kind') || 'smtp', host: str(b, 'host'), port: optInt(str(b, 'port')) ?? 587, security: str(b, 'security') || 'starttls',
    username: str(b, 'username') || null, password: str(b, 'password') || undefined, verifyCert: bool(b, 'verifyCert'), allowedFrom: str(b, 'allowedFrom').split(/[\s,]+/).filter(Boolean),
    fromName: str(b, 'fromName'), ratePerSecond: optInt(str(b, 'ratePerSecond')), ratePerHour: optInt(str(b, 'ratePerHour')), ratePerDay: optInt(str(b, 'ratePerDay')),
    maxConnections: optInt(str(b, 'maxConnections')) ?? 5, active: bool(b, 'active'), isDefault: bool(b, 'isDefault'),
  });
  const form = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => render(req, reply, 'pages/accounts/form.eta', data);
  app.get('/accounts/new', pre, async (req, reply) => form(req, reply, { title: tr(req).t('accounts.form.newTitle'), values: { kind: 'smtp', port: 587, security: 'starttls', verifyCert: true, active: true, maxConnections: 5, allowedFrom: [] } }));
  app.post('/accounts/new', pre, async (req, reply) => {
    const values = input(req.body as Body);
    return formAction(reply, {
      act: () => s.accounts.create(values),
      done: (a) => ({ to: '/admin/accounts', flash: tr(req).t('accounts.flash.added', { name: a.name }) }),
      retry: (fe) => form(req, reply, { title: tr(req).t('accounts.form.newTitle'), values: { ...values, password: '' }, ...fe }),
    });
  });
  app.get('/accounts/:id', pre, async (req, reply) => {
    const a = toPublic(await s.accounts.get(Number((req.params as { id: string }).id)));
    return form(req, reply, {
      title: a.name, editing: a,
      values: {
        ...a, verifyCert: a.verify_cert, allowedFrom: a.allowed_from, fromName: a.from_name, ratePerSecond: a.rate_per_second, ratePerHour: a.rate_per_hour,
        ratePerDay: a.rate_per_day, maxConnections: a.max_connections, isDefault: a.is_default,
      },
    });
  });
  app.post('/accounts/:id', pre, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    const action = str(b, 'action');
    if (action === 'test') {
      const r = await s.accounts.testConnection(id);
      flash(reply, r.ok ? 'ok' : 'error', r.ok ? tr(req).t('accounts.flash.testPassed', { message: r.message }) : tr(req).t('accounts.flash.testFailed', { stage: r.stage, message: r.message }));
      return reply.redirect('/admin/accounts', 303);
    }
    if (action === 'resume') { await s.accounts.resume(id); flash(reply, 'ok', tr(req).t('accounts.flash.resumed')); return reply.redirect('/admin/accounts', 303); }
    // An IMAP account's own SMTP side is changed on that account only (the service says 409).
    const cur = await s.accounts.get(id);
    if (cur.imap_account_id) return back(reply, `/admin/accounts/${id}`, tr(req).t('accounts.managed.readOnly'));
    const values = input(b);
    return formAction(reply, {
      act: () => s.accounts.update(id, values),
      done: () => ({ to: '/admin/accounts', flash: tr(req).t('accounts.flash.saved') }),
      retry: async (fe) => { const a = toPublic(await s.accounts.get(id)); return form(req, reply, { title: a.name, editing: a, values: { ...values, password: '' }, ...fe }); },
    });
  });
  app.get('/sandbox/:id', pre, async (req, reply) => {
    const m = await s.sandbox.get(Number((req.params as { id: string }).id));
    if (!m) throw notFound('Sandbox message');
    return render(req, reply, 'pages/accounts/sandbox.eta', { title: m.subject || tr(req).t('accounts.sandbox.title'), m, raw: m.raw.toString('utf8') });
  });
  app.post('/dkim', pre, async (req, reply) => {
    const b = req.body as Body;
    return formAction(reply, {
      act: () => s.dkim.generate(str(b, 'domain'), str(b, 'selector') || undefined),
      done: (k) => ({ to: '/admin/accounts', flash: tr(req).t('accounts.flash.dkimGenerated', { selector: k.selector, domain: k.domain }) }),
      retry: (fe) => back(reply, '/admin/accounts', Object.values(fe.errors)[0] ?? fe.error),
    });
  });
}
