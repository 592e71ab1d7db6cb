/*
 * Per-reason message tables (config/bounce-reasons.json): plain lower-case phrases and
 * phrase sequences that must appear in order, matched with indexOf on the lower-cased
 * diagnostic. Linear in the text and far cheaper than one big alternation per reason.
 */
export interface PhraseGroup { seen?: string; text?: string[]; inOrder?: string[][] }
export interface PhraseTable { text: string[]; inOrder: string[][] }

/** Merges a reason's groups into one table; throws a message naming the bad entry. */
export function compilePhrases(groups: unknown, where: string): PhraseTable {
  if (!Array.isArray(groups)) throw new Error(`${where} must be an array of {seen, text, inOrder} groups`);
  const out: PhraseTable = { text: [], inOrder: [] };
  groups.forEach((g: PhraseGroup, i) => {
    if (typeof g !== 'object' || g === null) throw new Error(`${where}[${i}] must be an object`);
    for (const [k, list] of [['text', g.text], ['inOrder', g.inOrder]] as const) {
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw new Error(`${where}[${i}].${k} must be an array`);
      for (const p of list) {
        const parts = k === 'text' ? [p] : p;
        if (!Array.isArray(parts) || !parts.length || parts.some((s) => typeof s !== 'string' || !s)) throw new Error(`${where}[${i}].${k}: ${JSON.stringify(p)} is not a phrase`);
        if (k === 'text') out.text.push((p as string).toLowerCase());
        else out.inOrder.push((p as string[]).map((s) => s.toLowerCase()));
      }
    }
  });
  return out;
}

/** Whether the lower-cased text holds one of the table's phrases (or one sequence, in order). */
export function phraseIn(table: PhraseTable | undefined, lower: string): boolean {
  if (!table) return false;
  for (const p of table.text) if (lower.includes(p)) return true;
  for (const seq of table.inOrder) {
    let at = 0;
    let ok = true;
    for (const p of seq) { const i = lower.indexOf(p, at); if (i < 0) { ok = false; break; } at = i + p.length; }
    if (ok) return true;
  }
  return false;
}
