/*
 * VERP return paths `<prefix>-<token>@<bounce domain>`: the token names one outbound queue
 * row and carries an HMAC tag. Lower-case base32, because MTAs and mailbox providers change
 * the case of local parts; the local part stays far below 64 octets.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** 10 bytes = 80 bits of tag: a forged bounce needs 2^80 guesses, each a whole SMTP transaction. */
const TAG_BYTES = 10;

function base32(buf: Buffer): string {
  let bits = 0, value = 0, out = '';
  for (const byte of buf) {
    value = (value << 8) | byte; bits += 8;
    while (bits >= 5) { out += ALPHABET[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}
function unbase32(s: string): Buffer | null {
  let bits = 0, value = 0;
  const out: number[] = [];
  for (const c of s) {
    const i = ALPHABET.indexOf(c);
    if (i < 0) return null;
    value = (value << 5) | i; bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 0xff); bits -= 8; }
    value &= 0xff;
  }
  // Canonical encodings only: leftover padding bits must be zero, so no two spellings of one token exist.
  if (bits >= 5 || (value & ((1 << bits) - 1)) !== 0) return null;
  return Buffer.from(out);
}

const idBytes = (id: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(id)); let i = 0; while (i < 7 && b[i] === 0) i++; return b.subarray(i); };
const mac = (key: Buffer, body: Buffer) => createHmac('sha256', key).update('verp:').update(body).digest().subarray(0, TAG_BYTES);

export function verpToken(key: Buffer, id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError('VERP id must be a positive safe integer');
  const body = idBytes(id);
  return base32(Buffer.concat([Buffer.from([body.length]), body, mac(key, body)]));
}

export function makeVerpAddress(o: { key: Buffer; prefix: string; bounceDomain: string; id: number }): string {
  return `${o.prefix.toLowerCase()}-${verpToken(o.key, o.id)}@${o.bounceDomain.toLowerCase().replace(/\.$/, '')}`;
}

export type VerpResult = { ok: true; id: number } | { ok: false; reason: 'not-verp' | 'bad-token' };

export function parseVerpAddress(o: { key: Buffer; prefix: string; bounceDomains: string[] }, address: string): VerpResult {
  const a = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 0) return { ok: false, reason: 'not-verp' };
  const local = a.slice(0, at), domain = a.slice(at + 1).replace(/\.$/, '');
  const prefix = `${o.prefix.toLowerCase()}-`;
  if (!o.bounceDomains.some((d) => d.toLowerCase().replace(/\.$/, '') === domain) || !local.startsWith(prefix)) return { ok: false, reason: 'not-verp' };
  const raw = unbase32(local.slice(prefix.length));
  if (!raw || raw.length < 1 + 1 + TAG_BYTES) return { ok: false, reason: 'bad-token' };
  const n = raw[0]!;
  if (n < 1 || n > 8 || raw.length !== 1 + n + TAG_BYTES) return { ok: false, reason: 'bad-token' };
  const body = raw.subarray(1, 1 + n), tag = raw.subarray(1 + n);
  if (!timingSafeEqual(tag, mac(o.key, body))) return { ok: false, reason: 'bad-token' };
  let id = 0;
  for (const b of body) id = id * 256 + b;
  return Number.isSafeInteger(id) && id > 0 ? { ok: true, id } : { ok: false, reason: 'bad-token' };
}
