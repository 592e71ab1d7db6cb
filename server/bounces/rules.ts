/*
 * Bounce rules as data: loads config/bounce-rules.json (plus an admin's extra rules),
 * validates them with clear errors, and compiles every regular expression once. The only
 * I/O in the classifier is here (reading the rules files).
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import { compilePhrases, type PhraseTable } from './phrases.js';
import { compileRhosts, type CompiledRhost } from './rhost.js';
import { compileExtras, type CompiledExtras, type FormatExtras } from './formats.js';
import { REASONS } from './vocabulary.js';

export { REASONS };

export interface VendorRule extends FormatExtras {
  name: string;
  match: { from?: string; subject?: string; body?: string; headers?: Record<string, string>; all?: boolean };
  begin?: string[]; end?: string[]; recipient?: string;
  reasons?: Record<string, string[]>; defaultReason?: string;
}
export interface RulesFile {
  statusReasons?: Record<string, string>; pseudoCodes?: Record<string, number>;
  order?: { first?: string[]; second?: string[]; loose?: string[] }; yieldsTo?: Record<string, string[]>;
  reasons?: Record<string, string[]>; vendors?: VendorRule[]; rhosts?: unknown[];
  /** Per-reason message tables (config/bounce-reasons.json shape). */
  phrases?: Record<string, unknown>;
  /** What a refusal at an SMTP command means when nothing else in it decides. */
  commandReplies?: Array<{ command: string; reply: string; reason: string; seen?: string }>;
}
export interface CompiledVendor {
  name: string; from: RegExp | null; subject: RegExp | null; body: RegExp | null; headers: Array<[string, RegExp]>;
  /** Every matcher given must hold (a format told apart from a sibling by several marks at once). */
  all: boolean;
  begin: RegExp | null; end: RegExp | null; recipient: RegExp | null; reasons: Array<[string, RegExp]>; defaultReason: string | null;
  /** Shared diagnostic, remote MTA and DSN-field verdict (formats.ts). */
  extras: CompiledExtras | null;
}
export interface CompiledRules {
  status: Map<string, string>; pseudo: Map<string, number>; first: string[]; second: string[]; loose: string[];
  yieldsTo: Map<string, Set<string>>;
  /** One combined expression per reason: the broad, last-resort wording (bounce-rules.json `reasons`). */
  text: Map<string, RegExp>;
  /** The per-reason message tables, tried in Sisimai's order (bounce-reasons.json; site phrases merged in). */
  phrases: Map<string, PhraseTable>;
  commandReplies: Array<{ command: RegExp; reply: RegExp; reason: string }>;
  /** Providers' own error codes (bounce-rhosts.json). */
  rhosts: CompiledRhost[];
  /** Site rules from extra files: tried before everything else. */
  site: Array<[string, RegExp]>;
  vendors: CompiledVendor[];
}

export class RuleError extends Error {
  readonly code = 'bounce_rules_invalid';
  constructor(message: string) { super(message); this.name = 'RuleError'; }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function re(src: unknown, where: string, flags = 'i'): RegExp {
  if (typeof src !== 'string') throw new RuleError(`${where} must be a string (a regular expression)`);
  try { return new RegExp(src, flags); } catch (e) { throw new RuleError(`${where} is not a valid regular expression: ${(e as Error).message}`); }
}
function reason(name: unknown, where: string): string {
  if (typeof name !== 'string' || !REASONS.has(name)) throw new RuleError(`${where}: unknown reason ${JSON.stringify(name)} (one of ${[...REASONS].join(', ')})`);
  return name;
}
function patterns(list: unknown, where: string): string[] {
  if (!Array.isArray(list)) throw new RuleError(`${where} must be an array of regular expressions`);
  list.forEach((p, i) => re(p, `${where}[${i}]`)); // validates each one alone, so the error names it
  return list as string[];
}
/** Several patterns as one alternation: one test per reason instead of one per pattern. */
const combine = (list: string[]) => new RegExp(list.map((p) => `(?:${p})`).join('|'), 'i');
/**
 * For patterns only ever used with test(): a leading `.+` or `.*` decides nothing (`.+ user
 * unknown` matches exactly where `. user unknown` does) but makes every failed match scan
 * to the end of the text from each position, quadratic on a long report.
 */
const combineTests = (list: string[]) => combine(list.map((p) => p.replace(/^\.\+/, '.').replace(/^\.\*/, '')));

function compileVendor(v: unknown, where: string): CompiledVendor {
  if (!isObj(v) || typeof v.name !== 'string' || !isObj(v.match)) throw new RuleError(`${where} needs a "name" and a "match" object`);
  const m = v.match as VendorRule['match'];
  const headers = Object.entries(m.headers ?? {}).map(([k, p]) => [k.toLowerCase(), re(p, `${where}.match.headers.${k}`)] as [string, RegExp]);
  if (!m.from && !m.subject && !m.body && !headers.length) throw new RuleError(`${where}.match needs from, subject, body or headers`);
  const list = (x: unknown, w: string) => (x === undefined ? null : combine(patterns(x, w)));
  const r = v as unknown as VendorRule;
  let extras: CompiledExtras | null = null;
  if (r.diagnostic !== undefined || r.rhost !== undefined || r.dsnField !== undefined || r.subjectReasons !== undefined) {
    try { extras = compileExtras(r, where); } catch (e) { throw new RuleError((e as Error).message); }
  }
  return {
    extras,
    name: v.name,
    from: m.from ? re(m.from, `${where}.match.from`) : null,
    subject: m.subject ? re(m.subject, `${where}.match.subject`) : null,
    body: m.body ? re(m.body, `${where}.match.body`, 'im') : null,
    headers,
    all: m.all === true,
    begin: list(v.begin, `${where}.begin`) && new RegExp(combine(v.begin as string[]).source, 'im'),
    end: list(v.end, `${where}.end`) && new RegExp(combine(v.end as string[]).source, 'im'),
    recipient: v.recipient === undefined ? null : re(v.recipient, `${where}.recipient`, 'i'),
    reasons: Object.entries(isObj(v.reasons) ? v.reasons : {}).map(([r, p]) => [reason(r, `${where}.reasons`), combineTests(patterns(p, `${where}.reasons.${r}`))] as [string, RegExp]),
    defaultReason: v.defaultReason === undefined ? null : reason(v.defaultReason, `${where}.defaultReason`),
  };
}

/** Compiles the base rules and any extra (site) rules; extras take precedence everywhere. */
export function compileRules(base: unknown, ...extras: unknown[]): CompiledRules {
  const out: CompiledRules = {
    status: new Map(), pseudo: new Map(), first: [], second: [], loose: [], yieldsTo: new Map(), text: new Map(), phrases: new Map(),
    commandReplies: [], rhosts: [], site: [], vendors: [],
  };
  for (const [n, f] of [...extras, base].entries()) {
    const name = n < extras.length ? `extra rules #${n + 1}` : 'base rules';
    if (!isObj(f)) throw new RuleError(`${name} must be a JSON object`);
    const isBase = n === extras.length;
    for (const [code, r] of Object.entries(isObj(f.statusReasons) ? f.statusReasons : {})) {
      if (!/^[245]\.\d{1,3}\.\d{1,3}$/.test(code)) throw new RuleError(`${name}.statusReasons: ${JSON.stringify(code)} is not an enhanced status code`);
      if (!out.status.has(code)) out.status.set(code, reason(r, `${name}.statusReasons.${code}`));
    }
    for (const [r, c] of Object.entries(isObj(f.pseudoCodes) ? f.pseudoCodes : {})) {
      if (typeof c !== 'number' || c < 900 || c > 999) throw new RuleError(`${name}.pseudoCodes.${r} must be a number 900-999`);
      if (!out.pseudo.has(r)) out.pseudo.set(reason(r, `${name}.pseudoCodes`), c);
    }
    for (const [r, list] of Object.entries(isObj(f.yieldsTo) ? f.yieldsTo : {})) {
      if (!out.yieldsTo.has(r)) out.yieldsTo.set(reason(r, `${name}.yieldsTo`), new Set(patterns(list, `${name}.yieldsTo.${r}`).map((x) => reason(x, `${name}.yieldsTo.${r}`))));
    }
    if (isObj(f.order)) {
      const o = f.order as Record<string, unknown>;
      if (!out.first.length && Array.isArray(o.first)) out.first = o.first.map((r, i) => reason(r, `${name}.order.first[${i}]`));
      if (!out.second.length && Array.isArray(o.second)) out.second = o.second.map((r, i) => reason(r, `${name}.order.second[${i}]`));
      if (!out.loose.length && Array.isArray(o.loose)) out.loose = o.loose.map((r, i) => reason(r, `${name}.order.loose[${i}]`));
    }
    for (const [r, list] of Object.entries(isObj(f.reasons) ? f.reasons : {})) {
      const rx = (list as unknown[]).length ? combineTests(patterns(list, `${name}.reasons.${r}`)) : null;
      reason(r, `${name}.reasons`);
      if (!rx) continue;
      if (isBase) out.text.set(r, rx); else out.site.push([r, rx]);
    }
    for (const [r, groups] of Object.entries(isObj(f.phrases) ? f.phrases : {})) {
      let t: PhraseTable;
      try { t = compilePhrases(groups, `${name}.phrases.${r}`); } catch (e) { throw new RuleError((e as Error).message); }
      const have = out.phrases.get(reason(r, `${name}.phrases`));
      out.phrases.set(r, have ? { text: [...have.text, ...t.text], inOrder: [...have.inOrder, ...t.inOrder] } : t);
    }
    if (f.commandReplies !== undefined) {
      if (!Array.isArray(f.commandReplies)) throw new RuleError(`${name}.commandReplies must be an array`);
      f.commandReplies.forEach((c: { command?: unknown; reply?: unknown; reason?: unknown } | null, i: number) => out.commandReplies.push({
        command: re(`^(?:${c?.command})$`, `${name}.commandReplies[${i}].command`), reply: re(`^(?:${c?.reply})$`, `${name}.commandReplies[${i}].reply`),
        reason: reason(c?.reason, `${name}.commandReplies[${i}].reason`),
      }));
    }
    if ((f as { rhosts?: unknown }).rhosts !== undefined) {
      try { out.rhosts.push(...compileRhosts(f)); } catch (e) { throw new RuleError((e as Error).message); }
    }
    if (f.vendors !== undefined) {
      if (!Array.isArray(f.vendors)) throw new RuleError(`${name}.vendors must be an array`);
      f.vendors.forEach((v, i) => out.vendors.push(compileVendor(v, `${name}.vendors[${i}]`)));
    }
  }
  if (!out.first.length || !out.second.length) throw new RuleError('the rules need order.first and order.second');
  return out;
}

const loadJson = (file: string): unknown => {
  try { return JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new RuleError(`cannot read bounce rules ${file}: ${(e as Error).message}`); }
};
/** bounce-rules.json's vendors, then the format decoders of bounce-formats.json. */
function withFormats(rules: { vendors?: unknown[] }) {
  const formats = (loadJson(fromRoot('config', 'bounce-formats.json')) as { formats?: unknown }).formats;
  if (!Array.isArray(formats)) throw new RuleError('config/bounce-formats.json needs a "formats" array');
  return { ...rules, vendors: [...(rules.vendors ?? []), ...formats] };
}
/** The shipped rules: bounce-rules.json with the message tables of bounce-reasons.json. */
const baseFile = () => ({ ...withFormats(loadJson(fromRoot('config', 'bounce-rules.json')) as { vendors?: unknown[] }), phrases: (loadJson(fromRoot('config', 'bounce-reasons.json')) as { phrases: unknown }).phrases,
  rhosts: (loadJson(fromRoot('config', 'bounce-rhosts.json')) as { rhosts: unknown }).rhosts });

let defaults: CompiledRules | undefined;
/** The shipped rules plus POSTERN_BOUNCE_RULES (a JSON file of the same shape), compiled once. */
export function defaultRules(env: NodeJS.ProcessEnv = process.env): CompiledRules {
  if (!defaults) defaults = compileRules(baseFile(), ...(env.POSTERN_BOUNCE_RULES ? [loadJson(env.POSTERN_BOUNCE_RULES)] : []));
  return defaults;
}

/** The shipped rules extended by an admin's rules (objects of the same shape), validated. */
export function rulesWith(...extras: unknown[]): CompiledRules {
  return compileRules(baseFile(), ...extras);
}
