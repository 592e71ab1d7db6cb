/*
 * Target lists pages: the lists with member counts per type; a list's page with its members by
 * type (remove in bulk, opt out of this list only); "add" by picking records or by filter then
 * select all (a preview count, then every match added server-side); a dynamic list's criteria
 * with a preview (matches, would add, would remove) and the last evaluation's figures.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, ids, firstValues, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { isAppError } from '../../errors.js';
import type { MemberType, RecordFilter } from '../../records/types.js';
import { cleanFilter, MEMBER_TYPES } from '../../targetLists/service.js';

/** The filter form's fields (prefix `f_`, apart from the page's own q/page/sort). */
export const FILTER_FIELDS = ['type', 'search', 'firstName', 'lastName', 'name', 'title', 'externalId', 'email', 'emailDomain', 'attrKey', 'attrValue', 'formerEmployee', 'optedOut', 'blocked'] as const;

/** RecordFilter from the `f_…` fields of a form or query (an empty field is no condition). */
export function filterFrom(b: Record<string, string | string[] | undefined>): RecordFilter {
  const v = (k: string) => str(b, `f_${k}`).trim();
  const tri = (k: string) => (v(k) === 'true' ? true : v(k) === 'false' ? false : undefined);
  const fields: Record<string, string> = {};
  for (const k of ['firstName', 'lastName', 'name', 'title', 'externalId']) if (v(k)) fields[k] = v(k);
  return cleanFilter({
    type: v('type') || 'contact', search: v('search') || undefined, email: v('email') || undefined, emailDomain: v('emailDomain') || undefined,
    fields, attributes: v('attrKey') ? { [v('attrKey')]: v('attrValue') } : undefined,
    formerEmployee: tri('formerEmployee'), optedOut: tri('optedOut'), blocked: tri('blocked'),
  });
}
/** The form values of a filter (to show it again, or as hidden fields). */
export function filterValues(f: RecordFilter): Record<string, string> {
  const out: Record<string, string> = { type: f.type };
  if (f.search) out.search = f.search;
  if (f.email) out.email = f.email;
  if (f.emailDomain) out.emailDomain = f.emailDomain;
  for (const [k, x] of Object.entries(f.fields ?? {})) if (x) out[k] = x;
  const attr = Object.entries(f.attributes ?? {})[0];
  if (attr) { out.attrKey = attr[0]; out.attrValue = attr[1]; }
  for (const k of ['formerEmployee', 'optedOut', 'blocked'] as const) if (f[k] !== undefined) out[k] = String(f[k]);
  return out;
}

export function targetListsUi(app: FastifyInstance, s: Services) {
  const tl = s.targetLists;
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const typeOf = (v: string | undefined): MemberType => (MEMBER_TYPES as string[]).includes(v ?? '') ? v as MemberType : 'contact';
  const base = (id: number) => `/admin/target-lists/${id}`;

  const listData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const query = firstValues(req.query);
    const page = await tl.list(listQueryFrom(query, ['kind']));
    return { title: tr(req).t('targetLists.list.title'), page, query, links: listLinks('/admin/target-lists', query, page), types: MEMBER_TYPES, ...data };
  };
  app.get('/target-lists', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/target-lists/list.eta', await listData(req)));
  app.post('/target-lists', { preHandler: requireAdmin }, async (req, reply) => {
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description'), kind: str(b, 'kind') === 'dynamic' ? 'dynamic' as const : 'static' as const };
    return formAction(reply, {
      act: () => tl.create(values),
      done: (l) => ({ to: l.kind === 'dynamic' ? `${base(l.id)}/criteria` : base(l.id), flash: tr(req).t('targetLists.flash.created', { name: l.name }) }),
      retry: async (fe) => render(req, reply, 'pages/target-lists/list.eta', await listData(req, { values, ...fe })),
    });
  });

  const detailData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const list = await tl.get(idOf(req));
    const query = firstValues(req.query);
    const type = typeOf(query.type);
    const optedOut = query.optedOut === 'true' ? true : query.optedOut === 'false' ? false : undefined;
    const page = await tl.members(list.id, type, { ...listQueryFrom(query), optedOut });
    return {
      title: list.name, list, type, types: MEMBER_TYPES, page, query, links: listLinks(base(list.id), query, page),
      values: { name: list.name, description: list.description }, ...data,
    };
  };
  app.get('/target-lists/:id', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/target-lists/detail.eta', await detailData(req)));
  app.post('/target-lists/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const values = { name: str(b, 'name'), description: str(b, 'description') };
    return formAction(reply, {
      act: () => tl.update(id, values),
      done: (l) => ({ to: base(id), flash: tr(req).t('targetLists.flash.saved', { name: l.name }) }),
      retry: async (fe) => render(req, reply, 'pages/target-lists/detail.eta', await detailData(req, { values, ...fe })),
    });
  });
  app.post('/target-lists/:id/delete', { preHandler: requireAdmin }, async (req, reply) => {
    const l = await tl.get(idOf(req));
    await tl.remove(l.id);
    flash(reply, 'ok', tr(req).t('targetLists.flash.deleted', { name: l.name }));
    return reply.redirect('/admin/target-lists', 303);
  });
  app.post('/target-lists/:id/members', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const type = typeOf(str(b, 'type'));
    const chosen = ids(b, 'ids');
    const to = `${base(id)}?type=${type}`;
    const { t, fmt } = tr(req);
    if (!chosen.length) return back(reply, to, t('targetLists.flash.selectOne'));
    const action = str(b, 'action');
    if (action === 'remove') flash(reply, 'ok', t('targetLists.flash.removed', { n: fmt.number((await tl.removeMembers(id, type, chosen)).removed) }));
    else if (action === 'optOut' || action === 'optIn') {
      const n = (await tl.setOptedOut(id, type, chosen, action === 'optOut')).changed;
      flash(reply, 'ok', t(action === 'optOut' ? 'targetLists.flash.optedOut' : 'targetLists.flash.optedIn', { n: fmt.number(n) }));
    } else return back(reply, to, t('targetLists.flash.unknownAction'));
    return reply.redirect(to, 303);
  });

  // Add: pick records (search and select) or filter then select all.
  app.get('/target-lists/:id/add', { preHandler: requireAdmin }, async (req, reply) => {
    const list = await tl.get(idOf(req));
    const query = firstValues(req.query);
    const data: Record<string, unknown> = { title: tr(req).t('targetLists.add.title', { name: list.name }), list, types: MEMBER_TYPES, query, filter: { type: typeOf(query.f_type) } };
    if (query.f_type) {
      try {
        const filter = filterFrom(query);
        const page = await tl.browse(filter, { ...listQueryFrom(query), perPage: listQueryFrom(query).perPage ?? 50 }, list.id);
        Object.assign(data, { filter: filterValues(filter), page, count: page.total, links: listLinks(`${base(list.id)}/add`, query, page) });
      } catch (e) {
        if (!isAppError(e) || e.status >= 500) throw e;
        reply.status(400);
        Object.assign(data, { filter: Object.fromEntries(FILTER_FIELDS.map((k) => [k, query[`f_${k}`] ?? ''])), error: e.fields?.map((f) => `${f.field}: ${f.message}`).join('; ') ?? e.message });
      }
    }
    return render(req, reply, 'pages/target-lists/add.eta', data);
  });
  app.post('/target-lists/:id/add', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const { t, fmt } = tr(req);
    const again = `${base(id)}/add${str(b, 'back').startsWith('?') ? str(b, 'back') : ''}`;
    const all = str(b, 'action') === 'all';
    const chosen = ids(b, 'ids');
    if (!all && !chosen.length) return back(reply, again, t('targetLists.flash.selectOne'));
    return formAction(reply, {
      act: async () => {
        const filter = filterFrom(b);
        if (all) return (await tl.addByFilter(id, filter)).added;
        return (await tl.addRecords(id, chosen.map((x) => ({ type: filter.type, id: x })))).added;
      },
      done: (n) => ({ to: `${base(id)}?type=${typeOf(str(b, 'f_type'))}`, flash: t('targetLists.flash.added', { n: fmt.number(n) }) }),
      retry: (fe) => back(reply, again, Object.values(fe.errors).join('; ') || fe.error),
    });
  });

  // Dynamic lists: criteria, preview, evaluate.
  const criteriaData = async (req: FastifyRequest, data: Record<string, unknown> = {}) => {
    const list = await tl.get(idOf(req));
    const query = firstValues(req.query);
    const criteria = (list.criteria ?? []).map(filterValues);
    return {
      title: tr(req).t('targetLists.criteria.title', { name: list.name }), list, types: MEMBER_TYPES, criteria,
      preview: list.kind === 'dynamic' ? await tl.previewEvaluation(list.id) : null, filter: { type: typeOf(query.f_type) }, ...data,
    };
  };
  app.get('/target-lists/:id/criteria', { preHandler: requireUser }, async (req, reply) => render(req, reply, 'pages/target-lists/criteria.eta', await criteriaData(req)));
  app.post('/target-lists/:id/criteria', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const { t } = tr(req);
    const action = str(b, 'action');
    return formAction(reply, {
      act: async () => {
        const list = await tl.get(id);
        const criteria = [...(list.criteria ?? [])];
        if (action === 'remove') criteria.splice(Number(str(b, 'index')), 1);
        else if (action === 'preview') return { preview: await tl.previewEvaluation(id, [...criteria, filterFrom(b)]), filter: filterValues(filterFrom(b)) };
        else criteria.push(filterFrom(b));
        await tl.update(id, { kind: 'dynamic', criteria });
        return null;
      },
      done: (r) => (r
        ? { show: async () => render(req, reply, 'pages/target-lists/criteria.eta', await criteriaData(req, { candidate: r.preview, filter: r.filter })) }
        : { to: `${base(id)}/criteria`, flash: t(action === 'remove' ? 'targetLists.flash.criterionRemoved' : 'targetLists.flash.criterionAdded') }),
      retry: async (fe) => render(req, reply, 'pages/target-lists/criteria.eta', await criteriaData(req, { ...fe, filter: Object.fromEntries(FILTER_FIELDS.map((k) => [k, str(b, `f_${k}`)])) })),
    });
  });
  app.post('/target-lists/:id/evaluate', { preHandler: requireAdmin }, async (req, reply) => {
    const id = idOf(req);
    const { t, fmt } = tr(req);
    return formAction(reply, {
      act: () => tl.evaluate(id),
      done: (r) => ({ to: `${base(id)}/criteria`, flash: t('targetLists.flash.evaluated', { added: fmt.number(r.added), removed: fmt.number(r.removed) }) }),
      retry: (fe) => back(reply, `${base(id)}/criteria`, fe.error),
    });
  });
}
