/*
 * Target lists: named sets of recipients of mixed types (accounts, contacts, leads, users) that
 * mass emails send to or exclude. Static lists are filled by picking records or by "filter then
 * select all" (every match, server-side, in id-range batches); dynamic lists keep criteria
 * (RecordFilters) and are re-evaluated when a mass email starts, recording what was added and
 * removed. A member may opt out of one list only; that is apart from an address opted out entirely.
 */
import type { Ctx } from '../context.js';
import { conflict, invalid, notFound, type FieldError } from '../errors.js';
import { targetListsRepo, MEMBER_TYPES } from '../db/repos/targetLists.js';
import type { ListQuery } from '../db/list.js';
import type { MemberType, RecordFilter } from '../records/types.js';

export type TargetListsService = ReturnType<typeof targetListsService>;
export { MEMBER_TYPES };

/** A member as the API names it: by id, or by the CRM's externalId (a username for users). */
export interface MemberRef { type: MemberType; id?: number; externalId?: string }
export interface FillProgress { checkpoint: number; hi: number; added: number; batches: number }

const FIELD_KEYS = ['firstName', 'lastName', 'name', 'title', 'phone', 'externalId'] as const;
const isUnique = (e: unknown) => /unique|duplicate/i.test(String((e as Error)?.message ?? ''));
const isType = (t: unknown): t is MemberType => typeof t === 'string' && (MEMBER_TYPES as string[]).includes(t);

/** A RecordFilter from untrusted input (API body, form): known keys only, each checked. */
export function cleanFilter(x: unknown, field = 'filter'): RecordFilter {
  const bad = (message: string, key?: string): never => { throw invalid([{ field: key ? `${field}.${key}` : field, message }]); };
  if (!x || typeof x !== 'object' || Array.isArray(x)) bad('must be an object');
  const o = x as Record<string, unknown>;
  if (!isType(o.type)) bad(`must be one of ${MEMBER_TYPES.join(', ')}`, 'type');
  const f: RecordFilter = { type: o.type as MemberType };
  const str = (key: 'search' | 'emailDomain' | 'email') => {
    if (o[key] === undefined || o[key] === null || o[key] === '') return;
    if (typeof o[key] !== 'string' || (o[key] as string).length > 320) bad('must be a string of at most 320 characters', key);
    f[key] = (o[key] as string).trim();
  };
  str('search'); str('emailDomain'); str('email');
  for (const key of ['formerEmployee', 'optedOut', 'blocked'] as const) {
    if (o[key] === undefined || o[key] === null) continue;
    if (typeof o[key] !== 'boolean') bad('must be true or false', key);
    f[key] = o[key] as boolean;
  }
  for (const key of ['teamId', 'accountId'] as const) {
    if (o[key] === undefined || o[key] === null) continue;
    if (!Number.isSafeInteger(o[key]) || (o[key] as number) < 1) bad('must be a positive integer', key);
    f[key] = o[key] as number;
  }
  if (o.fields !== undefined && o.fields !== null) {
    if (typeof o.fields !== 'object' || Array.isArray(o.fields)) bad('must be an object', 'fields');
    const fields: NonNullable<RecordFilter['fields']> = {};
    for (const [key, v] of Object.entries(o.fields as Record<string, unknown>)) {
      if (!(FIELD_KEYS as readonly string[]).includes(key)) bad(`unknown field; one of ${FIELD_KEYS.join(', ')}`, `fields.${key}`);
      if (v === undefined || v === null || v === '') continue;
      if (typeof v !== 'string' || v.length > 200) bad('must be a string of at most 200 characters', `fields.${key}`);
      fields[key as (typeof FIELD_KEYS)[number]] = v as string;
    }
    if (Object.keys(fields).length) f.fields = fields;
  }
  if (o.attributes !== undefined && o.attributes !== null) {
    if (typeof o.attributes !== 'object' || Array.isArray(o.attributes)) bad('must be an object', 'attributes');
    const attributes: Record<string, string> = {};
    for (const [key, v] of Object.entries(o.attributes as Record<string, unknown>)) {
      if (!key || key.length > 100) bad('attribute names have 1 to 100 characters', 'attributes');
      if (!['string', 'number', 'boolean'].includes(typeof v)) bad('must be a string, number or boolean', `attributes.${key}`);
      attributes[key] = String(v);
    }
    if (Object.keys(attributes).length) f.attributes = attributes;
  }
  return f;
}

export function targetListsService(s: { ctx: Ctx }, o: { batchSize?: number } = {}) {
  const repo = targetListsRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const batchSize = o.batchSize ?? 50_000;
  const get = async (id: number) => { const l = await repo.get(id); if (!l) throw notFound('Target list'); return l; };

  /** The static list a bulk action fills: an existing one, or a new (or same-named) one. */
  async function fillTarget(target: { listId?: number; newName?: string }) {
    let list;
    let created = false;
    if (target.newName?.trim()) {
      const existing = await repo.byName(target.newName.trim());
      if (existing) list = existing;
      else { list = await get(await repo.create({ name: target.newName.trim(), description: '', kind: 'static', criteria: null }, now())); created = true; }
    } else if (target.listId) list = await get(target.listId);
    else throw invalid([{ field: 'listId', message: 'Choose a list or name a new one', key: 'targetLists.error.chooseList' }]);
    if (list.kind === 'dynamic') throw invalid([{ field: 'listId', message: 'A dynamic list is filled by its criteria', key: 'targetLists.error.dynamicFill' }]);
    return { list, created };
  }

  function listFields(l: { name?: string; description?: string | null }, creating: boolean): FieldError[] {
    const f: FieldError[] = [];
    if (creating || l.name !== undefined) {
      if (!l.name?.trim()) f.push({ field: 'name', message: 'Name is required', key: 'targetLists.error.nameRequired' });
      else if (l.name.trim().length > 200) f.push({ field: 'name', message: 'At most 200 characters', key: 'targetLists.error.nameLong' });
    }
    if (l.description && l.description.length > 2000) f.push({ field: 'description', message: 'At most 2000 characters', key: 'targetLists.error.descriptionLong' });
    return f;
  }
  const criteriaOf = (c: unknown): RecordFilter[] | null => {
    if (c === undefined || c === null) return null;
    const arr = Array.isArray(c) ? c : [c];
    if (arr.length > 20) throw invalid([{ field: 'criteria', message: 'At most 20 criteria' }]);
    return arr.map((x, i) => cleanFilter(x, `criteria[${i}]`));
  };

  /** Resolves refs to ids per type; `notFound` holds the indexes of refs that name nothing. */
  async function resolve(refs: MemberRef[]): Promise<{ byType: Map<MemberType, number[]>; notFound: number[] }> {
    const byType = new Map<MemberType, number[]>();
    const missing: number[] = [];
    for (const type of MEMBER_TYPES) {
      const mine = refs.map((r, index) => ({ r, index })).filter((x) => x.r.type === type);
      if (!mine.length) continue;
      const withId = mine.filter((x) => x.r.id !== undefined);
      const withExt = mine.filter((x) => x.r.id === undefined);
      const exists = new Set(await repo.existing(type, withId.map((x) => x.r.id!)));
      const ext = await repo.idsByExternal(type, withExt.map((x) => String(x.r.externalId ?? '')));
      const ids: number[] = [];
      for (const x of withId) if (exists.has(x.r.id!)) ids.push(x.r.id!); else missing.push(x.index);
      for (const x of withExt) { const id = ext.get(String(x.r.externalId ?? '')); if (id !== undefined) ids.push(id); else missing.push(x.index); }
      byType.set(type, ids);
    }
    refs.forEach((r, i) => { if (!isType(r.type) || (r.id === undefined && !r.externalId)) missing.push(i); });
    return { byType, notFound: [...new Set(missing)].sort((a, b) => a - b) };
  }

  /**
   * Adds every match of `filter` (one type) with INSERT … SELECT over id ranges of `batchSize`;
   * each batch commits on its own and the checkpoint (the last id done) moves on, so memory stays
   * bounded and a run stopped midway resumes with `from: checkpoint + 1` (members are never doubled).
   */
  async function fill(listId: number, filter: RecordFilter, opt: { from?: number; onProgress?: (p: FillProgress) => void; batchSize?: number } = {}) {
    const range = await repo.idRange(filter.type);
    const size = Math.max(1, opt.batchSize ?? batchSize);
    const p: FillProgress = { checkpoint: (opt.from ?? 0) - 1, hi: range?.hi ?? 0, added: 0, batches: 0 };
    if (!range) return p;
    const at = now();
    for (let lo = Math.max(range.lo, opt.from ?? 0); lo <= range.hi; lo += size) {
      const hi = Math.min(range.hi, lo + size - 1);
      p.added += await repo.addRange(listId, filter, lo, hi, at);
      p.checkpoint = hi;
      p.batches++;
      opt.onProgress?.({ ...p });
    }
    return p;
  }

  /** Dynamic list: drops members matching none of their type's criteria, then adds the new matches. */
  async function evaluate(listId: number) {
    const l = await get(listId);
    if (l.kind !== 'dynamic') throw invalid([{ field: 'kind', message: 'Only a dynamic list is evaluated', key: 'targetLists.error.notDynamic' }]);
    const criteria = l.criteria ?? [];
    let removed = 0, added = 0;
    for (const type of MEMBER_TYPES) {
      const range = await repo.memberRange(listId, type);
      if (!range) continue;
      const fs = criteria.filter((f) => f.type === type);
      for (let lo = range.lo; lo <= range.hi; lo += batchSize) removed += await repo.removeUnmatchedRange(listId, type, fs, lo, Math.min(range.hi, lo + batchSize - 1));
    }
    for (const f of criteria) added += (await fill(listId, f)).added;
    const at = now();
    await repo.setEvaluation(listId, { evaluated_at: at, last_added: added, last_removed: removed });
    return { added, removed, evaluatedAt: at, counts: await repo.counts(listId) };
  }

  return {
    list: (q: ListQuery) => repo.list(q),
    all: () => repo.all(),
    /** Called when a record or user is deleted: it leaves every list. */
    forgetMember: (type: MemberType, id: number) => repo.forgetMember(type, id),
    get,
    find: (id: number) => repo.get(id),
    async create(l: { name: string; description?: string | null; kind?: 'static' | 'dynamic'; criteria?: unknown }) {
      const f = listFields(l, true);
      if (l.kind !== undefined && l.kind !== 'static' && l.kind !== 'dynamic') f.push({ field: 'kind', message: 'static or dynamic' });
      if (!f.length && await repo.byName(l.name.trim())) f.push({ field: 'name', message: 'A target list with this name exists', key: 'targetLists.error.nameTaken' });
      if (f.length) throw invalid(f);
      const criteria = criteriaOf(l.criteria);
      const kind = l.kind ?? (criteria ? 'dynamic' : 'static');
      try {
        const id = await repo.create({ name: l.name.trim(), description: (l.description ?? '').trim(), kind, criteria: kind === 'dynamic' ? criteria ?? [] : null }, now());
        return get(id);
      } catch (e) { if (isUnique(e)) throw conflict('A target list with this name exists'); throw e; }
    },
    async update(id: number, patch: { name?: string; description?: string | null; kind?: 'static' | 'dynamic'; criteria?: unknown }) {
      const l = await get(id);
      const f = listFields(patch, false);
      if (patch.kind !== undefined && patch.kind !== 'static' && patch.kind !== 'dynamic') f.push({ field: 'kind', message: 'static or dynamic' });
      const other = patch.name?.trim() ? await repo.byName(patch.name.trim()) : undefined;
      if (other && other.id !== id) f.push({ field: 'name', message: 'A target list with this name exists', key: 'targetLists.error.nameTaken' });
      if (f.length) throw invalid(f);
      const kind = patch.kind ?? l.kind;
      const criteria = patch.criteria !== undefined ? criteriaOf(patch.criteria) : undefined;
      try {
        await repo.update(id, {
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.description !== undefined ? { description: (patch.description ?? '').trim() } : {}),
          ...(patch.kind !== undefined ? { kind } : {}),
          ...(criteria !== undefined ? { criteria: kind === 'dynamic' ? criteria ?? [] : null } : kind === 'static' && patch.kind ? { criteria: null } : {}),
        }, now());
      } catch (e) { if (isUnique(e)) throw conflict('A target list with this name exists'); throw e; }
      return get(id);
    },
    async remove(id: number) { if (!(await repo.remove(id))) throw notFound('Target list'); },
    counts: async (id: number) => { await get(id); return repo.counts(id); },
    async members(id: number, type: MemberType, q: ListQuery & { optedOut?: boolean }) {
      await get(id);
      if (!isType(type)) throw invalid([{ field: 'type', message: `one of ${MEMBER_TYPES.join(', ')}` }]);
      return repo.members(id, type, q);
    },
    /** Records (or users) a filter selects, one page, marked when already in `listId`: the picker. */
    browse: (filter: RecordFilter, q: ListQuery, listId?: number) => repo.browse(cleanFilter(filter), q, listId),

    /** Adds members by reference (id or externalId). */
    async addRecords(id: number, refs: MemberRef[]) {
      await get(id);
      const { byType, notFound: missing } = await resolve(refs);
      let added = 0;
      const at = now();
      for (const [type, ids] of byType) added += await repo.addIds(id, type, ids, at);
      return { added, notFound: missing };
    },
    async removeRecords(id: number, refs: MemberRef[]) {
      await get(id);
      const { byType, notFound: missing } = await resolve(refs);
      let removed = 0;
      for (const [type, ids] of byType) removed += await repo.removeIds(id, type, ids);
      return { removed, notFound: missing };
    },
    async removeMembers(id: number, type: MemberType, ids: number[]) {
      await get(id);
      return { removed: await repo.removeIds(id, type, ids) };
    },
    /** "Filter then select all": every match of the filter, not only a page of it. */
    async addByFilter(id: number, filter: unknown, opt: { from?: number; onProgress?: (p: FillProgress) => void; batchSize?: number } = {}) {
      await get(id);
      const f = cleanFilter(filter);
      const p = await fill(id, f, opt);
      return { added: p.added, checkpoint: p.checkpoint, batches: p.batches };
    },
    async removeByFilter(id: number, filter: unknown) {
      await get(id);
      const f = cleanFilter(filter);
      const range = await repo.memberRange(id, f.type);
      let removed = 0;
      if (range) for (let lo = range.lo; lo <= range.hi; lo += batchSize) removed += await repo.removeMatchedRange(id, f, lo, Math.min(range.hi, lo + batchSize - 1));
      return { removed };
    },
    /** Opt members out of this list only (or back in); an address opted out entirely is apart (email_addresses). */
    async setOptedOut(id: number, type: MemberType, ids: number[], optedOut: boolean) {
      await get(id);
      return { changed: await repo.setOptedOut(id, type, ids, optedOut) };
    },
    /** The same by reference (id or externalId). */
    async setOptedOutRefs(id: number, refs: MemberRef[], optedOut: boolean) {
      await get(id);
      const { byType, notFound: missing } = await resolve(refs);
      let n = 0;
      for (const [type, ids] of byType) n += await repo.setOptedOut(id, type, ids, optedOut);
      return { changed: n, notFound: missing };
    },
    async member(id: number, type: MemberType, memberId: number) {
      const m = await repo.isMember(id, type, memberId);
      if (!m) throw notFound('Member');
      return m;
    },
    /** How many records the filter (or the filters together) selects. */
    async previewCount(filter: unknown) {
      const fs = Array.isArray(filter) ? filter.map((f, i) => cleanFilter(f, `filter[${i}]`)) : [cleanFilter(filter)];
      return repo.countMatches(fs);
    },
    /** A dynamic list's criteria now: matches, and what an evaluation would add and remove. */
    async previewEvaluation(id: number, criteria?: unknown) {
      const l = await get(id);
      const fs = criteria !== undefined ? criteriaOf(criteria) ?? [] : l.criteria ?? [];
      return { matches: await repo.countMatches(fs), wouldAdd: await repo.countNew(id, fs), wouldRemove: await repo.countStale(id, fs) };
    },
    evaluate,
    /** An opt-out through a mass email's link: the address is out of these lists, for every record holding it. */
    optOutAddress: (listIds: number[], address: string) => repo.optOutAddress(listIds, address.toLowerCase()),
    /** What a mass email calls when it starts: evaluates the dynamic lists among `ids`. */
    async evaluateForSend(ids: number[]) {
      const out: Array<{ id: number; added: number; removed: number }> = [];
      for (const id of ids) {
        const l = await repo.get(id);
        if (l?.kind === 'dynamic') { const r = await evaluate(id); out.push({ id, added: r.added, removed: r.removed }); }
      }
      return out;
    },

    /** Records with an address among these blocked-list rows (`type` narrows), for the bulk actions there. */
    recordsOfBlocked: (suppressionIds: number[], type?: MemberType) => repo.recordsOfSuppressions(suppressionIds, type),
    /** Adds the records of the chosen blocked addresses to a list (an existing one, or a new one by name). */
    async addFromBlocked(target: { listId?: number; newName?: string }, suppressionIds: number[]) {
      const { list, created } = await fillTarget(target);
      return { listId: list.id, name: list.name, created, added: await repo.addFromSuppressions(list.id, suppressionIds, now()) };
    },
    /** Adds the records a query selects as (member_type, member_id) — a campaign log selection — to a list (existing, or new by name). */
    async addFromQuery(target: { listId?: number; newName?: string }, sub: Parameters<typeof repo.addFromQuery>[1]) {
      const { list, created } = await fillTarget(target);
      return { listId: list.id, name: list.name, created, added: await repo.addFromQuery(list.id, sub, now()) };
    },
  };
}
