/*
 * Filter pages: the list in run order (move up/down), add/edit with a dry run of the form as
 * typed against a stored message, remove, and the dry-run page the message page links to
 * (GET: a dry run changes nothing). Admins see every scope; agents their personal mailboxes'.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { render, tr } from './render.js';
import { requireUser, flash } from './session.js';
import { str, bool, type Body } from './forms.js';
import { formAction, back } from './formAction.js';
import { principalOf } from '../../auth/access.js';
import { isAppError, AppError } from '../../errors.js';
import { FIELDS, TEXT_OPS, SIZE_OPS, LIMITS } from '../../routing/filters/match.js';
import { scopeOf, type FilterInput, type DryRunResult } from '../../routing/filters/service.js';
import type { FilterRow } from '../../db/repos/filters/filters.js';

/** Condition rows the form offers (empty rows are dropped). */
const ROWS = 5;

/** A stored filter as the form shows it (conditions padded to ROWS). */
function valuesOf(f: FilterRow) {
  const a = f.actions as Record<string, unknown>;
  return {
    name: f.name, mailboxId: f.mailbox_id === null ? '' : String(f.mailbox_id), active: f.active, match: f.match, conditions: f.conditions,
    skip: Boolean(a.skip), stop: Boolean(a.stop), markRead: Boolean(a.markRead), noNotify: Boolean(a.noNotify), folder: String(a.folder ?? ''),
    assignTeamId: a.assignTeamId ? String(a.assignTeamId) : '', assignUserId: a.assignUserId ? String(a.assignUserId) : '', tags: ((a.tags as string[] | undefined) ?? []).join(', '),
  };
}

export function filtersUi(app: FastifyInstance, s: Services) {
  const pre = { preHandler: requireUser };
  const actor = (req: FastifyRequest) => principalOf(req.user!);
  const idOf = (req: FastifyRequest) => Number((req.params as { id: string }).id);

  /** The form's fields as the service takes them. */
  const input = (b: Body): FilterInput => {
    const conditions = [];
    for (let i = 0; i < ROWS; i++) {
      const field = str(b, `c${i}_field`), value = str(b, `c${i}_value`);
      if (!field || (value === '' && str(b, `c${i}_op`) !== 'matches')) continue;
      conditions.push({ field, op: str(b, `c${i}_op`), value, ...(field === 'header' ? { header: str(b, `c${i}_header`) } : {}) });
    }
    const mb = str(b, 'mailboxId');
    const num = (k: string) => (/^\d+$/.test(str(b, k).trim()) ? Number(str(b, k).trim()) : str(b, k).trim() || null);
    return {
      name: str(b, 'name'), mailboxId: mb ? Number(mb) : null, active: bool(b, 'active'), match: str(b, 'match') || 'all', conditions,
      actions: {
        skip: bool(b, 'skip'), stop: bool(b, 'stop'), markRead: bool(b, 'markRead'), noNotify: bool(b, 'noNotify'), folder: str(b, 'folder'),
        assignTeamId: num('assignTeamId'), assignUserId: num('assignUserId'), tags: str(b, 'tags').split(',').map((x) => x.trim()).filter(Boolean),
      },
    };
  };
  /** Form values back from what was typed (to re-show it). */
  const typed = (b: Body) => ({
    ...input(b), mailboxId: str(b, 'mailboxId'), skip: bool(b, 'skip'), stop: bool(b, 'stop'), markRead: bool(b, 'markRead'), noNotify: bool(b, 'noNotify'),
    folder: str(b, 'folder'), assignTeamId: str(b, 'assignTeamId'), assignUserId: str(b, 'assignUserId'), tags: str(b, 'tags'), inboundId: str(b, 'inboundId'),
    conditions: Array.from({ length: ROWS }, (_, i) => ({ field: str(b, `c${i}_field`), op: str(b, `c${i}_op`), value: str(b, `c${i}_value`), header: str(b, `c${i}_header`) })),
  });

  const form = async (req: FastifyRequest, reply: FastifyReply, data: Record<string, unknown>) => render(req, reply, 'pages/filters/form.eta', {
    fields: FIELDS, textOps: TEXT_OPS, sizeOps: SIZE_OPS, rows: ROWS, mailboxes: await s.filters.mailboxChoices(actor(req)), isAdmin: req.user!.role === 'admin',
    bodyKb: LIMITS.body / 1024, ...data,
  });

  app.get('/filters', pre, async (req, reply) => {
    const items = await s.filters.list(actor(req));
    return render(req, reply, 'pages/filters/list.eta', { title: tr(req).t('filters.list.title'), items: items.map((f) => ({ ...f, scope: scopeOf(f) })) });
  });
  app.get('/filters/new', pre, async (req, reply) => form(req, reply, {
    title: tr(req).t('filters.form.newTitle'), values: { active: true, match: 'all', mailboxId: '', conditions: [] },
  }));

  /** "Dry run" on the form: the filter as typed, against a stored message; nothing is saved. */
  async function dryRunForm(req: FastifyRequest, reply: FastifyReply, b: Body, editing?: FilterRow) {
    const values = typed(b);
    const title = editing ? editing.name : tr(req).t('filters.form.newTitle');
    const inboundId = Number(str(b, 'inboundId'));
    try {
      const dry = await s.filters.dryRun(actor(req), { filter: input(b), inboundId: Number.isInteger(inboundId) && inboundId > 0 ? inboundId : 0 });
      return form(req, reply, { title, editing, values, dry });
    } catch (e) {
      if (!isAppError(e) || e.status >= 500) throw e;
      const errors: Record<string, string> = {};
      for (const f of e.fields ?? []) errors[f.field.replace(/^filter\./, '')] = f.key ? tr(req).t(f.key as never) : f.message;
      reply.status(e.status === 404 ? 404 : 400);
      return form(req, reply, { title, editing, values, errors, error: e.status === 404 ? tr(req).t('filters.dry.noMessage') : e.message });
    }
  }

  app.post('/filters/new', pre, async (req, reply) => {
    const b = req.body as Body;
    if (str(b, 'action') === 'dryrun') return dryRunForm(req, reply, b);
    // A scope this user may not manage is a 403, not a form error (agents: their personal mailboxes only).
    const mb = str(b, 'mailboxId');
    if (!(await s.filters.mayManage(actor(req), mb ? Number(mb) : null))) throw new AppError('forbidden', tr(req).t('filters.err.forbidden'));
    return formAction(reply, {
      act: () => s.filters.create(actor(req), input(b)),
      done: (f) => ({ to: `/admin/filters/${f.id}`, flash: tr(req).t('filters.flash.saved') }),
      retry: (fe) => form(req, reply, { title: tr(req).t('filters.form.newTitle'), values: typed(b), ...fe }),
    });
  });
  app.get('/filters/dry-run', pre, async (req, reply) => {
    const q = req.query as Record<string, string>;
    const inboundId = Number(q.inboundId);
    const filters = await s.filters.list(actor(req));
    let dry: DryRunResult | undefined;
    let chosen: FilterRow | undefined;
    if (/^\d+$/.test(q.filterId ?? '') && Number.isInteger(inboundId) && inboundId > 0) {
      chosen = await s.filters.get(actor(req), Number(q.filterId));
      dry = await s.filters.dryRun(actor(req), { filterId: chosen.id, inboundId });
    }
    return render(req, reply, 'pages/filters/dryrun.eta', { title: tr(req).t('filters.dry.title', { id: inboundId || '' }), filters, inboundId, chosen, dry });
  });
  app.get('/filters/:id', pre, async (req, reply) => {
    const f = await s.filters.get(actor(req), idOf(req));
    return form(req, reply, { title: f.name, editing: f, values: valuesOf(f) });
  });
  app.post('/filters/:id', pre, async (req, reply) => {
    const id = idOf(req);
    const b = req.body as Body;
    const action = str(b, 'action');
    const { t } = tr(req);
    if (action === 'up' || action === 'down') {
      await s.filters.move(actor(req), id, action);
      return reply.redirect('/admin/filters', 303);
    }
    if (action === 'delete') {
      await s.filters.remove(actor(req), id);
      flash(reply, 'ok', t('filters.flash.removed'));
      return reply.redirect('/admin/filters', 303);
    }
    const editing = await s.filters.get(actor(req), id);
    if (action === 'dryrun') return dryRunForm(req, reply, b, editing);
    return formAction(reply, {
      act: () => s.filters.update(actor(req), id, input(b)),
      done: () => ({ to: `/admin/filters/${id}`, flash: t('filters.flash.saved') }),
      retry: (fe) => (fe.errors && Object.keys(fe.errors).length ? form(req, reply, { title: editing.name, editing, values: typed(b), ...fe }) : back(reply, `/admin/filters/${id}`, fe.error)),
    });
  });
}
