/*
 * The text part derived from a campaign's HTML when the template has none: a small tag
 * stripper, not a renderer. Drops <head>, <style>, <script> and comments, turns <br> and
 * block ends into line breaks, links into "text (url)", decodes the common entities.
 * It runs once per mass email on the template (placeholders pass through untouched). Pure.
 */

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®', trade: '™', euro: '€',
  pound: '£', mdash: '—', ndash: '–', hellip: '…', laquo: '«', raquo: '»', lsquo: '‘', rsquo: '’', ldquo: '“',
  rdquo: '”', bull: '•', shy: '',
};
// The HTML 4 Latin-1 names, U+00A1 (iexcl) to U+00FF (yuml), in code point order: accents are the common case in CRM mail.
'iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml'
  .split(' ').forEach((name, i) => { NAMED[name] ??= String.fromCharCode(0xa1 + i); });

/** `&amp;`, `&#39;`, `&#x2014;` and the named entities above, in one pass (so `&amp;lt;` gives `&lt;`); others stay. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);/g, (whole, e: string) => {
    if (e[0] !== '#') return NAMED[e] ?? whole;
    const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\uFFFD';
  });
}

const stripTags = (s: string) => s.replace(/<[^>]*>/g, '');
const BLOCK = 'div|ul|ol|li|tr|table|section|article|header|footer|address|pre|center';

/** Plain text for the text/plain part, lines separated by "\n", at most one empty line in a row. */
export function htmlToText(html: string): string {
  let s = html
    .replace(/[\u0001\u0002]|<!--[\s\S]*?-->/g, '')
    .replace(/<(head|style|script|title)\b[\s\S]*?<\/\1\s*>/gi, '')
    // Source line breaks mean nothing in HTML; the tags below decide where lines go.
    .replace(/\s+/g, ' ');
  s = s.replace(/<a\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
    (_w, d?: string, q?: string, u?: string, inner?: string) => {
      // Still entity-encoded: the last pass decodes the whole text once.
      const href = (d ?? q ?? u ?? '').trim();
      const label = stripTags(inner ?? '').trim();
      const [h, l] = [decodeEntities(href), decodeEntities(label)];
      if (!h || h.startsWith('#') || /^javascript:/i.test(h)) return label;
      if (!l || l === h || `mailto:${l}` === h) return href;
      return `${label} (${href})`;
    });
  // Block edges are soft breaks (\u0001 a line, \u0002 a paragraph) that merge with their
  // neighbours, so `</li><li>` or `</div><div>` give one line break; <br> is a hard one.
  s = s
    .replace(/<br\b[^>]*>/gi, '\n')
    .replace(/<hr\b[^>]*>/gi, '\u0001')
    .replace(/<li\b[^>]*>/gi, '\u0001- ')
    .replace(/<\/?(p|h[1-6]|blockquote)\b[^>]*>/gi, '\u0002')
    .replace(new RegExp(`</?(?:${BLOCK})\\b[^>]*>`, 'gi'), '\u0001')
    .replace(/<\/t[dh]\s*>/gi, ' ')
    .replace(/[ \n\u0001\u0002]*[\u0001\u0002][ \n\u0001\u0002]*/g, (run) => {
      const hard = run.split('\n').length - 1;
      return '\n'.repeat(Math.max(hard, run.includes('\u0002') ? 2 : 1));
    });
  s = decodeEntities(stripTags(s));
  return s.split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim()).join('\n').replace(/\n{3,}/g, '\n\n').trim();
}
