/*
 * The placeholder renderer for templates: `{Person.firstName}`, `{optOutUrl}` — a lookup in
 * plain data, never code. HTML bodies get every value HTML-escaped. Pure, no I/O.
 */

/** Renders `{Person.firstName}`-style placeholders; `html` says whether values get HTML-escaped. */
export type PlaceholderRender = (template: string, data: Record<string, unknown>, html: boolean) => string;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function lookup(data: Record<string, unknown>, path: string): unknown {
  let cur: unknown = data;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, part)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Unknown placeholders are left as written, so a typo shows in the preview instead of vanishing. */
export const renderPlaceholders: PlaceholderRender = (template, data, html) =>
  template.replace(/\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\}/g, (whole, path: string) => {
    const v = lookup(data, path);
    if (v === undefined || v === null || typeof v === 'object') return whole;
    return html ? esc(String(v)) : String(v);
  });
