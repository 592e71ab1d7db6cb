/*
 * Opaque bearer secrets (session cookies, API keys): random bytes handed out once, stored
 * only as SHA-256. SHA-256 (not argon2) is right here: the secrets carry 192+ bits of
 * entropy, so there is nothing to brute-force, and every request can afford the check.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const newSecret = (bytes = 24) => randomBytes(bytes).toString('base64url');
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Whether an Authorization header carries exactly `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+)$/i.exec(header ?? '');
  if (!m || !token) return false;
  return safeEqualHex(sha256(m[1]!), sha256(token));
}
export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex'), y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

/** API keys look like `pst_<prefix>_<secret>`; the prefix finds the row, the secret proves it. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(6).toString('hex');
  const secret = newSecret(24);
  return { key: `pst_${prefix}_${secret}`, prefix, hash: sha256(secret) };
}
export function parseApiKey(key: string): { prefix: string; secret: string } | null {
  const m = /^pst_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$/.exec(key.trim());
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}
