/*
 * Header and line-ending hygiene: user-supplied header values never carry CR, LF or NUL
 * (header injection), and bytes we emit never carry a bare CR or LF (SMTP smuggling).
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
