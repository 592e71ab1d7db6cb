/*
 * Compact HMAC-signed tokens for links and addresses people can see (tracking, opt-out):
 * base64url(payload || tag). The tag is HMAC-SHA256 truncated to 16 bytes: 128 bits is far
 * beyond online guessing, and keeps URLs short. A token verifies only in its canonical spelling.
 * Verifying runs on every tracking hit: it decodes into one reused buffer and MACs short
 * payloads with the key's precomputed midstates (hmacSha256.ts); signing uses node:crypto.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hmacKey, hmacShort, SHORT_MAX, type HmacKey } from './hmacSha256.js';

export const TAG_BYTES = 16;
const MAX_TOKEN = 4096;

const tag = (key: Buffer, payload: Uint8Array) => createHmac('sha256', key).update(payload).digest().subarray(0, TAG_BYTES);

export function signToken(key: Buffer, payload: string | Buffer): string {
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([p, tag(key, p)]).toString('base64url');
}

/** base64url digit values by char code; -1 outside the alphabet (padding included). */
const DIGIT = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((c, i) => { DIGIT[c.charCodeAt(0)] = i; });
/** The decoded token, reused by every verification (nothing between decode and MAC awaits). */
const BUF = Buffer.alloc((MAX_TOKEN * 3) >> 2);
/**
 * Midstates per key Buffer. Keys are derived once per service (lib/keys.ts) and never written
 * to; a key whose bytes changed after its first use would keep verifying with the old ones.
 */
const MIDSTATES = new WeakMap<Buffer, HmacKey | null>();

/**
 * Decodes a canonical base64url token into BUF and checks its tag: the payload's length, or -1.
 * Canonical: only alphabet characters, no dangling last character (length % 4 == 1) and the
 * unused low bits of the last character zero, i.e. what signToken writes and nothing else that
 * decodes to the same bytes.
 */
function verifyInto(key: Buffer, token: string): number {
  if (typeof token !== 'string') return -1;
  const len = token.length;
  if (len === 0 || len > MAX_TOKEN || (len & 3) === 1) return -1;
  let n = 0, acc = 0, bits = 0;
  for (let i = 0; i < len; i++) {
    const c = token.charCodeAt(i);
    const d = c < 128 ? DIGIT[c]! : -1;
    if (d < 0) return -1;
    acc = ((acc << 6) | d) & 0xffffff;
    bits += 6;
    if (bits >= 8) { bits -= 8; BUF[n++] = (acc >> bits) & 0xff; }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return -1;
  if (n < TAG_BYTES) return -1;
  const plen = n - TAG_BYTES;
  let k = MIDSTATES.get(key);
  if (k === undefined) { k = key.length <= 64 ? hmacKey(key) : null; MIDSTATES.set(key, k); }
  if (k === null || plen > SHORT_MAX) return timingSafeEqual(BUF.subarray(plen, n), tag(key, BUF.subarray(0, plen))) ? plen : -1;
  const s = hmacShort(k, BUF, 0, plen);
  // Constant time: every tag byte is compared, differences OR-ed together.
  let diff = 0;
  for (let i = 0; i < TAG_BYTES; i++) diff |= BUF[plen + i]! ^ ((s[i >> 2]! >>> (24 - 8 * (i & 3))) & 0xff);
  return diff === 0 ? plen : -1;
}

export function verifyToken(key: Buffer, token: string): Buffer | null {
  const plen = verifyInto(key, token);
  return plen < 0 ? null : Buffer.from(BUF.subarray(0, plen));
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
  const plen = verifyInto(key, token);
  if (plen < 0) return null;
  const out: number[] = [];
  let i = 0;
  while (i < plen) {
    let v = 0, mul = 1, b: number;
    do { if (i >= plen || mul > 2 ** 49) return null; b = BUF[i++]!; v += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
    out.push(v);
  }
  return out.length === count ? out : null;
}
