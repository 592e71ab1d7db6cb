/*
 * Password hashing with argon2id (OWASP parameters: 19 MiB, t=2, p=1, about 30 ms here) and
 * the password policy. Verification of an unknown user still spends one hash so response
 * time does not reveal which usernames exist.
 */
import argon2 from 'argon2';
import { randomBytes } from 'node:crypto';

const OPTS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
let dummyHash: Promise<string> | undefined;

export const MIN_PASSWORD = 10;

export function passwordProblem(pw: string): string | null {
  if (pw.length < MIN_PASSWORD) return `must be at least ${MIN_PASSWORD} characters`;
  if (pw.length > 512) return 'must be at most 512 characters';
  return null;
}

export const hashPassword = (pw: string) => argon2.hash(pw, OPTS);

export async function verifyPassword(hash: string | undefined, pw: string): Promise<boolean> {
  if (!hash) {
    dummyHash ??= argon2.hash(randomBytes(16).toString('hex'), OPTS);
    await argon2.verify(await dummyHash, pw).catch(() => false);
    return false;
  }
  return argon2.verify(hash, pw).catch(() => false);
}

/** A readable random password for the first admin (about 96 bits). */
export const randomPassword = () => randomBytes(12).toString('base64url');
