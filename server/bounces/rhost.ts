/*
 * Remote hosts with their own error codes (config/bounce-rhosts.json): when the remote MTA,
 * a host named in the diagnostic or the recipient's domain is one of a provider's, its own
 * code table or wording decides the reason. Pure: the rules file is read by rules.ts.
 */
import { REASONS } from './vocabulary.js';

export interface CompiledRhost {
  name: string; hosts: RegExp; code: RegExp | null; codes: Map<string, string>;
  ranges: Array<[number, number, string]>; phrases: Array<[string, string[]]>;
}

export function compileRhosts(doc: unknown): CompiledRhost[] {
  const list = (doc as { rhosts?: unknown })?.rhosts;
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown, i: number) => {
    const r = entry as {
      name?: unknown; hosts?: unknown; code?: unknown; codes?: Record<string, unknown>; ranges?: Array<[number, number, string]>; phrases?: Record<string, unknown>;
    };
    const where = `bounce-rhosts.json rhosts[${i}]`;
    const check = (x: string) => { if (!REASONS.has(x)) throw new Error(`${where}: unknown reason ${x}`); return x; };
    return {
      name: String(r.name), hosts: new RegExp(r.hosts === undefined ? '' : String(r.hosts), 'i'), code: r.code ? new RegExp(String(r.code), 'i') : null,
      codes: new Map(Object.entries(r.codes ?? {}).map(([k, v]) => [k.toUpperCase(), check(String(v))])),
      ranges: (r.ranges ?? []).map((x: [number, number, string]) => [x[0], x[1], check(x[2])]),
      phrases: Object.entries(r.phrases ?? {}).map(([k, v]) => [check(k), (v as string[]).map((p) => p.toLowerCase())]),
    };
  });
}

/** The provider's own verdict, or null when no provider matches or its tables say nothing. */
export function rhostReason(rhosts: CompiledRhost[], where: string, text: string): string | null {
  const lower = text.toLowerCase();
  for (const r of rhosts) {
    if (!r.hosts.test(where)) continue;
    const m = r.code?.exec(text);
    if (m) {
      const key = m[1]!.toUpperCase();
      const hit = r.codes.get(key) ?? r.ranges.find(([a, b]) => Number(key) >= a && Number(key) <= b)?.[2];
      if (hit) return hit;
    }
    for (const [reason, phrases] of r.phrases) if (phrases.some((p) => lower.includes(p))) return reason;
  }
  return null;
}
