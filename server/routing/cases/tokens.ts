/*
 * Signed case tokens (pure, no I/O): the per-case reply address `<local>+case-<id>-<tag>@<domain>`
 * and our own Message-IDs `<case-<id>-<tag>.<random>@<host>>`. The tag is an HMAC of the case id
 * (80 bits, lower-case hex because MTAs change the case of local parts): a forged token fails.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TAG_BYTES = 10;
const tagOf = (key: Buffer, id: number) => createHmac('sha256', key).update(`case:${id}`).digest().subarray(0, TAG_BYTES).toString('hex');

export function caseToken(key: Buffer, id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError('case id must be a positive safe integer');
  return `case-${id}-${tagOf(key, id)}`;
}

export type TokenResult = { ok: true; id: number } | { ok: false; reason: 'not-case' | 'bad-token' };

/** Reads `case-<id>-<tag>` (any case); anything not shaped like a token is `not-case`. */
export function parseCaseToken(key: Buffer, token: string): TokenResult {
  const m = /^case-(\d{1,16})-([0-9a-f]+)$/i.exec(token.trim());
  if (!m) return { ok: false, reason: 'not-case' };
  const id = Number(m[1]);
  const want = Buffer.from(tagOf(key, id), 'hex'), got = Buffer.from(m[2]!.toLowerCase(), 'hex');
  if (!Number.isSafeInteger(id) || id <= 0 || m[1]!.startsWith('0') || got.length !== want.length || !timingSafeEqual(got, want)) return { ok: false, reason: 'bad-token' };
  return { ok: true, id };
}

/** The reply address of a case on one of our mailboxes (plus-addressed). */
export function replyAddressFor(key: Buffer, mailboxAddress: string, id: number): string {
  const at = mailboxAddress.lastIndexOf('@');
  const local = mailboxAddress.slice(0, at).split('+')[0]!;
  return `${local}+${caseToken(key, id)}@${mailboxAddress.slice(at + 1)}`.toLowerCase();
}

/** The token in a local part `<base>+case-…`: null when the local part carries none. */
export function tokenOfLocal(local: string): { base: string; token: string } | null {
  const i = local.indexOf('+');
  if (i < 0) return null;
  const token = local.slice(i + 1);
  return /^case-/i.test(token) ? { base: local.slice(0, i), token } : null;
}

/** A Message-ID for mail we send from a case: the References rung recognises it even without the index. */
export function caseMessageId(key: Buffer, id: number, host: string, random: string): string {
  return `${caseToken(key, id)}.${random}@${host}`;
}

/** The case a Message-ID of ours names (its signed token), or null. */
export function caseOfMessageId(key: Buffer, messageId: string): number | null {
  const local = messageId.trim().replace(/^<|>$/g, '').split('@')[0] ?? '';
  const token = local.split('.')[0] ?? '';
  const r = parseCaseToken(key, token);
  return r.ok ? r.id : null;
}
