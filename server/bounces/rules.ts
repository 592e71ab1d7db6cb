/*
 * Bounce rules as data: loads config/bounce-rules.json (and an admin's extra rules file),
 * validates and compiles the regular expressions once, and answers "which reason does this
 * text or status code mean" and "which pseudo status stands for this reason".
 */
import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';

export interface RulesFile {
  reasons: Array<{ reason: string; patterns: string[]; weak?: boolean }>;
  status?: Record<string, string>;
  pseudo?: Record<string, number>;
}
export interface CompiledRules {
  text: Array<{ reason: string; re: RegExp }>;
  /** Generic words ("rejected") tried only after the status code said nothing. */
  weak: Array<{ reason: string; re: RegExp }>;
  status: Map<string, string>;
  pseudo: Map<string, number>;
}

export class RuleError extends Error {
  readonly code = 'bounce_rules_invalid';
  constructor(message: string) { super(message); this.name = 'RuleError'; }
}

export function compileRules(files: RulesFile[]): CompiledRules {
  const text: CompiledRules['text'] = [];
  const weak: CompiledRules['weak'] = [];
  const status = new Map<string, string>();
  const pseudo = new Map<string, number>();
  for (const f of files) {
    if (!f || !Array.isArray(f.reasons)) throw new RuleError('a rules file needs a "reasons" array');
    for (const [i, r] of f.reasons.entries()) {
      if (typeof r.reason !== 'string' || !/^[a-z]+$/.test(r.reason)) throw new RuleError(`reasons[${i}].reason must be a lower-case word`);
      for (const [j, p] of (r.patterns ?? []).entries()) {
        try { (r.weak ? weak : text).push({ reason: r.reason, re: new RegExp(p, 'i') }); }
        catch (e) { throw new RuleError(`reasons[${i}].patterns[${j}] is not a valid regular expression: ${(e as Error).message}`); }
      }
    }
    for (const [code, reason] of Object.entries(f.status ?? {})) if (!status.has(code)) status.set(code, reason);
    for (const [reason, n] of Object.entries(f.pseudo ?? {})) if (!pseudo.has(reason)) pseudo.set(reason, n);
  }
  return { text, weak, status, pseudo };
}

let defaults: CompiledRules | undefined;
/** The shipped rules, plus POSTERN_BOUNCE_RULES (a JSON file of the same shape) tried first. */
export function defaultRules(env: NodeJS.ProcessEnv = process.env): CompiledRules {
  if (defaults) return defaults;
  const files: RulesFile[] = [];
  if (env.POSTERN_BOUNCE_RULES) files.push(JSON.parse(readFileSync(env.POSTERN_BOUNCE_RULES, 'utf8')) as RulesFile);
  files.push(JSON.parse(readFileSync(fromRoot('config', 'bounce-rules.json'), 'utf8')) as RulesFile);
  defaults = compileRules(files);
  return defaults;
}

export function reasonFromText(rules: CompiledRules, text: string, weak = false): string | null {
  if (!text) return null;
  for (const r of weak ? rules.weak : rules.text) if (r.re.test(text)) return r.reason;
  return null;
}

export function reasonFromStatus(rules: CompiledRules, status: string | null): string | null {
  if (!status) return null;
  return rules.status.get(status) ?? null;
}

export function pseudoStatus(rules: CompiledRules, reason: string, temporary: boolean): string {
  return `${temporary ? 4 : 5}.0.${rules.pseudo.get(reason) ?? 900}`;
}
