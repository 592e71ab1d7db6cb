/*
 * The CSV form of records, shared by import and export (pure, no I/O): header names → record
 * fields (camelCase, snake_case, any case, a few aliases such as `e-mail`; any other column is
 * a custom attribute, `attribute:NAME` forces one), a row → RecordInput with the row's problem,
 * and a record → the cells of the export, whose columns map back to the same fields.
 * Every cell goes through restoreCell on the way in and neutralizeCell on the way out (lib/csv).
 */
import { neutralizeCell, restoreCell } from '../lib/csv.js';
import { normalizeEmail } from './normalize.js';
import type { RecordInput, RecordType } from './types.js';

export const CSV_FIELDS = [
  'externalId', 'name', 'firstName', 'lastName', 'title', 'phone', 'email', 'emails',
  'accountExternalId', 'accountName', 'formerEmployee',
] as const;
export type CsvField = (typeof CSV_FIELDS)[number];
export type MatchBy = 'externalId' | 'email';

/** The prefix that makes a column a custom attribute whatever its name (export uses it on a clash). */
export const ATTRIBUTE_PREFIX = 'attribute:';

/** Header key (lower case, without spaces, `_`, `-`, `.`) → field. */
const ALIASES: Record<string, CsvField> = {};
const alias = (f: CsvField, ...names: string[]) => { for (const n of [f.toLowerCase(), ...names]) ALIASES[n] = f; };
alias('externalId');
alias('firstName', 'givenname');
alias('lastName', 'surname', 'familyname');
alias('name', 'fullname', 'displayname');
alias('email', 'emailaddress', 'mail');
alias('emails', 'emailaddresses');
alias('accountExternalId');
alias('accountName', 'account', 'company');
alias('title', 'jobtitle');
alias('phone', 'phonenumber', 'telephone');
alias('formerEmployee');

const keyOf = (h: string) => h.toLowerCase().replace(/[\s_.-]+/g, '');

/** The field a header names, or null for a custom attribute. */
export function fieldOf(header: string): CsvField | null {
  const h = header.trim();
  if (h.toLowerCase().startsWith(ATTRIBUTE_PREFIX)) return null;
  return ALIASES[keyOf(h)] ?? null;
}

export type Column = { field: CsvField } | { attribute: string } | null;
export interface HeaderMap { columns: Column[]; fields: Set<CsvField> }

/** Maps a header row; a problem (duplicate or missing column) makes the whole file unusable. */
export function mapHeader(header: string[], match: MatchBy = 'externalId'): { map: HeaderMap; problems: string[] } {
  const problems: string[] = [];
  const fields = new Set<CsvField>();
  const attrs = new Set<string>();
  const columns: Column[] = header.map((raw, i) => {
    const h = restoreCell(raw).replace(/^\uFEFF/, '').trim();
    if (!h) return null; // an unnamed column is ignored
    const field = fieldOf(h);
    if (field) {
      if (fields.has(field)) problems.push(`column ${i + 1} ("${h}") repeats the ${field} column`);
      fields.add(field);
      return { field };
    }
    const name = h.toLowerCase().startsWith(ATTRIBUTE_PREFIX) ? h.slice(ATTRIBUTE_PREFIX.length).trim() : h;
    if (!name) return null;
    if (attrs.has(name)) problems.push(`column ${i + 1} ("${h}") appears twice`);
    attrs.add(name);
    return { attribute: name };
  });
  if (match === 'externalId' && !fields.has('externalId')) problems.push('there is no externalId column (needed to match rows by externalId)');
  if (match === 'email' && !fields.has('email') && !fields.has('emails')) problems.push('there is no email or emails column (needed to match rows by address)');
  return { map: { columns, fields }, problems };
}

const YES = new Set(['yes', 'y', 'true', 't', '1', 'x']);
const NO = new Set(['no', 'n', 'false', 'f', '0']);

/** `yes/no/true/false/1/0/y/n` (any case) → boolean; '' → undefined; anything else → null (a problem). */
export function parseBool(v: string): boolean | undefined | null {
  const s = v.trim().toLowerCase();
  if (!s) return undefined;
  return YES.has(s) ? true : NO.has(s) ? false : null;
}

export type RowResult = { input: RecordInput; problem?: undefined } | { input?: undefined; problem: string };

/**
 * One data row → the upsert input. An empty cell leaves that value out (an update keeps what
 * the record has); `emails` holds several addresses separated by `;`, `email` is the primary.
 */
export function rowToInput(cells: string[], map: HeaderMap, match: MatchBy = 'externalId'): RowResult {
  const { columns } = map;
  if (cells.length > columns.length && cells.slice(columns.length).some((c) => c.trim() !== '')) {
    return { problem: `the row has ${cells.length} fields, the header ${columns.length}` };
  }
  const input: RecordInput = {};
  let attributes: Record<string, string> | undefined;
  let extra: string[] | undefined;
  for (let i = 0; i < columns.length; i++) {
    const col = columns[i];
    const raw = cells[i];
    if (!col || raw === undefined) continue;
    const v = restoreCell(raw).trim();
    if (v === '') continue;
    if ('attribute' in col) { (attributes ??= {})[col.attribute] = v; continue; }
    switch (col.field) {
      case 'formerEmployee': {
        const b = parseBool(v);
        if (b === null) return { problem: `formerEmployee must be yes or no, not "${v}"` };
        if (b !== undefined) input.formerEmployee = b;
        break;
      }
      case 'email':
        if (!normalizeEmail(v)) return { problem: `"${v}" is not an email address` };
        input.email = v;
        break;
      case 'emails':
        extra = v.split(';').map((x) => x.trim()).filter(Boolean);
        for (const a of extra) if (!normalizeEmail(a)) return { problem: `"${a}" is not an email address` };
        break;
      default:
        input[col.field] = v;
    }
  }
  if (extra?.length) {
    // Both columns: `email` is the primary, `emails` the others (an export writes them so).
    const primary = input.email ?? extra[0]!;
    const seen = new Set<string>();
    input.emails = [primary, ...extra].filter((a) => { const k = normalizeEmail(a)!; return seen.has(k) ? false : (seen.add(k), true); });
    input.primaryEmail = primary;
    delete input.email;
  }
  if (attributes) input.attributes = attributes;
  if (match === 'externalId' && !input.externalId) return { problem: 'externalId is empty' };
  if (match === 'email' && !input.email && !input.emails?.length) return { problem: 'there is no email address to match on' };
  return { input };
}

/** A record as the export reads it. */
export interface ExportRecord {
  externalId: string | null; name: string | null; firstName: string | null; lastName: string | null;
  title: string | null; phone: string | null; emails: string[]; primaryEmail: string | null;
  accountExternalId: string | null; accountName: string | null; formerEmployee: boolean;
  attributes: Record<string, string | number | boolean | null> | null;
}

/** The export's columns for a type: the fields (no account columns on accounts), then the attribute names given. */
export function exportHeader(type: RecordType, attributeNames: string[]): { header: string[]; fields: CsvField[]; attributes: string[] } {
  const fields = CSV_FIELDS.filter((f) => type !== 'account' || (f !== 'accountExternalId' && f !== 'accountName'));
  const attributes = [...attributeNames].sort();
  // An attribute whose name would read back as a field (or as the prefix) is written with the prefix.
  const attrHeader = (a: string) => (fieldOf(a) || a.toLowerCase().startsWith(ATTRIBUTE_PREFIX) || !a.trim() ? `${ATTRIBUTE_PREFIX}${a}` : a);
  return { header: [...fields, ...attributes.map(attrHeader)].map(neutralizeCell), fields, attributes };
}

/** One exported row, cells neutralised against formula injection. */
export function exportRow(r: ExportRecord, cols: { fields: CsvField[]; attributes: string[] }): string[] {
  const out: string[] = [];
  const primary = r.primaryEmail ?? r.emails[0] ?? null;
  for (const f of cols.fields) {
    let v: string | null;
    switch (f) {
      case 'email': v = primary; break;
      case 'emails': v = r.emails.filter((a) => a !== primary).join(';'); break;
      case 'formerEmployee': v = r.formerEmployee ? 'yes' : 'no'; break;
      default: v = r[f];
    }
    out.push(neutralizeCell(v ?? ''));
  }
  for (const a of cols.attributes) {
    const v = r.attributes?.[a];
    out.push(neutralizeCell(v === null || v === undefined ? '' : String(v)));
  }
  return out;
}
