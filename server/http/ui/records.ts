/*
 * Records pages (/admin/records/{accounts|contacts|leads}): a list per type with search,
 * filters, sort and paging; a record page with its addresses (primary, opted out, blocked ⚠
 * with the reason), its account (or an account's contacts) and its target lists; create and
 * edit forms with field errors; delete, former employee and per-address opt-out buttons.
 * Everyone signed in reads; admins change.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, listLinks, listQueryFrom, tr } from './render.js';
import { requireUser, requireAdmin, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { notFound } from '../../errors.js';
import { TYPE_OF_PLURAL, type RecordInput, type RecordType } from '../../records/types.js';
import type { RecordView } from '../../records/service.js';
import { recordFilterFrom } from '../api/records.js';
import { mailboxIdsOf, principalOf } from '../../auth/access.js';

const PLURAL: Record<RecordType, string> = { account: 'accounts', contact: 'contacts', lead: 'leads' };
const FILTERS = ['q', 'email', 'emailDomain', 'title', 'teamId', 'formerEmployee', 'optedOut', 'blocked', 'attr'];

/** `key=value` lines → attributes (values as text). */
function attrsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    else if (line.trim()) out[line.trim()] = '';
  }
  return out;
}
const optId = (v: string): number | null => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : null);

export function recordsUi(app: FastifyInstance, s: Services) {
  const svc = s.records;
  const typeOf = (req: FastifyRequest): RecordType => {
    const t = TYPE_OF_PLURAL[(req.params as { type: string }).type];
    if (!t) throw notFound('Page');
    return t;
  };
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);
  const base = (type: RecordType) => `/admin/records/${PLURAL[type]}`;

  app.get('/records/:type', { preHandler: requireUser }, async (req, reply) => {
    const type = typeOf(req);
    const query = req.query as Record<string, string>;
    const lq = listQueryFrom(query);
    const f: Record<string, unknown> = { ...query };
    // The attribute filter is one `key=value` field on the page.
    if (query.attr && query.attr.includes('=')) { const [k, ...v] = query.attr.split('='); f[`attr.${k!.trim()}`] = v.join('=').trim(); }
    const page = await svc.list(type, { sort: lq.sort, dir: lq.dir, page: lq.page, perPage: lq.perPage, filter: recordFilterFrom(f) });
    const kept = Object.fromEntries(Object.entries(query).filter(([k]) => FILTERS.includes(k) || k === 'sort' || k === 'dir'));
    return render(req, reply, 'pages/records/list.eta', {
      title: tr(req).t(`records.${type}.title` as const), type, plural: PLURAL[type], page, query: kept, links: listLinks(base(type), kept, page), teams: await s.auth.teams.all(),
    });
  });

  const form = async (req: FastifyRequest, reply: FastifyReply, type: RecordType, data: Record<string, unknown>) =>
    render(req, reply, 'pages/records/form.eta', { type, plural: PLURAL[type], teams: await s.auth.teams.all(), accounts: type === 'contact' ? await svc.accountChoices() : [], ...data });
  const valuesOf = (r: RecordView) => ({
    externalId: r.external_id ?? '', firstName: r.first_name ?? '', lastName: r.last_name ?? '', name: r.name, title: r.title ?? '', phone: r.phone ?? '',
    emails: r.emails.map((e) => e.address).join('\n'), teamId: r.team_id ?? '', accountId: r.account_id ?? '', formerEmployee: r.former_employee,
    attributes: Object.entries(r.attributes).map(([k, v]) => `${k}=${v ?? ''}`).join('\n'),
  });
  const inputOf = (type: RecordType, b: Body, cur?: RecordView): RecordInput => {
    const attrs: Record<string, string | null> = attrsOf(str(b, 'attributes'));
    for (const k of Object.keys(cur?.attributes ?? {})) if (!(k in attrs)) attrs[k] = null;
    const input: RecordInput = {
      externalId: str(b, 'externalId'), name: str(b, 'name'), title: str(b, 'title'), phone: str(b, 'phone'),
      emails: str(b, 'emails').split(/[\s,;]+/).filter(Boolean), teamId: optId(str(b, 'teamId')), attributes: attrs,
    };
    if (type !== 'account') Object.assign(input, { firstName: str(b, 'firstName'), lastName: str(b, 'lastName'), formerEmployee: bool(b, 'formerEmployee') });
    if (type === 'contact') input.accountId = optId(str(b, 'accountId'));
    return input;
  };
  // `emails[2]` → the emails field of the form.
  const fieldErrors = (fe: { errors: Record<string, string>; error: string }) => {
    const errors: Record<string, string> = {};
    for (const [k, v] of Object.entries(fe.errors)) { const f = k.replace(/\[\d+\]$/, ''); errors[f] = errors[f] ? `${errors[f]}; ${v}` : v; }
    return { errors, error: fe.error };
  };

  app.get('/records/:type/new', { preHandler: requireAdmin }, async (req, reply) => {
    const type = typeOf(req);
    return form(req, reply, type, { title: tr(req).t(`records.${type}.new` as const), values: {} });
  });
  app.post('/records/:type/new', { preHandler: requireAdmin }, async (req, reply) => {
    const type = typeOf(req);
    const b = req.body as Body;
    return formAction(reply, {
      act: () => svc.create(type, inputOf(type, b)),
      done: (r) => ({ to: `${base(type)}/${r.id}`, flash: tr(req).t('records.flash.created', { name: r.name }) }),
      retry: (fe) => form(req, reply, type, { title: tr(req).t(`records.${type}.new` as const), values: b, ...fieldErrors(fe) }),
    });
  });
  app.get('/records/:type/:id', { preHandler: requireUser }, async (req, reply) => {
    const type = typeOf(req);
    const r = await svc.get(type, idOf(req));
    // Follow button and the record's linked mail (agents: of their mailboxes only).
    const mailboxIds = mailboxIdsOf(await s.access.scopeOf(principalOf(req.user!)));
    return render(req, reply, 'pages/records/detail.eta', {
      following: await s.follows.isFollowing(req.user!.id, type, r.id), linkedMail: await s.links.messagesOf(type, r.id, { perPage: 20, mailboxIds }),
      title: r.name || r.external_id || `#${r.id}`, type, plural: PLURAL[type], r, lists: await svc.listsOf(type, r.id),
      contacts: type === 'account' ? await svc.contactsOf(r.id) : [], team: r.team_id ? (await s.auth.teams.all()).find((t) => t.id === r.team_id) : undefined,
    });
  });
  app.get('/records/:type/:id/edit', { preHandler: requireAdmin }, async (req, reply) => {
    const type = typeOf(req);
    const r = await svc.get(type, idOf(req));
    return form(req, reply, type, { title: tr(req).t('records.form.editTitle', { name: r.name }), editing: r, values: valuesOf(r) });
  });
  app.post('/records/:type/:id/edit', { preHandler: requireAdmin }, async (req, reply) => {
    const type = typeOf(req);
    const cur = await svc.get(type, idOf(req));
    const b = req.body as Body;
    return formAction(reply, {
      act: () => svc.update(type, cur.id, inputOf(type, b, cur)),
      done: (r) => ({ to: `${base(type)}/${r.id}`, flash: tr(req).t('records.flash.saved') }),
      retry: (fe) => form(req, reply, type, { title: tr(req).t('records.form.editTitle', { name: cur.name }), editing: cur, values: b, ...fieldErrors(fe) }),
    });
  });
  // Buttons on the record page: delete, former employee on/off, an address opted out/in.
  app.post('/records/:type/:id', { preHandler: requireAdmin }, async (req, reply) => {
    const type = typeOf(req);
    const r = await svc.get(type, idOf(req));
    const b = req.body as Body;
    const { t } = tr(req);
    const here = `${base(type)}/${r.id}`;
    switch (str(b, 'action')) {
      case 'delete':
        await svc.remove(type, r.id);
        flash(reply, 'ok', t('records.flash.deleted', { name: r.name }));
        return reply.redirect(base(type), 303);
      case 'formerEmployee':
        await svc.setFormerEmployee([r.id], !r.former_employee);
        flash(reply, 'ok', t(r.former_employee ? 'records.flash.notFormer' : 'records.flash.former'));
        return reply.redirect(here, 303);
      case 'optOut':
      case 'optIn': {
        const address = str(b, 'address');
        if (!r.emails.some((e) => e.address === address)) return back(reply, here, t('records.flash.noSuchAddress'));
        await svc.setOptedOut(address, str(b, 'action') === 'optOut');
        flash(reply, 'ok', t(str(b, 'action') === 'optOut' ? 'records.flash.optedOut' : 'records.flash.optedIn', { address }));
        return reply.redirect(here, 303);
      }
      default:
        return back(reply, here, t('records.flash.unknownAction'));
    }
  });
}
