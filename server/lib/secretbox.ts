/*
 * Secrets at rest (upstream passwords, DKIM private keys): AES-256-GCM with a random 96-bit
 * IV, stored as `v1:<base64url(iv | tag | ciphertext)>` so the format can change later.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export class SecretBoxError extends Error {
  readonly code = 'secret_unreadable';
  constructor(message: string) { super(message); this.name = 'SecretBoxError'; }
}

export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return `v1:${Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url')}`;
}

export function open(key: Buffer, sealed: string): string {
  if (!sealed.startsWith('v1:')) throw new SecretBoxError('unknown secret format');
  const buf = Buffer.from(sealed.slice(3), 'base64url');
  if (buf.length < 28) throw new SecretBoxError('secret too short');
  const d = createDecipheriv('aes-256-gcm', key, buf.subarray(0, 12));
  d.setAuthTag(buf.subarray(12, 28));
  try { return Buffer.concat([d.update(buf.subarray(28)), d.final()]).toString('utf8'); }
  catch { throw new SecretBoxError('secret does not decrypt: tampered, or POSTERN_SECRET changed'); }
}
