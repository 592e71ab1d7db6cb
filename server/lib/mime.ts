/*
 * A small, bounded MIME reader (bounce classification, the inbound pipeline, the message
 * view): header blocks (unfolded, RFC 2047 decoded), nested multipart walking, base64 /
 * quoted-printable bodies, message/rfc822 recursion. Limits on depth, part count and bytes
 * scanned keep hostile input cheap (mailparser costs ~0.5 ms per 5 KB message; this reads only what classification needs).
 */
import { TextDecoder } from 'node:util';

export interface Headers { list: Array<[string, string]>; get(name: string): string | undefined; all(name: string): string[] }
export interface Part { headers: Headers; contentType: string; params: Record<string, string>; body: string; parts: Part[] }

/** depth: nesting levels followed; parts: parts parsed; bytes: input read at most. */
export const LIMITS = { depth: 20, parts: 500, bytes: 2 * 1024 * 1024 };

const decoders = new Map<string, TextDecoder | null>();
function decoderFor(charset: string | undefined): TextDecoder | null {
  const cs = (charset ?? 'utf-8').trim().toLowerCase().replace(/^"|"$/g, '');
  let d = decoders.get(cs);
  if (d === undefined) {
    try { d = new TextDecoder(cs === 'us-ascii' || cs === 'ascii' || cs === '' ? 'utf-8' : cs); } catch { d = null; }
    if (decoders.size < 64) decoders.set(cs, d);
  }
  return d;
}

/** Bytes to text in the named charset; unknown charsets fall back to UTF-8. */
export function decodeBytes(buf: Buffer, charset?: string): string {
  const d = decoderFor(charset);
  return d ? d.decode(buf) : buf.toString('utf8');
}

function qpBytes(s: string, underscoreIsSpace: boolean): Buffer {
  const t = underscoreIsSpace ? s.replace(/_/g, ' ') : s.replace(/=\r?\n/g, '');
  const out = Buffer.allocUnsafe(t.length);
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 61 /* = */ && i + 2 < t.length + 0 && /^[0-9A-Fa-f]{2}$/.test(t.slice(i + 1, i + 3))) { out[n++] = parseInt(t.slice(i + 1, i + 3), 16); i += 2; }
    else out[n++] = c > 255 ? 63 : c;
  }
  return out.subarray(0, n);
}

/** RFC 2047 encoded words (=?charset?B|Q?…?=), adjacent words joined without the space between. */
export function decodeWords(s: string): string {
  if (!s.includes('=?')) return s;
  return s.replace(/=\?([^?\s]+)\?([bqBQ])\?([^?]*)\?=(?:\s+(?==\?))?/g, (_m, cs: string, enc: string, text: string) => {
    const charset = cs.split('*')[0];
    const buf = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : qpBytes(text, true);
    return decodeBytes(buf, charset);
  });
}

/** A header block (LF line endings) to an ordered list of [lower-case name, unfolded value]. */
export function parseHeaders(block: string): Headers {
  const list: Array<[string, string]> = [];
  let start = 0;
  while (start <= block.length) {
    let end = block.indexOf('\n', start);
    if (end < 0) end = block.length;
    const line = block.slice(start, end);
    start = end + 1;
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && list.length) { const last = list[list.length - 1]!; last[1] = last[1] ? `${last[1]} ${line.trim()}` : line.trim(); continue; }
    const i = line.indexOf(':');
    if (i > 0 && i < 80 && !/[\s]/.test(line.slice(0, i))) list.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
    if (list.length > 2000) break;
  }
  for (const h of list) if (h[1].includes('=?')) h[1] = decodeWords(h[1]);
  return {
    list,
    get: (n) => { for (const [k, v] of list) if (k === n) return v; return undefined; },
    all: (n) => list.filter(([k]) => k === n).map(([, v]) => v),
  };
}

export function parseContentType(v: string | undefined): { type: string; params: Record<string, string> } {
  const [t, ...rest] = (v ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).trim().toLowerCase()] = p.slice(i + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  const type = (t ?? '').trim().toLowerCase();
  return { type: type.includes('/') ? type : 'text/plain', params };
}

/** Content-Transfer-Encoding undone and the charset applied (only when the body was encoded). */
export function decodeBody(body: string, cte: string | undefined, charset: string | undefined): string {
  const enc = (cte ?? '').trim().toLowerCase();
  let buf: Buffer | null = null;
  if (enc === 'base64') buf = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (enc === 'quoted-printable') buf = qpBytes(body, false);
  if (!buf) return body;
  return decodeBytes(buf, charset);
}

/** Splits one entity (LF line endings) into its header block and body. */
function split(text: string): [string, string] {
  if (text.startsWith('\n')) return ['', text.slice(1)];
  const i = text.indexOf('\n\n');
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 2)];
}

/** Normalises input to LF text, at most LIMITS.bytes of it. */
export function toText(input: Buffer | string): string {
  const s = typeof input === 'string' ? input.slice(0, LIMITS.bytes) : input.subarray(0, LIMITS.bytes).toString('utf8');
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

export function parseMessage(input: Buffer | string): Part {
  return parsePart(toText(input), 0, { parts: 0 });
}

/** Positions of the boundary delimiter lines of one multipart body, without a regex over the boundary. */
function splitMultipart(raw: string, boundary: string, max: number): { preamble: string; chunks: string[] } {
  const delim = `--${boundary}`;
  const chunks: string[] = [];
  let preamble: string | null = null;
  let from = 0;
  let chunkStart = -1;
  while (chunks.length < max) {
    let i = raw.indexOf(delim, from);
    // A delimiter only counts at the start of a line.
    while (i > 0 && raw.charCodeAt(i - 1) !== 10) i = raw.indexOf(delim, i + 1);
    if (i < 0) break;
    const lineEnd = raw.indexOf('\n', i);
    const rest = raw.slice(i + delim.length, lineEnd < 0 ? raw.length : lineEnd);
    const closing = rest.startsWith('--');
    if (rest.replace(/^--/, '').trim() !== '') { from = i + delim.length; continue; }
    if (preamble === null) preamble = raw.slice(0, i);
    else chunks.push(raw.slice(chunkStart, Math.max(chunkStart, i - 1)));
    if (closing || lineEnd < 0) { chunkStart = -1; break; }
    chunkStart = lineEnd + 1;
    from = chunkStart;
  }
  if (chunkStart >= 0 && chunks.length < max) chunks.push(raw.slice(chunkStart)); // unterminated last part
  return { preamble: preamble ?? raw, chunks };
}

function parsePart(text: string, depth: number, counter: { parts: number }): Part {
  counter.parts++;
  const [hblock, raw] = split(text);
  const headers = parseHeaders(hblock);
  const { type, params } = parseContentType(headers.get('content-type'));
  const part: Part = { headers, contentType: type, params, body: '', parts: [] };
  const cte = headers.get('content-transfer-encoding');
  if (type.startsWith('multipart/') && params.boundary && depth < LIMITS.depth) {
    const { preamble, chunks } = splitMultipart(raw, params.boundary, LIMITS.parts);
    part.body = preamble;
    for (const c of chunks) {
      if (counter.parts >= LIMITS.parts) break;
      if (!c.trim()) continue;
      part.parts.push(parsePart(c, depth + 1, counter));
    }
  } else if ((type === 'message/rfc822' || type === 'message/global') && depth < LIMITS.depth && counter.parts < LIMITS.parts) {
    part.body = raw;
    part.parts.push(parsePart(decodeBody(raw, cte, undefined).replace(/^\s*\n/, ''), depth + 1, counter));
  } else {
    part.body = decodeBody(raw, cte, params.charset);
  }
  return part;
}

/** Every part, depth first, the message itself included. */
export function walk(p: Part, out: Part[] = []): Part[] {
  out.push(p);
  for (const c of p.parts) walk(c, out);
  return out;
}
