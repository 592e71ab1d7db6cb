/*
 * Purpose-specific keys derived from the master secret (POSTERN_SECRET) with HKDF-SHA256,
 * so a key leaked from one use (say, tracking links) cannot forge another (VERP, sessions).
 */
import { hkdfSync } from 'node:crypto';

export type KeyPurpose = 'verp' | 'tracking' | 'optout' | 'session' | 'csrf' | 'secretbox' | 'apikey' | 'cookie' | (string & {});

export function deriveKey(secret: string, purpose: KeyPurpose): Buffer {
  if (!secret) throw new Error('deriveKey: empty secret');
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('postern-v1'), Buffer.from(purpose, 'utf8'), 32));
}
