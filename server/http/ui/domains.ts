/*
 * Domains & mailboxes pages: domains with their kind and catch-all (chosen among all of the
 * domain's mailboxes, kept unless the admin changes it), the mailboxes list and forms.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, bool, ids, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { notFound } from '../../errors.js';
import { principalOf, mailboxIdsOf } from '../../auth/access.js';

export function domainsUi(app: FastifyInstance, s: Services) {
  const page = async (req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['kind']);
    // Agents see only their teams' mailboxes and their own (auth/access.ts), here as in the mail views.
    const only = mailboxIdsOf(await s.access.scopeOf(principalOf(req.user!)));
    const mailboxes = await s.domains.mailboxes.list({ ...lq, filters: { ...lq.filters, domain_id: query.domainId ? Number(query.domainId) : undefined } }, only);
    const domains = await s.domains.domains.list({ perPage: 200 });
    // Each catch-all select offers every mailbox of its domain, whatever page of the list is shown.
    const catchAllOptions = Object.fromEntries(await Promise.all(domains.items.filter((d) => d.kind === 'local')
      .map(async (d) => [d.id, (await s.domains.mailboxes.forDomain(d.id)).filter((m) => !only || only.includes(m.id))
        .map((m) => ({ id: m.id, address: m.address }))] as const)));
    return render(req, reply, 'pages/domains/index.eta', {
      title: tr(req).t('domains.title'), domains: domains.items, catchAllOptions, page: mailboxes, query, links: listLinks('/admin/domains', query, mailboxes), values: {}, ...extra,
    });
  };
  app.get('/domains', { preHandler: requireUser }, async (req, reply) => page(req, reply));
  app.post('/domains', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), kind: str(b, 'kind') || 'local' };
    return formAction(reply, {
      act: () => s.domains.createDomain(values),
      done: (d) => ({ to: '/admin/domains', flash: tr(req).t('domains.flash.added', { name: d.name }) }),
      retry: (fe) => page(req, reply, { domainValues: values, domainErrors: fe.errors, error: fe.error }),
    });
  });
  app.post('/domains/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    const del = str(b, 'action') === 'delete';
    // No catchAll field at all leaves the catch-all alone; an empty one is the admin choosing "no catch-all".
    const catchAllMailboxId = b.catchAll === undefined ? undefined : str(b, 'catchAll') ? Number(str(b, 'catchAll')) : null;
    return formAction(reply, {
      act: async () => { if (del) await s.domains.deleteDomain(id); else await s.domains.updateDomain(id, { catchAllMailboxId, active: bool(b, 'active') }); },
      done: () => ({ to: '/admin/domains', flash: tr(req).t(del ? 'domains.flash.deleted' : 'domains.flash.saved') }),
      retry: (fe) => back(reply, '/admin/domains', fe.error),
    });
  });

  const form = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => render(req, reply, 'pages/domains/mailbox.eta', {
    users: (await s.auth.users.list({ perPage: 200 })).items, teams: await s.auth.teams.all(), ...data,
  });
  const input = (b: Body) => ({
    address: str(b, 'address'), name: str(b, 'name'), kind: str(b, 'kind') || 'group', userId: str(b, 'userId') ? Number(str(b, 'userId')) : null,
    teamIds: ids(b, 'teamIds'), createCases: bool(b, 'createCases'), autoReply: bool(b, 'autoReply'),
    assignment: str(b, 'assignment') || 'round-robin', assignUserId: str(b, 'assignUserId') ? Number(str(b, 'assignUserId')) : null, reopen: str(b, 'reopen') || 'reopen',
    reopenAfterDays: str(b, 'reopenAfterDays').trim() ? Number(str(b, 'reopenAfterDays').trim()) : null,
    autoReplySubject: str(b, 'autoReplySubject') || null, autoReplyBody: str(b, 'autoReplyBody') || null, active: bool(b, 'active'),
    replyFromName: str(b, 'replyFromName') || 'mailbox',
  });
  app.get('/mailboxes/new', { preHandler: requireAdmin }, async (req, reply) => form(req, reply, {
    title: tr(req).t('domains.mailbox.newTitle'), values: { kind: 'group', active: true, teamIds: [] },
  }));
  app.post('/mailboxes/new', { preHandler: requireAdmin }, async (req, reply) => {
    const values = input(req.body as Body);
    return formAction(reply, {
      act: () => s.domains.createMailbox(values),
      done: (m) => ({ to: '/admin/domains', flash: tr(req).t('domains.flash.mailboxCreated', { address: m.address }) }),
      retry: (fe) => form(req, reply, { title: tr(req).t('domains.mailbox.newTitle'), values, ...fe }),
    });
  });
  app.get('/mailboxes/:id', { preHandler: requireUser }, async (req, reply) => {
    const m = await s.domains.mailboxes.get(Number((req.params as { id: string }).id));
    const only = mailboxIdsOf(await s.access.scopeOf(principalOf(req.user!)));
    if (!m || (only && !only.includes(m.id))) throw notFound('Mailbox');
    return form(req, reply, {
      title: m.address, editing: m,
      values: {
        ...m, userId: m.user_id, createCases: m.create_cases, autoReply: m.auto_reply, autoReplySubject: m.auto_reply_subject, autoReplyBody: m.auto_reply_body,
        assignment: m.case_assignment, assignUserId: m.case_assign_user_id, reopen: m.case_reopen, reopenAfterDays: m.case_reopen_days,
        replyFromName: m.reply_from_name,
      },
    });
  });
  app.post('/mailboxes/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    if (str(b, 'action') === 'delete') { await s.domains.deleteMailbox(id); flash(reply, 'ok', tr(req).t('domains.flash.mailboxDeleted')); return reply.redirect('/admin/domains', 303); }
    const values = input(b);
    return formAction(reply, {
      act: () => s.domains.updateMailbox(id, values),
      done: () => ({ to: '/admin/domains', flash: tr(req).t('domains.flash.mailboxSaved') }),
      retry: async (fe) => {
        const m = await s.domains.mailboxes.get(id);
        if (!m) throw notFound('Mailbox');
        return form(req, reply, { title: m.address, editing: m, values, ...fe });
      },
    });
  });
}
