/*
 * Email filters: CRUD with the permission rule (admins: global and any mailbox's; agents: their
 * own personal mailboxes' only), the dry run of a saved or unsaved filter against a stored
 * message, and `route`, the first route hook: it runs the filters that apply and writes their
 * decisions into c.routing. It writes no row, so routing a message again gives the same answer.
 */
import type { Ctx } from '../../context.js';
import { rootOf, type StepContext, type RoutingState } from '../../inbound/pipeline/steps.js';
import { AppError, invalid, notFound, type FieldError } from '../../errors.js';
import { filtersRepo, type FilterRow } from '../../db/repos/filters/filters.js';
import { inboundRepo } from '../../db/repos/inbound/views.js';
import { inboundStoreRepo } from '../../db/repos/inbound/store.js';
import { inboundScope, type MailAccess, type Principal } from '../../auth/access.js';
import { parseMessage } from '../../lib/mime.js';
import { readHeaderSection, withHeaderBoundary } from '../../lib/headers.js';
import { applyActions, compileFilter, explainFilter, runFilters, validateFilter, type Compiled, type FilterDef } from './match.js';
import { factsOf } from './facts.js';
import { routingSettings, type RoutingSettings } from '../settings.js';

export interface FilterInput {
  name?: string; mailboxId?: number | null; position?: number; active?: boolean;
  match?: string; conditions?: unknown[]; actions?: Record<string, unknown>;
}
export type FilterScope = 'global' | 'mailbox' | 'personal';
export const scopeOf = (f: Pick<FilterRow, 'mailbox_id' | 'mailbox_kind'>): FilterScope => (f.mailbox_id === null ? 'global' : f.mailbox_kind === 'personal' ? 'personal' : 'mailbox');
export interface DryRunResult {
  matched: boolean; conditions: Array<{ index: number; matched: boolean }>;
  /** What the filter would decide for this message on its own (its actions when it matches). */
  wouldDo: RoutingState; inboundId: number; filterId: number | null;
}

const forbidden = (m: string) => new AppError('forbidden', m);

export function filtersService(s: { ctx: Ctx; access: MailAccess; settings?: RoutingSettings }) {
  const repo = filtersRepo(s.ctx.db);
  // The filters routing reads are cached per node; every change below drops the cache here at once.
  const settings = s.settings ?? routingSettings(s);
  const changed = () => settings.invalidate();
  // Compiled once per cached row (the rows are shared until the cache reads them again); null: does not compile.
  const compiledOf = new WeakMap<FilterRow, Compiled | null>();
  const inbound = inboundRepo(s.ctx.db);
  const store = inboundStoreRepo(s.ctx.db);
  const log = s.ctx.log.child({ mod: 'filters' });
  const now = () => s.ctx.clock.now();

  /** May this principal manage the filters of this scope (null: global)? */
  async function mayManage(p: Principal, mailboxId: number | null): Promise<boolean> {
    if (p.role === 'admin') return true;
    if (mailboxId === null) return false;
    const m = await repo.mailbox(mailboxId);
    return Boolean(m && m.kind === 'personal' && m.user_id === p.userId);
  }
  /** A filter this principal may see: others' are as missing as absent ones. */
  async function get(p: Principal, id: number): Promise<FilterRow> {
    const f = await repo.get(id);
    if (!f || !(await mayManage(p, f.mailbox_id))) throw notFound('Filter');
    return f;
  }

  function check(input: FilterInput, creating: boolean, current?: FilterRow): Record<string, unknown> {
    const errs: FieldError[] = [];
    const out: Record<string, unknown> = {};
    if (creating || input.name !== undefined) {
      const n = (input.name ?? '').trim();
      if (!n || n.length > 200) errs.push({ field: 'name', message: 'give a name of at most 200 characters', key: 'filters.err.name' });
      else out.name = n;
    }
    if (creating || input.match !== undefined || input.conditions !== undefined || input.actions !== undefined) {
      const { def, errors } = validateFilter({
        match: input.match ?? current?.match, conditions: input.conditions ?? current?.conditions, actions: input.actions ?? current?.actions,
      });
      errs.push(...errors);
      Object.assign(out, { match_mode: def.match, conditions: JSON.stringify(def.conditions), actions: JSON.stringify(def.actions) });
    }
    if (input.position !== undefined) {
      if (!Number.isInteger(input.position) || input.position < 0 || input.position > 1_000_000) errs.push({ field: 'position', message: 'a whole number 0–1,000,000', key: 'filters.err.position' });
      else out.position = input.position;
    }
    if (input.active !== undefined) out.active = Boolean(input.active);
    if (errs.length) throw invalid(errs);
    return out;
  }

  /** An assignment action names a team and a user that exist. */
  async function checkTargets(row: Record<string, unknown>): Promise<void> {
    if (typeof row.actions !== 'string') return;
    const a = JSON.parse(row.actions) as { assignTeamId?: number; assignUserId?: number };
    const errs: FieldError[] = [];
    if (a.assignTeamId && !(await repo.exists('teams', a.assignTeamId))) errs.push({ field: 'actions.assignTeamId', message: 'no such team', key: 'filters.err.team' });
    if (a.assignUserId && !(await repo.exists('users', a.assignUserId))) errs.push({ field: 'actions.assignUserId', message: 'no such user', key: 'filters.err.user' });
    if (errs.length) throw invalid(errs);
  }

  async function scopeMailbox(p: Principal, mailboxId: number | null | undefined): Promise<number | null> {
    const id = mailboxId ?? null;
    if (id !== null && !(await repo.mailbox(id))) throw invalid([{ field: 'mailboxId', message: 'no such mailbox', key: 'filters.err.mailbox' }]);
    if (!(await mayManage(p, id))) throw forbidden(id === null ? 'Only admins manage global filters' : 'Agents manage the filters of their own personal mailbox only');
    return id;
  }

  const defOf = (f: FilterRow): FilterDef => ({ id: f.id, match: f.match, conditions: f.conditions as FilterDef['conditions'], actions: f.actions as FilterDef['actions'] });

  /** A message's facts, from the stored row and raw bytes (the dry run) or the step context (routing). */
  function factsFromRaw(raw: Buffer, m: Parameters<typeof factsOf>[1]) { return factsOf(parseMessage(withHeaderBoundary(raw, readHeaderSection(raw))), m); }

  return {
    /** Filters this principal manages, in run order. */
    async list(p: Principal, q: { mailboxId?: number; scope?: FilterScope } = {}): Promise<FilterRow[]> {
      let rows: FilterRow[];
      if (p.role === 'admin') rows = await repo.list(q.mailboxId ? { mailboxIds: [q.mailboxId] } : {});
      else {
        const mine = (await repo.mailboxes(p.userId)).map((m) => m.id);
        rows = await repo.list({ mailboxIds: q.mailboxId ? mine.filter((x) => x === q.mailboxId) : mine });
      }
      return q.scope ? rows.filter((f) => scopeOf(f) === q.scope) : rows;
    },
    get,
    mayManage,
    /** The mailboxes this principal may put filters on (agents: their personal ones). */
    mailboxChoices: (p: Principal) => repo.mailboxes(p.role === 'admin' ? undefined : p.userId),
    async create(p: Principal, input: FilterInput): Promise<FilterRow> {
      const mailboxId = await scopeMailbox(p, input.mailboxId);
      const row = check(input, true);
      await checkTargets(row);
      if (row.position === undefined) row.position = await repo.nextPosition(mailboxId);
      const id = await repo.create({ ...row, mailbox_id: mailboxId, active: row.active ?? true }, now());
      changed();
      log.info({ evt: 'filter.created', id, mailboxId }, 'filter created');
      return (await repo.get(id))!;
    },
    async update(p: Principal, id: number, input: FilterInput): Promise<FilterRow> {
      const cur = await get(p, id);
      const patch = check(input, false, cur);
      await checkTargets(patch);
      if (input.mailboxId !== undefined && (input.mailboxId ?? null) !== cur.mailbox_id) {
        patch.mailbox_id = await scopeMailbox(p, input.mailboxId);
        if (input.position === undefined) patch.position = await repo.nextPosition(patch.mailbox_id as number | null);
      }
      if (Object.keys(patch).length) await repo.update(id, patch, now());
      changed();
      log.info({ evt: 'filter.updated', id }, 'filter updated');
      return (await repo.get(id))!;
    },
    /** Swaps a filter with its neighbour in its scope (up: earlier). */
    async move(p: Principal, id: number, dir: 'up' | 'down'): Promise<void> {
      const f = await get(p, id);
      const same = (await repo.list({ mailboxIds: f.mailbox_id === null ? [] : [f.mailbox_id], global: f.mailbox_id === null })).filter((x) => x.mailbox_id === f.mailbox_id);
      const i = same.findIndex((x) => x.id === id);
      const other = same[dir === 'up' ? i - 1 : i + 1];
      if (!other) return;
      // Positions may tie (ids break ties): renumber the scope, then swap the two.
      const order = same.map((x) => x.id);
      [order[i], order[same.indexOf(other)]] = [order[same.indexOf(other)]!, order[i]!];
      const at = now();
      for (const [pos, fid] of order.entries()) await repo.update(fid, { position: pos + 1 }, at);
      changed();
    },
    async remove(p: Principal, id: number): Promise<void> {
      await get(p, id);
      await repo.remove(id);
      changed();
      log.info({ evt: 'filter.removed', id }, 'filter removed');
    },

    /** Runs a saved filter (filterId) or an unsaved one (filter) against a stored message, changing nothing. */
    async dryRun(p: Principal, q: { filterId?: number; filter?: FilterInput; inboundId: number }): Promise<DryRunResult> {
      let def: FilterDef;
      let filterId: number | null = null;
      if (q.filterId !== undefined) { const f = await get(p, q.filterId); def = defOf(f); filterId = f.id; } else if (q.filter) {
        const { def: d, errors } = validateFilter(q.filter);
        if (errors.length) throw invalid(errors.map((e) => ({ ...e, field: `filter.${e.field}` })));
        def = d;
      } else throw invalid([{ field: 'filterId', message: 'give filterId or filter', key: 'filters.err.dryRunWhich' }]);
      const m = await inbound.get(q.inboundId, inboundScope(await s.access.scopeOf(p)));
      if (!m) throw notFound('Message');
      const facts = factsFromRaw(await store.readRaw(m.id), m);
      const r = explainFilter(compileFilter(def), facts);
      return {
        matched: r.matched, conditions: r.conditions.map((matched, index) => ({ index, matched })),
        wouldDo: r.matched ? applyActions({}, filterId ?? 0, def.actions) : {}, inboundId: m.id, filterId,
      };
    },

    /** The route hook: the filters that apply to the message's mailboxes, in order, into c.routing. Undefined when none matched. */
    async route(c: StepContext): Promise<unknown> {
      const mailboxIds = [...new Set(c.recipients.map((r) => r.mailbox_id).filter((x): x is number => x !== null))];
      const rows = await settings.filters(mailboxIds);
      c.routing ??= {};
      if (!rows.length) return undefined;
      const compiled: Array<{ id: number; compiled: Compiled }> = [];
      for (const f of rows) {
        let x = compiledOf.get(f);
        if (x === undefined) {
          // A stored filter that no longer compiles (edited by hand) is passed over, not fatal to the message.
          try { x = compileFilter(defOf(f)); } catch (e) { x = null; log.warn({ evt: 'filter.broken', id: f.id, err: (e as Error).message }, 'filter does not compile'); }
          compiledOf.set(f, x);
        }
        if (x) compiled.push({ id: f.id, compiled: x });
      }
      const root = rootOf(c);
      const facts = factsOf(root, {
        spf: c.fields.spf ?? c.msg.spf, dkim: c.fields.dkim ?? c.msg.dkim, dmarc: c.fields.dmarc ?? c.msg.dmarc,
        kind: c.kind ?? c.fields.kind ?? c.msg.kind, size: c.msg.size, from_addr: c.fields.from_addr ?? c.msg.from_addr,
      });
      const before = c.routing.matchedFilters?.length ?? 0;
      runFilters(compiled, facts, c.routing);
      const matched = (c.routing.matchedFilters ?? []).slice(before);
      if (!matched.length) return undefined;
      const r = c.routing;
      log.info({ evt: 'filter.matched', inboundId: c.msg.id, filters: matched, skip: Boolean(r.skip) }, 'filters matched');
      return {
        matchedFilters: matched, skip: Boolean(r.skip), stop: Boolean(r.stop), folder: r.folder ?? null, markRead: Boolean(r.markRead), noNotify: Boolean(r.noNotify),
        assignTeamId: r.assignTeamId ?? null, assignUserId: r.assignUserId ?? null, tags: r.tags ?? [],
      };
    },
  };
}
export type FiltersService = ReturnType<typeof filtersService>;
