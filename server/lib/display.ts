/*
 * Text from mail as an admin sees it: names and subjects never carry control characters
 * or bidi overrides (U+202E turns "cod.exe" into something that reads "exe.doc"), and a
 * download keeps its file name in Content-Disposition (RFC 6266 filename*, ASCII fallback).
 */

// C0/C1 controls and DEL, and the bidi embeddings, overrides, isolates and marks.
const HIDDEN = /[\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LINE = /[\t\n\r\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The text with every hidden character shown as U+FFFD and line breaks as spaces. */
export function displayText(s: string | null | undefined): string {
  if (!s) return '';
  return s.replace(LONE_SURROGATE, '\ufffd').replace(LINE, ' ').replace(HIDDEN, '\ufffd');
}

/** A file name safe to offer as a download: visible characters only, no path, not empty. */
export function downloadName(name: string | null | undefined, fallback = 'attachment'): string {
  const n = displayText(name).replace(/[\ufffd/\\]/g, '_').trim().slice(0, 200);
  return n || fallback;
}

// RFC 5987 attr-char: encodeURIComponent leaves ' ( ) * and ! unescaped; ' ( ) * are not attr-chars.
const ext = (s: string) => encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** `attachment; filename="…"` plus `filename*=UTF-8''…` when the name is not plain ASCII. */
export function contentDisposition(name: string | null | undefined, fallback = 'attachment'): string {
  const n = downloadName(name, fallback);
  const ascii = n.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return ascii === n ? `attachment; filename="${n}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${ext(n)}`;
}
