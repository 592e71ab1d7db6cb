/*
 * Format decoders as data (config/bounce-formats.json, merged after the vendors of
 * bounce-rules.json): what a vendor rule adds for formats whose report is not one line per
 * recipient. Where the one error message all its recipients share sits (between two markers),
 * the line naming the remote MTA, a DSN field whose value is the format's own verdict, and
 * reasons a format gives only in its Subject.
 */
import { REASONS } from './vocabulary.js';

export interface FormatExtras {
  /** The shared error message: after a marker (or from the section's start) up to another. */
  diagnostic?: { after?: string[]; before?: string[] };
  /** A line naming the remote MTA: capture 1 is the host. */
  rhost?: string;
  /** A per-recipient DSN field (lower-case name) whose value names the reason, e.g. PowerMTA's bounce category. */
  dsnField?: { name: string; values: Record<string, string> };
  /** Reasons read from the Subject when the body's words name none, e.g. fml's "Loop Alert: …". */
  subjectReasons?: Record<string, string[]>;
}
export interface CompiledExtras {
  diagAfter: RegExp | null; diagBefore: RegExp | null; rhost: RegExp | null;
  dsnField: { name: string; values: Map<string, string> } | null;
  subjectReasons: Array<[string, RegExp]>;
}

/** The longest shared diagnostic kept (real ones are a few lines). */
const MAX_SHARED = 2000;

const alt = (list: unknown, where: string): RegExp | null => {
  if (list === undefined) return null;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new Error(`${where} must be an array of regular expressions`);
  try { return new RegExp(list.map((p) => `(?:${p})`).join('|'), 'im'); } catch (e) { throw new Error(`${where}: ${(e as Error).message}`, { cause: e }); }
};

/** Validates and compiles a vendor rule's format extras; throws a message naming the bad entry. */
export function compileExtras(v: FormatExtras, where: string): CompiledExtras {
  let rhost: RegExp | null = null;
  if (v.rhost !== undefined) {
    try { rhost = new RegExp(String(v.rhost), 'im'); } catch (e) { throw new Error(`${where}.rhost: ${(e as Error).message}`, { cause: e }); }
  }
  let dsnField: CompiledExtras['dsnField'] = null;
  if (v.dsnField !== undefined) {
    const f = v.dsnField;
    if (typeof f?.name !== 'string' || typeof f.values !== 'object' || f.values === null) throw new Error(`${where}.dsnField needs a name and values`);
    for (const [k, r] of Object.entries(f.values)) if (!REASONS.has(r)) throw new Error(`${where}.dsnField.values.${k}: unknown reason ${JSON.stringify(r)}`);
    dsnField = { name: f.name.toLowerCase(), values: new Map(Object.entries(f.values).map(([k, r]) => [k.toLowerCase(), r])) };
  }
  const subjectReasons: Array<[string, RegExp]> = [];
  for (const [r, list] of Object.entries(v.subjectReasons ?? {})) {
    if (!REASONS.has(r)) throw new Error(`${where}.subjectReasons: unknown reason ${JSON.stringify(r)}`);
    subjectReasons.push([r, alt(list, `${where}.subjectReasons.${r}`)!]);
  }
  return { diagAfter: alt(v.diagnostic?.after, `${where}.diagnostic.after`), diagBefore: alt(v.diagnostic?.before, `${where}.diagnostic.before`), rhost, dsnField, subjectReasons };
}

/** The error message a format prints once for all its recipients, or null when it has none. */
export function sharedDiagnostic(x: CompiledExtras | null | undefined, section: string): string | null {
  if (!x || (!x.diagAfter && !x.diagBefore)) return null;
  let start = 0;
  if (x.diagAfter) {
    const a = x.diagAfter.exec(section);
    if (!a) return null;
    start = a.index + a[0].length;
  }
  const rest = section.slice(start, start + 16 * 1024);
  const b = x.diagBefore?.exec(rest);
  const text = (b ? rest.slice(0, b.index) : rest).replace(/\s+/g, ' ').trim().slice(0, MAX_SHARED);
  return text || null;
}

/** The remote MTA a text report names, or null. */
export function reportedRhost(x: CompiledExtras | null | undefined, section: string): string | null {
  const m = x?.rhost?.exec(section);
  return m?.[1] ? m[1].replace(/[\].,;:]+$/, '') : null;
}

/** The format's own verdict from a DSN field of one recipient, or null. */
export function fieldVerdict(x: CompiledExtras | null | undefined, fields: Record<string, string>): string | null {
  if (!x?.dsnField) return null;
  const v = fields[x.dsnField.name]?.trim().toLowerCase();
  return v ? x.dsnField.values.get(v) ?? null : null;
}

/** The reason a format's Subject names, or null. */
export function subjectVerdict(x: CompiledExtras | null | undefined, subject: string | null | undefined): string | null {
  if (!x?.subjectReasons.length || !subject) return null;
  return x.subjectReasons.find(([, re]) => re.test(subject))?.[0] ?? null;
}
