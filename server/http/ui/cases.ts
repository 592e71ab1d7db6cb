/*
 * Case pages (Inbound): the cases list (status, mailbox, assignee filters, search) and a case page
 * with its message stream (in and out), the status/assignee/priority form and the reply form.
 * Agents see their mailboxes' cases only.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser } from './session.js';
import { str, type Body } from './forms.js';
import { formAction } from './formAction.js';
import { principalOf, mailboxIdsOf } from '../../auth/access.js';
import { CASE_STATUSES } from '../../routing/cases/service.js';

export function casesUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  const scopeOf = async (req: FastifyRequest) => mailboxIdsOf(await s.access.scopeOf(principalOf(req.user!)));
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const users = async () => (await s.auth.users.list({ perPage: 200, filters: { active: true } })).items.map((u) => ({ id: u.id, name: u.name || u.username }));

  app.get('/cases', pre, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query, ['status']);
    const page = await s.cases.list({
      ...lq, mailboxId: /^\d+$/.test(query.mailbox ?? '') ? Number(query.mailbox) : undefined, scopeMailboxIds: await scopeOf(req),
      filters: { ...lq.filters, assigned_user_id: /^\d+$/.test(query.assignedUserId ?? '') ? Number(query.assignedUserId) : undefined },
    });
    return render(req, reply, 'pages/cases/list.eta', { title: tr(req).t('cases.list.title'), page, query, links: listLinks('/admin/cases', query, page), statuses: CASE_STATUSES, users: await users() });
  });
  const show = async (req: FastifyRequest, reply: Parameters<typeof render>[1], extra: Record<string, unknown> = {}) => {
    const c = await s.cases.get(idOf(req), await scopeOf(req));
    const stream = await s.caseReplies.stream(c.id, c.messages);
    // The reply goes to the last person who wrote in (the service's default), shown so it can be changed.
    const customer = [...c.messages].reverse().find((m) => !m.kind || m.kind === 'normal')?.from_addr ?? c.from_addr;
    return render(req, reply, 'pages/cases/case.eta', { title: `[#${c.number}] ${c.subject}`, c, statuses: CASE_STATUSES, users: await users(), values: c,
      stream, replyValues: { to: customer, cc: '', text: '', idempotencyKey: randomUUID() },
      following: await s.follows.isFollowing(req.user!.id, 'case', c.id), ...extra });
  };
  app.get('/cases/:id', pre, async (req, reply) => show(req, reply));
  app.post('/cases/:id', pre, async (req, reply) => {
    const b = req.body as Body;
    const id = idOf(req);
    const assignee = str(b, 'assignedUserId');
    const input = { status: str(b, 'status') || undefined, priority: str(b, 'priority') || undefined, assignedUserId: assignee === '' ? null : Number(assignee) };
    return formAction(reply, {
      act: async () => s.cases.update(id, input, await scopeOf(req)),
      done: () => ({ to: `/admin/cases/${id}`, flash: tr(req).t('cases.flash.saved') }),
      retry: (fe) => show(req, reply, fe),
    });
  });
  app.post('/cases/:id/replies', pre, async (req, reply) => {
    const b = req.body as Body;
    const id = idOf(req);
    // The form's key: a double-clicked Send, or the form posted again, sends one reply.
    const input = { to: str(b, 'to'), cc: str(b, 'cc'), text: str(b, 'text'), idempotencyKey: str(b, 'idempotencyKey') || undefined };
    return formAction(reply, {
      act: async () => s.caseReplies.reply(id, { ...input, principal: principalOf(req.user!) }),
      done: (r) => ({ to: `/admin/cases/${id}`, flash: tr(req).t('cases.reply.flash.sent', { to: r.to.join(', ') }) }),
      retry: (fe) => show(req, reply, { ...fe, replyValues: input }),
    });
  });
}
