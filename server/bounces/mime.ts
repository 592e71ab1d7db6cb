/*
 * A small, bounded MIME reader for bounce processing: headers (unfolded, RFC 2047 decoded),
 * multipart walking, base64 / quoted-printable bodies. Limits on depth, part count and
 * bytes scanned keep hostile input cheap (mailparser costs ~0.5 ms per 5 KB message; this
 * reads only what classification needs).
 */
export interface Headers { list: Array<[string, string]>; get(name: string): string | undefined; all(name: string): string[] }
export interface Part { headers: Headers; contentType: string; params: Record<string, string>; body: string; parts: Part[] }

export const LIMITS = { depth: 20, parts: 500, bytes: 4 * 1024 * 1024 };

function decodeWords(s: string): string {
  if (!s.includes('=?')) return s;
  return s.replace(/=\?([^?]+)\?([bqBQ])\?([^?]*)\?=(\s+(?==\?))?/g, (_m, _cs: string, enc: string, text: string) => {
    try {
      const buf = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return buf.toString('utf8');
    } catch { return text; }
  });
}

export function parseHeaders(block: string): Headers {
  const list: Array<[string, string]> = [];
  for (const line of block.split('\n')) {
    if (/^[ \t]/.test(line) && list.length) { list[list.length - 1]![1] += ` ${line.trim()}`; continue; }
    const i = line.indexOf(':');
    if (i > 0 && !/\s/.test(line.slice(0, i))) list.push([line.slice(0, i).toLowerCase(), line.slice(i + 1).trim()]);
  }
  for (const h of list) h[1] = decodeWords(h[1]);
  return {
    list,
    get: (n) => list.find(([k]) => k === n)?.[1],
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
  return { type: (t ?? 'text/plain').trim().toLowerCase(), params };
}

function decodeBody(body: string, cte: string | undefined, charset: string | undefined): string {
  const enc = (cte ?? '').toLowerCase();
  let buf: Buffer | null = null;
  if (enc === 'base64') buf = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (enc === 'quoted-printable') buf = Buffer.from(body.replace(/=\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
  if (!buf) return body;
  const cs = (charset ?? 'utf-8').toLowerCase();
  try { return new TextDecoder(cs === 'us-ascii' ? 'utf-8' : cs, { fatal: false }).decode(buf); } catch { return buf.toString('utf8'); }
}

/** Splits one message (LF line endings) into its header block and body. */
function split(text: string): [string, string] {
  const i = text.indexOf('\n\n');
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 2)];
}

export function parseMessage(input: Buffer | string): Part {
  const text = (typeof input === 'string' ? input : input.subarray(0, LIMITS.bytes).toString('utf8')).replace(/\r\n?/g, '\n');
  const counter = { parts: 0 };
  return parsePart(text, 0, counter);
}

function parsePart(text: string, depth: number, counter: { parts: number }): Part {
  counter.parts++;
  const [hblock, raw] = split(text);
  const headers = parseHeaders(hblock);
  const { type, params } = parseContentType(headers.get('content-type'));
  const part: Part = { headers, contentType: type, params, body: '', parts: [] };
  if (type.startsWith('multipart/') && params.boundary && depth < LIMITS.depth) {
    const b = `--${params.boundary}`;
    const chunks = raw.split(new RegExp(`^${b.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:--)?[ \\t]*$`, 'm'));
    part.body = chunks[0] ?? '';
    for (const c of chunks.slice(1)) {
      if (counter.parts >= LIMITS.parts) break;
      const chunk = c.replace(/^\n/, '');
      if (!chunk.trim()) continue;
      part.parts.push(parsePart(chunk, depth + 1, counter));
    }
  } else if ((type === 'message/rfc822' || type === 'message/global') && depth < LIMITS.depth && counter.parts < LIMITS.parts) {
    part.body = raw;
    part.parts.push(parsePart(decodeBody(raw, headers.get('content-transfer-encoding'), undefined), depth + 1, counter));
  } else {
    part.body = decodeBody(raw, headers.get('content-transfer-encoding'), params.charset);
  }
  return part;
}

/** Every part, depth first, the message itself included. */
export function walk(p: Part, out: Part[] = []): Part[] {
  out.push(p);
  for (const c of p.parts) walk(c, out);
  return out;
}
