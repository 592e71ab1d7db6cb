/*
 * Domains & mailboxes pages: domains with their kind and catch-all (chosen among all of the
 * domain's mailboxes, kept unless the admin changes it), the mailboxes list and forms.
 */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, bool, ids, formErrors, type Body } from './forms.js';
import { notFound } from '../../errors.js';

export function domainsUi(app: FastifyInstance, s: Services) {
  const page = async (req: any, reply: any, extra: Record<string, unknown> = {}) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['kind']);
    const mailboxes = await s.domains.mailboxes.list({ ...lq, filters: { ...lq.filters, domain_id: query.domainId ? Number(query.domainId) : undefined } });
    const domains = await s.domains.domains.list({ perPage: 200 });
    // Each catch-all select offers every mailbox of its domain, whatever page of the list is shown.
    const catchAllOptions = Object.fromEntries(await Promise.all(domains.items.filter((d) => d.kind === 'local')
      .map(async (d) => [d.id, (await s.domains.mailboxes.forDomain(d.id)).map((m) => ({ id: m.id, address: m.address }))] as const)));
    return render(req, reply, 'pages/domains/index.eta', { title: 'Domains & mailboxes', domains: domains.items, catchAllOptions, page: mailboxes, query, links: listLinks('/admin/domains', query, mailboxes), values: {}, ...extra });
  };
  app.get('/domains', { preHandler: requireUser }, async (req, reply) => page(req, reply));
  app.post('/domains', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), kind: str(b, 'kind') || 'local' };
    try {
      const d = await s.domains.createDomain(values);
      flash(reply, 'ok', `Domain ${d.name} added`);
      return reply.redirect('/admin/domains', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return page(req, reply, { domainValues: values, domainErrors: fe.errors, error: fe.error });
    }
  });
  app.post('/domains/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    try {
      if (str(b, 'action') === 'delete') { await s.domains.deleteDomain(id); flash(reply, 'ok', 'Domain deleted'); }
      else {
        // No catchAll field at all leaves the catch-all alone; an empty one is the admin choosing "no catch-all".
        const catchAllMailboxId = b.catchAll === undefined ? undefined : str(b, 'catchAll') ? Number(str(b, 'catchAll')) : null;
        await s.domains.updateDomain(id, { catchAllMailboxId, active: bool(b, 'active') });
        flash(reply, 'ok', 'Domain saved');
      }
    } catch (e) { const fe = formErrors(e); if (!fe) throw e; flash(reply, 'error', fe.error); }
    return reply.redirect('/admin/domains', 303);
  });

  const form = async (req: any, reply: any, data: Record<string, unknown>) => render(req, reply, 'pages/domains/mailbox.eta', {
    users: (await s.auth.users.list({ perPage: 200 })).items, teams: await s.auth.teams.all(), ...data,
  });
  const input = (b: Body) => ({
    address: str(b, 'address'), name: str(b, 'name'), kind: str(b, 'kind') || 'group', userId: str(b, 'userId') ? Number(str(b, 'userId')) : null,
    teamIds: ids(b, 'teamIds'), createCases: bool(b, 'createCases'), autoReply: bool(b, 'autoReply'),
    autoReplySubject: str(b, 'autoReplySubject') || null, autoReplyBody: str(b, 'autoReplyBody') || null, active: bool(b, 'active'),
  });
  app.get('/mailboxes/new', { preHandler: requireAdmin }, async (req, reply) => form(req, reply, { title: 'New mailbox', values: { kind: 'group', active: true, teamIds: [] } }));
  app.post('/mailboxes/new', { preHandler: requireAdmin }, async (req, reply) => {
    const values = input(req.body as Body);
    try {
      const m = await s.domains.createMailbox(values);
      flash(reply, 'ok', `Mailbox ${m.address} created`);
      return reply.redirect('/admin/domains', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      reply.status(400);
      return form(req, reply, { title: 'New mailbox', values, ...fe });
    }
  });
  app.get('/mailboxes/:id', { preHandler: requireUser }, async (req, reply) => {
    const m = await s.domains.mailboxes.get(Number((req.params as { id: string }).id));
    if (!m) throw notFound('Mailbox');
    return form(req, reply, { title: m.address, editing: m, values: { ...m, userId: m.user_id, createCases: m.create_cases, autoReply: m.auto_reply, autoReplySubject: m.auto_reply_subject, autoReplyBody: m.auto_reply_body } });
  });
  app.post('/mailboxes/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = Number((req.params as { id: string }).id);
    const b = req.body as Body;
    if (str(b, 'action') === 'delete') { await s.domains.deleteMailbox(id); flash(reply, 'ok', 'Mailbox deleted'); return reply.redirect('/admin/domains', 303); }
    const values = input(b);
    try {
      await s.domains.updateMailbox(id, values);
      flash(reply, 'ok', 'Mailbox saved');
      return reply.redirect('/admin/domains', 303);
    } catch (e) {
      const fe = formErrors(e); if (!fe) throw e;
      const m = await s.domains.mailboxes.get(id);
      if (!m) throw e;
      reply.status(400);
      return form(req, reply, { title: m.address, editing: m, values, ...fe });
    }
  });
}
