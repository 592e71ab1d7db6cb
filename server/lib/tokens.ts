/*
 * Compact HMAC-signed tokens for links and addresses people can see (tracking, opt-out):
 * base64url(payload || tag). The tag is HMAC-SHA256 truncated to 16 bytes: 128 bits is far
 * beyond online guessing, and keeps URLs short. A token verifies only in its canonical spelling.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TAG_BYTES = 16;

const tag = (key: Buffer, payload: Buffer) => createHmac('sha256', key).update(payload).digest().subarray(0, TAG_BYTES);

export function signToken(key: Buffer, payload: string | Buffer): string {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([p, tag(key, p)]).toString('base64url');
}

export function verifyToken(key: Buffer, token: string): Buffer | null {
  if (typeof token !== 'string' || token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) return null;
  const buf = Buffer.from(token, 'base64url');
  // The decoder ignores a dangling last character and the unused bits of the last one, so
  // several spellings decode to these bytes: only the one signToken produces is accepted.
  if (buf.length < TAG_BYTES || buf.toString('base64url') !== token) return null;
  const payload = buf.subarray(0, buf.length - TAG_BYTES);
  const got = buf.subarray(buf.length - TAG_BYTES);
  return timingSafeEqual(got, tag(key, payload)) ? payload : null;
}

/** Small structured payloads: non-negative integers, packed as unsigned LEB128 varints. */
export function signFields(key: Buffer, fields: number[]): string {
  const bytes: number[] = [];
  for (const f of fields) {
    if (!Number.isSafeInteger(f) || f < 0) throw new RangeError('signFields: fields must be non-negative safe integers');
    let v = f;
    do { let b = v % 128; v = Math.floor(v / 128); if (v > 0) b |= 0x80; bytes.push(b); } while (v > 0);
  }
  return signToken(key, Buffer.from(bytes));
}

export function verifyFields(key: Buffer, token: string, count: number): number[] | null {
  const p = verifyToken(key, token);
  if (!p) return null;
  const out: number[] = [];
  let i = 0;
  while (i < p.length) {
    let v = 0, mul = 1, b: number;
    do { if (i >= p.length || mul > 2 ** 49) return null; b = p[i++]!; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
    out.push(v);
  }
  return out.length === count ? out : null;
}
