/*
 * Header and line-ending hygiene: user-supplied header values never carry CR, LF or NUL
 * (header injection), bytes we emit never carry a bare CR or LF (SMTP smuggling), and a
 * received message's header section ends at its first line that is not a header field.
 */
export class HeaderInjectionError extends Error {
  readonly code = 'header_injection';
  constructor(readonly header: string) { super(`${header} must not contain line breaks`); this.name = 'HeaderInjectionError'; }
}

export function assertHeaderValue(name: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new HeaderInjectionError(name);
}

export const isValidHeaderName = (name: string) => /^[\x21-\x39\x3b-\x7e]+$/.test(name);

/** Index of the first CR not followed by LF or LF not preceded by CR, or -1. */
export function findBareLineEnding(buf: Buffer): number {
  for (let i = buf.indexOf(10) === -1 && buf.indexOf(13) === -1 ? buf.length : 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === 13 && buf[i + 1] !== 10) return i;
    if (c === 10 && (i === 0 || buf[i - 1] !== 13)) return i;
  }
  return -1;
}

/** Turns every bare LF and bare CR into CRLF. */
export function normalizeLineEndings(buf: Buffer): Buffer {
  if (findBareLineEnding(buf) === -1) return buf;
  const out = Buffer.allocUnsafe(buf.length * 2);
  let o = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c === 13) { out[o++] = 13; out[o++] = 10; if (buf[i + 1] === 10) i++; }
    else if (c === 10) { out[o++] = 13; out[o++] = 10; }
    else out[o++] = c;
  }
  return out.subarray(0, o);
}

export interface HeaderSection {
  /** [lower-case name, unfolded value as it came: encoded words not decoded]. */
  fields: Array<[string, string]>;
  /** Offset where the header section stops, and whether an empty line ended it. */
  end: number; separated: boolean;
}
const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

/**
 * The RFC 5322 header section at the start of a message: field lines and their folded
 * continuations, up to the empty line. A line that is neither (a lone "." from an
 * unstuffed "..", "From " of an mbox, garbage) ends it there: what follows is body, so a
 * message cannot borrow headers from its body.
 */
export function readHeaderSection(raw: Buffer, maxFields = 2000): HeaderSection {
  const fields: Array<[string, string]> = [];
  let pos = 0;
  while (pos < raw.length) {
    let nl = raw.indexOf(10, pos);
    if (nl < 0) nl = raw.length;
    const line = raw.toString('utf8', pos, nl > pos && raw[nl - 1] === 13 ? nl - 1 : nl);
    if (line === '') return { fields, end: pos, separated: true };
    const c = line.charCodeAt(0);
    if (c === 32 || c === 9) {
      // A continuation; before any field it is not a header line at all.
      if (pos === 0) return { fields, end: pos, separated: false };
      const last = fields[fields.length - 1];
      if (last) last[1] = last[1] ? `${last[1]} ${line.trim()}` : line.trim();
    } else {
      const m = FIELD.exec(line);
      if (!m) return { fields, end: pos, separated: false };
      if (fields.length < maxFields) fields.push([m[1]!.toLowerCase(), line.slice(m[0].length).trim()]);
    }
    pos = nl + 1;
  }
  return { fields, end: raw.length, separated: false };
}

/**
 * The message with an empty line where its header section really ends, for parsers that
 * skip a line that is not a header and read on: their headers are then the message's own.
 */
export function withHeaderBoundary(raw: Buffer, h: HeaderSection = readHeaderSection(raw, 0)): Buffer {
  if (h.separated || h.end >= raw.length) return raw;
  return Buffer.concat([raw.subarray(0, h.end), Buffer.from('\r\n'), raw.subarray(h.end)]);
}
