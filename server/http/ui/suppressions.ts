/*
 * Blocked addresses pages: list with sort, filters and grouping by reason or domain; bulk
 * unblock / delete / CSV export; manual add; CSV import; the bounce policy form; unmatched
 * bounce and complaint reports (they blocked nobody) with a button to block by hand.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, bool, ids, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { filtersFrom } from '../api/suppressions.js';
import { BODY_LIMITS } from '../limits.js';

export function suppressionsUi(app: FastifyInstance, s: Services) {
  const svc = s.suppressions;
  const filtersOf = (q: Record<string, string>) => filtersFrom({
    address: q.address || undefined, reason: q.reason || undefined, class: q.class || undefined, domain: q.domain || undefined,
    source: q.source || undefined, blocked: q.blocked === 'false' ? false : true,
  });

  app.get('/suppressions', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query);
    const page = await svc.repo.list({ ...lq, filters: filtersOf(query) });
    const groupBy = query.group === 'reason' || query.group === 'domain' ? query.group : null;
    const groups = groupBy ? await svc.repo.groupCounts(groupBy) : null;
    return render(req, reply, 'pages/suppressions/list.eta', {
      title: tr(req).t('suppressions.list.title'), page, query, links: listLinks('/admin/suppressions', query, page), groups, groupBy,
      targetLists: (await s.targetLists.all()).filter((l) => l.kind === 'static'),
      exportHref: `/admin/suppressions/export.csv?${new URLSearchParams(Object.entries(query).filter(([k, v]) => v && !['page', 'sort', 'dir', 'group'].includes(k))).toString()}`,
    });
  });
  app.get('/suppressions/export.csv', { preHandler: requireUser }, async (req, reply) => {
    reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="suppressions.csv"');
    return svc.exportCsv(filtersOf(req.query as Record<string, string>));
  });
  app.post('/suppressions/bulk', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const chosen = ids(b, 'ids');
    const { t, fmt } = tr(req);
    if (!chosen.length) flash(reply, 'error', t('suppressions.flash.selectOne'));
    else if (str(b, 'action') === 'unblock') flash(reply, 'ok', t('suppressions.flash.unblocked', { n: fmt.number(await svc.unblock(chosen)) }));
    else if (str(b, 'action') === 'delete') flash(reply, 'ok', t('suppressions.flash.deleted', { n: fmt.number(await svc.remove(chosen)) }));
    else if (str(b, 'action') === 'addToList') {
      // Their records join a target list (a new one by name, or an existing one).
      const to = `/admin/suppressions${str(b, 'back').startsWith('?') ? str(b, 'back') : ''}`;
      return formAction(reply, {
        act: () => s.targetLists.addFromBlocked({ listId: Number(str(b, 'listId')) || undefined, newName: str(b, 'newList') || undefined }, chosen),
        done: (r) => (r.added || r.created
          ? { to, flash: t('suppressions.bulk.addedToList', { n: fmt.number(r.added), name: r.name }) }
          : { to, flash: t('suppressions.bulk.noRecords'), kind: 'error' }),
        retry: (fe) => back(reply, to, Object.values(fe.errors).join('; ') || fe.error),
      });
    } else if (str(b, 'action') === 'formerEmployee') {
      const contacts = await s.targetLists.recordsOfBlocked(chosen, 'contact');
      if (!contacts.length) flash(reply, 'error', t('suppressions.bulk.noRecords'));
      else flash(reply, 'ok', t('suppressions.bulk.markedFormer', { n: fmt.number(await s.records.setFormerEmployee(contacts.map((c) => c.id), true)) }));
    }
    else flash(reply, 'error', t('suppressions.flash.unknownAction'));
    return reply.redirect(`/admin/suppressions${str(b, 'back').startsWith('?') ? str(b, 'back') : ''}`, 303);
  });

  const showAdd = (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) =>
    render(req, reply, 'pages/suppressions/add.eta', { title: tr(req).t('suppressions.add.title'), ...data });
  app.get('/suppressions/new', { preHandler: requireAdmin }, async (req, reply) => showAdd(req, reply, { values: {} }));
  app.post('/suppressions/new', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { address: str(b, 'address'), reason: str(b, 'reason'), note: str(b, 'note') };
    return formAction(reply, {
      act: () => svc.block(values.address, { reason: values.reason || undefined, note: values.note || undefined }),
      done: (row) => ({ to: '/admin/suppressions', flash: tr(req).t('suppressions.flash.blocked', { address: row.address }) }),
      retry: (fe) => showAdd(req, reply, { values, ...fe }),
    });
  });
  app.post('/suppressions/import', { bodyLimit: BODY_LIMITS.upload, preHandler: requireAdmin }, async (req, reply) => {
    const csv = str(req.body as Body, 'csv');
    const { t, fmt } = tr(req);
    return formAction(reply, {
      act: () => svc.importCsv(csv),
      done: (r) => (r.errors.length
        ? { show: () => {
          reply.status(400);
          return showAdd(req, reply, { values: { csv }, importResult: r, error: t('suppressions.import.partial', { added: fmt.number(r.added), rejected: fmt.number(r.errors.length) }) });
        } }
        : { to: '/admin/suppressions', flash: t('suppressions.flash.imported', { n: fmt.number(r.added) }) }),
      retry: (fe) => showAdd(req, reply, { values: { csv }, ...fe }),
    });
  });

  app.get('/suppressions/policy', { preHandler: requireUser }, async (req, reply) =>
    render(req, reply, 'pages/suppressions/policy.eta', { title: tr(req).t('suppressions.policy.title'), values: await svc.policy() }));
  app.post('/suppressions/policy', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const num = (k: string) => (/^\d+$/.test(str(b, k)) ? Number(str(b, k)) : (NaN as number));
    const values = { blockOnHard: bool(b, 'blockOnHard'), threshold: num('threshold'), windowDays: num('windowDays'), decayAfter: num('decayAfter') };
    return formAction(reply, {
      act: () => svc.setPolicy(values),
      done: () => ({ to: '/admin/suppressions/policy', flash: tr(req).t('suppressions.flash.policySaved') }),
      retry: (fe) => render(req, reply, 'pages/suppressions/policy.eta', {
        title: tr(req).t('suppressions.policy.title'), values: { ...values, threshold: str(b, 'threshold'), windowDays: str(b, 'windowDays'), decayAfter: str(b, 'decayAfter') }, ...fe,
      }),
    });
  });
  app.get('/suppressions/unmatched', { preHandler: requireUser }, async (req, reply) => {
    const query = req.query as Record<string, string>;
    const source = query.source === 'dsn' || query.source === 'arf' ? query.source : undefined;
    const page = await svc.unmatched({ ...listQueryFrom(query), source });
    return render(req, reply, 'pages/suppressions/unmatched.eta', { title: tr(req).t('suppressions.unmatched.title'), page, query, links: listLinks('/admin/suppressions/unmatched', query, page) });
  });
  app.post('/suppressions/unmatched/block', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const to = `/admin/suppressions/unmatched${str(b, 'back').startsWith('?') ? str(b, 'back') : ''}`;
    const source = str(b, 'source') === 'arf' ? 'complaint' : 'bounce';
    const inbound = /^\d+$/.test(str(b, 'inbound')) ? ` #${str(b, 'inbound')}` : '';
    // The admin judged the report: a manual block, noting which report it came from (the note is data, kept in English).
    const note = `blocked by hand from an unmatched ${source} report${inbound ? `, inbound message${inbound}` : ''}`;
    return formAction(reply, {
      act: () => svc.block(str(b, 'address'), { reason: 'manual', note }),
      done: (row) => ({ to, flash: tr(req).t('suppressions.flash.blocked', { address: row.address }) }),
      retry: (fe) => back(reply, to, tr(req).t('suppressions.flash.notBlocked', { reason: Object.values(fe.errors).join('; ') || fe.error })),
    });
  });
  app.get('/suppressions/:id', { preHandler: requireUser }, async (req, reply) => {
    const row = await svc.get(Number((req.params as { id: string }).id));
    return render(req, reply, 'pages/suppressions/detail.eta', { title: row.address, row });
  });
}
