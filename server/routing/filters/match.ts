/*
 * The filters' pure part: what a filter is (conditions, all/any, actions), validation of a
 * filter as typed (regexes refused by safe-regex2 or the bounded engine, capped lengths), the
 * facts of a message that conditions read, matching, and folding matched filters' actions
 * into the route hooks' RoutingState. No I/O.
 */
import safeRegex from 'safe-regex2';
import type { RoutingState } from '../../inbound/pipeline/steps.js';
import type { FieldError } from '../../errors.js';
import { compilePattern, PatternError, PATTERN_MAX, type Pattern } from './regex.js';

export const FIELDS = ['from', 'to', 'subject', 'body', 'header', 'spf', 'dkim', 'dmarc', 'kind', 'size'] as const;
export type Field = typeof FIELDS[number];
export const TEXT_OPS = ['contains', 'equals', 'matches'] as const;
export const SIZE_OPS = ['greater', 'less'] as const;
export type Op = typeof TEXT_OPS[number] | typeof SIZE_OPS[number];
export const KINDS = ['normal', 'bounce', 'complaint', 'auto-reply', 'delivery-notice'] as const;

export interface Condition { field: Field; op: Op; value: string; header?: string }
export interface FilterActions {
  skip?: boolean; stop?: boolean; folder?: string | null; markRead?: boolean; noNotify?: boolean;
  assignTeamId?: number | null; assignUserId?: number | null; tags?: string[];
}
export interface FilterDef { id?: number; match: 'all' | 'any'; conditions: Condition[]; actions: FilterActions }

/** Caps: the text a condition reads (body 256 KB, a regex 64 KB of it), what a filter may hold. */
export const LIMITS = { body: 256 * 1024, regexText: 64 * 1024, value: 1000, conditions: 20, tags: 10, tag: 50, folder: 200, header: 100 };

/** What conditions read of a message. Lowercase compare; `to` holds the To and Cc fields. */
export interface MessageFacts {
  from: string; to: string; subject: string; body: string; headers: Array<[string, string]>;
  spf: string; dkim: string; dmarc: string; kind: string; size: number;
}

const isText = (op: string): op is typeof TEXT_OPS[number] => (TEXT_OPS as readonly string[]).includes(op);

/** Checks a filter as typed; FieldErrors name the condition (`conditions.2.value`) or action. */
export function validateFilter(input: { match?: string; conditions?: unknown; actions?: unknown }): { def: FilterDef; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const match = input.match === 'any' ? 'any' : 'all';
  if (input.match !== undefined && input.match !== 'all' && input.match !== 'any') errors.push({ field: 'match', message: 'must be all or any', key: 'filters.err.match' });
  const raw = Array.isArray(input.conditions) ? input.conditions as Array<Record<string, unknown>> : [];
  if (!raw.length || raw.length > LIMITS.conditions) errors.push({ field: 'conditions', message: `give 1–${LIMITS.conditions} conditions`, key: 'filters.err.conditions' });
  const conditions: Condition[] = raw.slice(0, LIMITS.conditions).map((c, i) => {
    const f = `conditions.${i}`;
    const field = String(c.field ?? '') as Field;
    const op = String(c.op ?? '') as Op;
    const value = String(c.value ?? '');
    const header = c.header === undefined || c.header === null ? undefined : String(c.header).trim().toLowerCase();
    if (!(FIELDS as readonly string[]).includes(field)) errors.push({ field: `${f}.field`, message: `unknown field (known: ${FIELDS.join(', ')})`, key: 'filters.err.field' });
    if (field === 'size') {
      if (!(SIZE_OPS as readonly string[]).includes(op)) errors.push({ field: `${f}.op`, message: 'size takes greater or less', key: 'filters.err.sizeOp' });
      if (!/^\d{1,12}$/.test(value.trim())) errors.push({ field: `${f}.value`, message: 'size is a number of bytes', key: 'filters.err.size' });
    } else if (!isText(op)) errors.push({ field: `${f}.op`, message: `operator must be ${TEXT_OPS.join(', ')}`, key: 'filters.err.op' });
    if (field === 'header' && (!header || header.length > LIMITS.header || !/^[\x21-\x39\x3b-\x7e]+$/.test(header))) errors.push({ field: `${f}.header`, message: 'name the header (e.g. List-Id)', key: 'filters.err.header' });
    if (value.length > LIMITS.value) errors.push({ field: `${f}.value`, message: `at most ${LIMITS.value} characters`, key: 'filters.err.valueLength' });
    else if (op !== 'matches' && field !== 'size' && value === '') errors.push({ field: `${f}.value`, message: 'give a value', key: 'filters.err.valueEmpty' });
    if (op === 'matches') {
      const problem = patternProblem(value);
      if (problem) errors.push({ field: `${f}.value`, message: problem, key: undefined });
    }
    return { field, op, value: field === 'size' ? value.trim() : value, ...(field === 'header' ? { header } : {}) };
  });
  const a = (input.actions ?? {}) as Record<string, unknown>;
  const actions: FilterActions = {};
  for (const k of ['skip', 'stop', 'markRead', 'noNotify'] as const) if (a[k] === true) actions[k] = true;
  if (typeof a.folder === 'string' && a.folder.trim()) {
    if (a.folder.trim().length > LIMITS.folder) errors.push({ field: 'actions.folder', message: `at most ${LIMITS.folder} characters`, key: 'filters.err.folder' });
    else actions.folder = a.folder.trim();
  }
  for (const k of ['assignTeamId', 'assignUserId'] as const) {
    const v = a[k];
    if (v === undefined || v === null || v === '') continue;
    if (!Number.isInteger(Number(v)) || Number(v) < 1) errors.push({ field: `actions.${k}`, message: 'must be an id', key: 'filters.err.id' });
    else actions[k] = Number(v);
  }
  if (a.tags !== undefined) {
    const tags = [...new Set((Array.isArray(a.tags) ? a.tags : [a.tags]).map((x) => String(x).trim()).filter(Boolean))];
    if (tags.length > LIMITS.tags || tags.some((x) => x.length > LIMITS.tag)) errors.push({ field: 'actions.tags', message: `at most ${LIMITS.tags} tags of ${LIMITS.tag} characters`, key: 'filters.err.tags' });
    else if (tags.length) actions.tags = tags;
  }
  if (!Object.keys(actions).length) errors.push({ field: 'actions', message: 'choose at least one action', key: 'filters.err.actions' });
  return { def: { match, conditions, actions }, errors };
}

/** Why a pattern is refused at save time, or null: too long, flagged by safe-regex2, or beyond the bounded engine. */
export function patternProblem(p: string): string | null {
  if (p.length > PATTERN_MAX) return `the pattern is longer than ${PATTERN_MAX} characters`;
  try { compilePattern(p); } catch (e) {
    if (e instanceof PatternError) return `the pattern is not supported: ${e.message}`;
    throw e;
  }
  // Linear in our engine whatever it is, but a pattern safe-regex2 flags (nested quantifiers) is refused all the same: it is almost always a mistake.
  if (!safeRegex(p)) return 'the pattern is unsafe (nested repetition such as (a+)+ can take exponential time)';
  return null;
}

/** A filter ready to run: its patterns compiled once. */
export interface Compiled { def: FilterDef; patterns: Map<number, Pattern> }
export function compileFilter(def: FilterDef): Compiled {
  const patterns = new Map<number, Pattern>();
  def.conditions.forEach((c, i) => { if (c.op === 'matches') patterns.set(i, compilePattern(c.value)); });
  return { def, patterns };
}

function subject(f: MessageFacts, c: Condition): string | number {
  switch (c.field) {
    case 'from': return f.from;
    case 'to': return f.to;
    case 'subject': return f.subject;
    case 'body': return f.body.slice(0, LIMITS.body);
    case 'header': return f.headers.filter(([k]) => k.toLowerCase() === c.header).map(([, v]) => v).join('\n');
    case 'spf': return f.spf; case 'dkim': return f.dkim; case 'dmarc': return f.dmarc; case 'kind': return f.kind;
    case 'size': return f.size;
  }
}

/** Whether one condition holds. Text compares are case-insensitive; a regex reads at most LIMITS.regexText. */
export function conditionHolds(c: Condition, f: MessageFacts, pattern?: Pattern): boolean {
  const v = subject(f, c);
  if (typeof v === 'number') return c.op === 'greater' ? v > Number(c.value) : v < Number(c.value);
  switch (c.op) {
    case 'contains': return v.toLowerCase().includes(c.value.toLowerCase());
    case 'equals': return v.trim().toLowerCase() === c.value.trim().toLowerCase();
    case 'matches': return (pattern ?? compilePattern(c.value)).test(v.slice(0, LIMITS.regexText));
    default: return false;
  }
}

export interface MatchResult { matched: boolean; conditions: boolean[] }
export function matchFilter(cf: Compiled, f: MessageFacts): MatchResult {
  const { def } = cf;
  const conditions: boolean[] = [];
  for (let i = 0; i < def.conditions.length; i++) {
    const ok = conditionHolds(def.conditions[i]!, f, cf.patterns.get(i));
    conditions.push(ok);
    // Short-circuit like the words say; the dry run evaluates every condition instead (see explain).
    if (def.match === 'all' && !ok) return { matched: false, conditions };
    if (def.match === 'any' && ok) return { matched: true, conditions };
  }
  return { matched: def.match === 'all', conditions };
}
/** Every condition evaluated (the dry run shows each one). */
export function explainFilter(cf: Compiled, f: MessageFacts): MatchResult {
  const conditions = cf.def.conditions.map((c, i) => conditionHolds(c, f, cf.patterns.get(i)));
  return { matched: cf.def.match === 'all' ? conditions.every(Boolean) : conditions.some(Boolean), conditions };
}

/** Adds one matched filter's actions to the routing state: flags stick, a later folder/assignee replaces an earlier one, tags add up. */
export function applyActions(r: RoutingState, id: number, a: FilterActions): RoutingState {
  r.matchedFilters = [...(r.matchedFilters ?? []), id];
  if (a.skip) r.skip = true;
  if (a.stop) r.stop = true;
  if (a.markRead) r.markRead = true;
  if (a.noNotify) r.noNotify = true;
  if (a.folder) r.folder = a.folder;
  if (a.assignTeamId) r.assignTeamId = a.assignTeamId;
  if (a.assignUserId) r.assignUserId = a.assignUserId;
  if (a.tags?.length) r.tags = [...new Set([...(r.tags ?? []), ...a.tags])];
  return r;
}

/** Runs filters in order (already sorted: global, mailbox, personal; by position) until one says stop. */
export function runFilters(filters: Array<{ id: number; compiled: Compiled }>, f: MessageFacts, r: RoutingState): RoutingState {
  for (const x of filters) {
    if (r.stop) break;
    if (matchFilter(x.compiled, f).matched) applyActions(r, x.id, x.compiled.def.actions);
  }
  return r;
}
