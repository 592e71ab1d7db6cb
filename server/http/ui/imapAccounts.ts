/*
 * IMAP account pages: list with sync status and the sync toggle, add/edit (passwords write-only),
 * test connection by stage, remove. Admins see all; an agent its own personal accounts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { principalOf } from '../../auth/access.js';
import type { ImapAccountInput } from '../../imap/service.js';

/** The form's values in the stored row's names, so a re-shown form and an edited account render alike. */
const asValues = (i: ImapAccountInput) => ({
  name: i.name, kind: i.kind, host: i.host, port: Number.isNaN(i.port) ? '' : i.port, security: i.security, username: i.username, folders: i.folders, verify_cert: i.verifyCert,
  mailbox_address: i.mailboxAddress, smtp_account_id: i.smtpAccountId, smtp_host: i.smtpHost, smtp_port: i.smtpPort,
  smtp_security: i.smtpSecurity, smtp_username: i.smtpUsername, use_for_integration: i.useForIntegration, active: i.active, sync_enabled: i.syncEnabled, max_age_days: i.maxAgeDays,
});
const numOrNull = (v: string) => (v.trim() === '' ? null : /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN);

export function imapAccountsUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const actor = (req: FastifyRequest) => principalOf(req.user!);

  app.get('/imap-accounts', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const page = await s.imap.list(listQueryFrom(query), actor(req));
    const rows = await s.imap.statusRows(actor(req));
    return render(req, reply, 'pages/imap/list.eta', {
      title: tr(req).t('imap.list.title'), page: { ...page, items: page.items.map((a) => s.imap.publicOf(a)) }, query, links: listLinks('/admin/imap-accounts', query, page), rows,
    });
  });

  const input = (b: Body): ImapAccountInput => ({
    name: str(b, 'name'), kind: str(b, 'kind') || undefined, host: str(b, 'host'), port: numOrNull(str(b, 'port')) ?? NaN, security: str(b, 'security'),
    username: str(b, 'username'), password: str(b, 'password') || undefined,
    folders: str(b, 'folders').split(/[\n,]/).map((f) => f.trim()).filter(Boolean), verifyCert: bool(b, 'verifyCert'),
    mailboxAddress: str(b, 'mailboxAddress') || null,
    smtpAccountId: numOrNull(str(b, 'smtpAccountId')), smtpHost: str(b, 'smtpHost') || null, smtpPort: numOrNull(str(b, 'smtpPort')),
    smtpSecurity: str(b, 'smtpSecurity') || null, smtpUsername: str(b, 'smtpUsername') || null, smtpPassword: str(b, 'smtpPassword') || undefined,
    useForIntegration: bool(b, 'useForIntegration'), active: bool(b, 'active'), syncEnabled: bool(b, 'syncEnabled'), maxAgeDays: numOrNull(str(b, 'maxAgeDays')),
  });
  const form = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => {
    const editing = data.editing as { id: number } | undefined;
    const upstream = (await s.accounts.senderAccounts()).filter((a) => a.kind === 'smtp');
    const folders = editing ? await s.imap.folders(editing.id, actor(req)) : [];
    return render(req, reply, 'pages/imap/form.eta', { upstream, folders, isAdmin: req.user!.role === 'admin', ...data });
  };
  const blank = { kind: 'personal', port: 993, security: 'tls', folders: ['INBOX'], verify_cert: true, active: true, sync_enabled: true };

  app.get('/imap-accounts/new', pre, async (req, reply) => form(req, reply, { title: tr(req).t('imap.form.newTitle'), values: { ...blank, kind: req.user!.role === 'admin' ? 'group' : 'personal' } }));
  app.post('/imap-accounts/new', pre, async (req, reply) => {
    const values = input(req.body as Body);
    return formAction(reply, {
      act: () => s.imap.create(values, actor(req)),
      done: (a) => ({ to: `/admin/imap-accounts/${a.id}`, flash: tr(req).t('imap.flash.created') }),
      retry: (fe) => form(req, reply, { title: tr(req).t('imap.form.newTitle'), values: asValues(values), ...fe }),
    });
  });
  app.get('/imap-accounts/:id', pre, async (req, reply) => {
    const a = s.imap.publicOf(await s.imap.get(idOf(req), actor(req)));
    return form(req, reply, { title: a.name, editing: a, values: a });
  });
  app.post('/imap-accounts/:id/sync', pre, async (req, reply) => {
    const id = idOf(req);
    const on = str(req.body as Body, 'enabled') === '1';
    return formAction(reply, {
      act: () => s.imap.setSync(id, on, actor(req)),
      done: () => ({ to: str(req.body as Body, 'back') === 'detail' ? `/admin/imap-accounts/${id}` : '/admin/imap-accounts', flash: tr(req).t(on ? 'imap.flash.syncOn' : 'imap.flash.syncOff') }),
      retry: (fe) => back(reply, '/admin/imap-accounts', fe.error),
    });
  });
  app.post('/imap-accounts/:id', pre, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const { t } = tr(req);
    const action = str(b, 'action');
    if (action === 'test') {
      const r = await s.imap.testConnection(id, actor(req));
      const smtp = r.smtp ? ` · SMTP: ${r.smtp.ok ? t('imap.test.ok') : t('imap.test.failed', { stage: r.smtp.stage, message: r.smtp.message })}` : '';
      flash(reply, r.ok && (!r.smtp || r.smtp.ok) ? 'ok' : 'error', `${r.ok ? t('imap.test.ok') : t('imap.test.failed', { stage: r.stage, message: r.message })}${smtp}`);
      return reply.redirect(`/admin/imap-accounts/${id}`, 303);
    }
    if (action === 'delete') {
      await s.imap.remove(id, actor(req));
      flash(reply, 'ok', t('imap.flash.removed'));
      return reply.redirect('/admin/imap-accounts', 303);
    }
    const values = input(b);
    return formAction(reply, {
      act: () => s.imap.update(id, values, actor(req)),
      done: () => ({ to: `/admin/imap-accounts/${id}`, flash: t('imap.flash.saved') }),
      retry: async (fe) => {
        const a = s.imap.publicOf(await s.imap.get(id, actor(req)));
        return form(req, reply, { title: a.name, editing: a, values: { ...asValues(values), kind: a.kind }, ...fe });
      },
    });
  });
}
