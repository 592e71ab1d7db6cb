/*
 * Records (accounts, contacts, leads): validation of the input (RecordInput, types.ts), the
 * set-based bulk upsert (by externalId or by primary address; CSV import and the API call it
 * with up to 10,000 rows), CRUD for the API and pages, opt-out of an address (every record that
 * holds it) and the former-employee flag. Addresses are kept in their normal form (normalize.ts).
 */
import type { Ctx } from '../context.js';
import { invalid, notFound, type FieldError } from '../errors.js';
import type { ListQuery, Page } from '../db/list.js';
import { recordsWriteRepo, type UpsertRow, type RecordFields, type AttrValue } from '../db/repos/records/write.js';
import { recordsReadRepo, type RecordView, type RecordListMembership } from '../db/repos/records/read.js';
import { normalizeEmail } from './normalize.js';
import { RECORD_TYPES, type BulkResult, type RecordFilter, type RecordInput, type RecordType } from './types.js';

export type { RecordView, RecordEmail, RecordListMembership } from '../db/repos/records/read.js';
export const MAX_BULK = 10_000;
const MAX_EMAILS = 20;
const MAX_ATTRS = 100;
const ATTR_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const LIMITS = { firstName: 200, lastName: 200, name: 400, title: 200, phone: 64 } as const;
const COL = { firstName: 'first_name', lastName: 'last_name', name: 'name', title: 'title', phone: 'phone' } as const;
const TEXT_FIELDS = ['firstName', 'lastName', 'name', 'title', 'phone'] as const;

export interface BulkOptions { match?: 'externalId' | 'email'; dryRun?: boolean }
export type RecordListQuery = ListQuery & { filter?: Omit<RecordFilter, 'type'> };

type Match = 'externalId' | 'email' | 'none' | { id: number };

// prepareRecord runs once per imported row: its helpers are module functions, not closures made per call.
/** A text field: trimmed, '' → null; undefined when absent or wrong (the problem is pushed to `errors`). */
function text(v: unknown, field: string, max: number, errors: FieldError[]): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'string' && typeof v !== 'number') { errors.push({ field, message: 'must be a string' }); return undefined; }
  const s = String(v).trim();
  if (s.length > max) { errors.push({ field, message: `is too long (at most ${max} characters)` }); return undefined; }
  return s === '' ? null : s;
}
/** Adds an address's normal form to `list` (once); blank is nothing, a non-address a problem. */
function addAddress(raw: unknown, field: string, list: string[], errors: FieldError[]): void {
  if (raw === null || raw === undefined || (typeof raw === 'string' && raw.trim() === '')) return;
  const n = typeof raw === 'string' ? normalizeEmail(raw) : null;
  if (!n) errors.push({ field, message: `${JSON.stringify(raw)} is not a valid address` });
  else if (!list.includes(n)) list.push(n);
}

/** One input row → a validated upsert row, or its field errors. Pure. */
export function prepareRecord(type: RecordType, input: RecordInput, index: number, match: Match): { row?: UpsertRow; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const err = (field: string, message: string) => errors.push({ field, message });
  if (!input || typeof input !== 'object' || Array.isArray(input)) return { errors: [{ field: 'item', message: 'must be an object' }] };
  const fields: RecordFields = {};
  const externalId = text(input.externalId, 'externalId', 191, errors);
  for (const key of TEXT_FIELDS) {
    const v = text(input[key], key, LIMITS[key], errors);
    if (v === undefined) continue;
    // A person without a display name is named by first and last name (deriveName below).
    if (key === 'name') { if (v !== null || type === 'account') fields.name = v ?? ''; } else fields[COL[key]] = v;
  }
  if (input.teamId !== undefined) {
    if (input.teamId === null) fields.team_id = null;
    else if (!Number.isSafeInteger(input.teamId) || input.teamId < 1) err('teamId', 'must be a team id');
    else fields.team_id = input.teamId;
  }
  if (input.formerEmployee !== undefined && input.formerEmployee !== null) {
    if (typeof input.formerEmployee !== 'boolean') err('formerEmployee', 'must be true or false');
    else if (type === 'account' && input.formerEmployee) err('formerEmployee', 'applies to contacts and leads only');
    else fields.former_employee = input.formerEmployee;
  }

  // A contact's account: by id, by the account's externalId, or by its name.
  let account: UpsertRow['account'];
  const accExt = text(input.accountExternalId, 'accountExternalId', 191, errors);
  const accName = text(input.accountName, 'accountName', 400, errors);
  const hasAccountRef = (input.accountId !== undefined && input.accountId !== null) || accExt || accName;
  if (hasAccountRef && type !== 'contact') err(input.accountId != null ? 'accountId' : accExt ? 'accountExternalId' : 'accountName', 'only contacts belong to an account');
  else if (input.accountId !== undefined) {
    if (input.accountId === null) fields.account_id = null;
    else if (!Number.isSafeInteger(input.accountId) || input.accountId < 1) err('accountId', 'must be an account id');
    else fields.account_id = input.accountId;
  }
  if (type === 'contact' && (input.accountId === undefined || input.accountId === null) && (accExt || accName)) account = { externalId: accExt ?? undefined, name: accName ?? undefined };

  // Addresses: `email` (the primary) and/or `emails` (the first is primary unless `primaryEmail` says).
  let emails: UpsertRow['emails'];
  const list: string[] = [];
  addAddress(input.email, 'email', list, errors);
  if (input.emails !== undefined && input.emails !== null) {
    if (!Array.isArray(input.emails)) err('emails', 'must be a list of addresses');
    else for (let i = 0; i < input.emails.length; i++) addAddress(input.emails[i], `emails[${i}]`, list, errors);
  }
  let primary = list[0];
  if (input.primaryEmail) {
    const p = normalizeEmail(input.primaryEmail);
    if (!p) err('primaryEmail', `${JSON.stringify(input.primaryEmail)} is not a valid address`);
    else { if (!list.includes(p)) list.unshift(p); primary = p; }
  }
  if (list.length > MAX_EMAILS) err('emails', `at most ${MAX_EMAILS} addresses`);
  const replace = Array.isArray(input.emails);
  if (list.length || replace) emails = { list, primary: primary ?? '', replace };

  let attributes: Record<string, AttrValue> | undefined;
  if (input.attributes !== undefined && input.attributes !== null) {
    if (typeof input.attributes !== 'object' || Array.isArray(input.attributes)) err('attributes', 'must be an object');
    else {
      attributes = {};
      const entries = Object.entries(input.attributes);
      if (entries.length > MAX_ATTRS) err('attributes', `at most ${MAX_ATTRS} attributes`);
      for (const [key, v] of entries) {
        if (!ATTR_KEY.test(key)) { err('attributes', `${JSON.stringify(key)} is not an attribute name (letters, digits, _ . -; at most 64)`); continue; }
        if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') { err('attributes', `${key} must be a string, number, boolean or null`); continue; }
        if (typeof v === 'string' && v.length > 2000) { err('attributes', `${key} is too long (at most 2000 characters)`); continue; }
        if (typeof v === 'number' && !Number.isFinite(v)) { err('attributes', `${key} must be a finite number`); continue; }
        attributes[key] = v;
      }
    }
  }

  let m: UpsertRow['match'];
  if (typeof match === 'object') m = { by: 'id', id: match.id };
  else if (match === 'externalId') {
    if (!externalId) err('externalId', 'is required (rows are matched by externalId)');
    m = { by: 'externalId' };
  } else if (match === 'email') {
    if (!primary) err('email', 'is required (rows are matched by address)');
    m = { by: 'email', address: primary ?? '' };
  } else m = { by: 'none' };
  if (errors.length) return { errors };
  return {
    row: { index, externalId: externalId ?? null, match: m, fields, attributes, emails, account, deriveName: type !== 'account', requireName: type === 'account' },
    errors,
  };
}

const FIELD_OF = /^(externalId|teamId|accountId|name)\b/;

/** `onRemoved`: what else must forget a deleted record (its target-list memberships; services.ts wires it). */
export function recordsService(s: { ctx: Ctx; onRemoved?: (type: RecordType, id: number) => Promise<unknown> }) {
  const write = recordsWriteRepo(s.ctx.db);
  const read = recordsReadRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const checkType = (type: string): RecordType => {
    if (!(RECORD_TYPES as readonly string[]).includes(type)) throw invalid([{ field: 'type', message: 'must be account, contact or lead' }]);
    return type as RecordType;
  };

  /** One record through the bulk path; its problems as field errors (forms, API 400). */
  async function one(type: RecordType, input: RecordInput, match: Match): Promise<RecordView> {
    const { row, errors } = prepareRecord(type, input, 0, match);
    if (!row) throw invalid(errors);
    const r = await write.upsert(type, [row], { now: now() });
    if (r.errors.length) {
      const e = r.errors[0]!;
      if (/ not found$/.test(e.message)) throw notFound(type[0]!.toUpperCase() + type.slice(1));
      const f = FIELD_OF.exec(e.message)?.[1] ?? 'item';
      throw invalid([{ field: f, message: e.message.replace(FIELD_OF, '').trim() || e.message }]);
    }
    return (await read.get(type, r.ids.get(0)!))!;
  }

  return {
    /**
     * Validates and upserts up to 10,000 records of one type in one transaction. Rows match by
     * `externalId` (default) or by primary address (`match: 'email'`); a bad row is reported by
     * its index and the good rows are kept. `dryRun`: the same checks and counts, nothing kept.
     */
    async bulkUpsert(type: RecordType, items: RecordInput[], o: BulkOptions = {}): Promise<BulkResult> {
      checkType(type);
      if (!Array.isArray(items)) throw invalid([{ field: 'items', message: 'must be a list' }]);
      if (items.length > MAX_BULK) throw invalid([{ field: 'items', message: `at most ${MAX_BULK} items per call` }]);
      const match = o.match ?? 'externalId';
      const rows: UpsertRow[] = [];
      const errors: BulkResult['errors'] = [];
      items.forEach((it, i) => {
        const p = prepareRecord(type, it, i, match);
        if (p.row) rows.push(p.row);
        else errors.push({ index: i, message: p.errors.map((e) => `${e.field} ${e.message}`).join('; ') });
      });
      const r = rows.length ? await write.upsert(type, rows, { now: now(), dryRun: o.dryRun }) : { created: 0, updated: 0, errors: [] };
      return { created: r.created, updated: r.updated, errors: [...errors, ...r.errors].sort((a, b) => a.index - b.index) };
    },
    async get(type: RecordType, id: number): Promise<RecordView> {
      const r = await read.get(checkType(type), id);
      if (!r) throw notFound(type[0]!.toUpperCase() + type.slice(1));
      return r;
    },
    async byExternalId(type: RecordType, externalId: string): Promise<RecordView | undefined> { return read.byExternalId(checkType(type), externalId); },
    /** A page of records; `filter` is a RecordFilter (search, fields, attributes, team, account, flags, domain, address). */
    async list(type: RecordType, q: RecordListQuery = {}): Promise<Page<RecordView>> {
      checkType(type);
      const filter: RecordFilter & { type: RecordType } = { ...(q.filter ?? {}), type };
      if (q.q && !filter.search) filter.search = q.q;
      return read.list(filter, q);
    },
    /** A new record (an externalId already taken is a field error). */
    async create(type: RecordType, input: RecordInput): Promise<RecordView> { return one(checkType(type), input, 'none'); },
    /** Changes the given fields; `emails` replaces the addresses, `email` alone makes that one primary. */
    async update(type: RecordType, id: number, input: RecordInput): Promise<RecordView> { return one(checkType(type), input, { id }); },
    async remove(type: RecordType, id: number): Promise<void> {
      await this.get(type, id);
      await write.remove(type, [id]);
      await s.onRemoved?.(type, id);
    },
    /** Opts an address out entirely, for every record that holds it (and back in). */
    async setOptedOut(address: string, optedOut: boolean): Promise<string> {
      const n = normalizeEmail(address);
      if (!n) throw invalid([{ field: 'address', message: 'is not a valid address' }]);
      await write.setOptedOut(n, optedOut, now());
      return n;
    },
    async isOptedOut(address: string): Promise<boolean> {
      const n = normalizeEmail(address);
      return n ? (await read.emailOptedOut(n)) ?? false : false;
    },
    /** Marks contacts and leads as former employees (or not); returns how many changed. */
    async setFormerEmployee(ids: number[], value: boolean): Promise<number> { return write.setFormerEmployee(ids, value, now()); },
    async listsOf(type: RecordType, id: number): Promise<RecordListMembership[]> { return read.listsOf(type, id); },
    accountChoices: (search?: string) => read.accountChoices(search),
    contactsOf: (accountId: number) => read.contactsOf(accountId),
    count: (type: RecordType) => read.count(type),
  };
}
export type RecordsService = ReturnType<typeof recordsService>;
